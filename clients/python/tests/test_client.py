"""The package on its own: codecs, Publisher and Feed over real sockets (no daemon)."""
import math
import pathlib
import re

import pytest
import zmq

import streamsmote
from streamsmote import Feed, Origin, Publisher, Sample, get_codec
from streamsmote.codec import DecodeError

CODECS = ["json", "protobuf"]
ROOT = pathlib.Path(__file__).resolve().parents[3]  # the repository, when the tests run from it
PROTO = ROOT / "Sources" / "StreamSMOTEService" / "Codec" / "streamsmote.proto"


@pytest.mark.parametrize("codec", CODECS)
def test_codec_round_trip(codec):
    c = get_codec(codec)
    synthetic = dict(id="syn-1", label="fraud", features=[0.5, -2.25], ts=1764403200.25, categories=["5411", "FR"],
                     synthetic=True, origin=Origin("tx-1", "tx-2", 0.375))
    sample = c.decode(c.encode(**synthetic), "synthetic.fraud")
    assert sample == Sample(topic="synthetic.fraud", **synthetic)
    real = c.decode(c.encode(id="tx-3", label=7, features=[1, 2], seq=42), "real.7")
    assert (real.label, real.seq, real.ts, real.synthetic, real.origin, real.categories) == ("7", 42, None, False,
                                                                                             None, [])
    assert real.features == [1.0, 2.0] and all(isinstance(v, float) for v in real.features)


def test_json_matches_the_daemons_shape():
    payload = get_codec("json").encode(id="tx-42", ts=1764403200.25, seq=42, label="fraud", features=[0.12, -1.3, 5.0],
                                       categories=["5411", "FR"])
    assert payload == (b'{"id":"tx-42","ts":1764403200.25,"seq":42,"label":"fraud","features":[0.12,-1.3,5.0],'
                       b'"categories":["5411","FR"]}')


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("fields, message", [
    (dict(id="", label="a", features=[1.0]), "id"),
    (dict(id=3, label="a", features=[1.0]), "id"),
    (dict(id="a", label="", features=[1.0]), "label"),
    (dict(id="a", label=True, features=[1.0]), "label"),
    (dict(id="a", label="a", features=[]), "empty"),
    (dict(id="a", label="a", features=[1.0, math.nan]), "feature 1"),
    (dict(id="a", label="a", features=[math.inf]), "feature 0"),
    (dict(id="a", label="a", features=[1e39]), "32-bit"),  # finite as a double, not as a float
    (dict(id="a", label="a", features=[1.0], ts=math.nan), "ts"),
    (dict(id="a", label="a", features=[1.0], categories=[5]), "categories"),
])
def test_encode_refuses_what_the_daemon_rejects(codec, fields, message):
    with pytest.raises(ValueError, match=message):
        get_codec(codec).encode(**fields)


@pytest.mark.parametrize("codec, payload", [
    ("json", b"not json"), ("json", b"[1, 2]"), ("json", b'{"id": "a", "label": "b"}'),
    ("json", b'{"id": "a", "label": "b", "features": ["x"]}'), ("protobuf", b"\xff\xff\xff"),
    ("protobuf", b""),
])
def test_decode_errors(codec, payload):
    with pytest.raises(DecodeError):
        get_codec(codec).decode(payload)


def test_numpy_features_are_accepted():
    np = pytest.importorskip("numpy")
    for codec in CODECS:
        c = get_codec(codec)
        assert c.decode(c.encode(id="a", label="b", features=np.array([1.5, 2.5], dtype=np.float32))).features == [1.5, 2.5]


def test_sample_x():
    sample = Sample(id="a", label="b", features=[1.0, 2.0], categories=["FR", "5411"])
    assert sample.x == {"f0": 1.0, "f1": 2.0}
    assert sample.x_with_categories == {"f0": 1.0, "f1": 2.0, "c0": "FR", "c1": "5411"}
    named = Sample(id="a", label="b", features=[1.0, 2.0], feature_names=["amount", "age"])
    assert named.x == {"amount": 1.0, "age": 2.0}


def test_unknown_codec_and_scheme():
    with pytest.raises(ValueError, match="unknown codec"):
        get_codec("xml")
    with pytest.raises(NotImplementedError, match="nats://"):
        Feed("nats://127.0.0.1:4222")
    with pytest.raises(ValueError, match="scheme"):
        Publisher("127.0.0.1:5555")


@pytest.fixture
def context():
    ctx = zmq.Context()
    yield ctx
    ctx.term()


def connected(pub, *feeds, timeout=10):
    """A Feed subscribed straight to a Publisher: the XPUB sees each subscription, so once
    it counted them everything sent afterwards is delivered."""
    assert pub.wait_for_subscribers(len(feeds), timeout)


@pytest.mark.parametrize("codec", CODECS)
def test_seq_numbers_continue_across_calls(codec):
    with Publisher("tcp://127.0.0.1:*", codec=codec, topic="t") as pub, Feed(pub.endpoint, codec=codec) as feed:
        connected(pub, feed)
        assert pub.seq == 0
        seqs = [pub.send(id=f"e{i}", label="a", features=[float(i)]) for i in range(5)]
        seqs += [pub.send(id=f"e{i}", label="a", features=[float(i)], ts=1.5) for i in range(5, 8)]
        assert seqs == list(range(1, 9)) and pub.seq == 8 and pub.sent == 8
        got = [feed.recv(timeout=10) for _ in range(8)]
        assert [s.seq for s in got] == seqs and [s.topic for s in got] == ["t"] * 8
        with pytest.raises(ValueError):
            pub.send(id="bad", label="a", features=[math.nan])
        assert pub.seq == 8, "a refused event uses no seq"
    with Publisher("tcp://127.0.0.1:*", first_seq=100) as pub:
        assert pub.seq == 99


def test_wait_for_subscribers_counts_them(context):
    """Every matching subscriber counts, also several on the same prefix (daemons subscribe
    to everything), and each one that leaves is subtracted."""
    with Publisher("inproc://count", topic="tx.eu", context=context) as pub:
        assert not pub.wait_for_subscribers(1, timeout=0)
        with Feed("inproc://count", topics=["tx."], context=context):
            with Feed("inproc://count", context=context):
                Feed("inproc://count", topics=["other"], context=context).close()  # does not match
                with Feed("inproc://count", context=context):
                    assert pub.wait_for_subscribers(3, timeout=10)
                    assert pub.subscribers == 3
                assert subscribers_become(pub, 2)
            assert subscribers_become(pub, 1)
        assert subscribers_become(pub, 0)


def subscribers_become(pub, n, timeout=10):
    """Unsubscriptions reach the XPUB asynchronously: wait for them on its socket."""
    while pub.subscribers != n:
        if not pub.socket.poll(timeout * 1000, zmq.POLLIN):
            return False
    return True


def test_nodrop_blocks_instead_of_dropping(context):
    # inproc has no network buffers: a subscriber that does not read holds hwm messages.
    with Publisher("inproc://slow", hwm=10, nodrop=True, send_timeout=0.2, context=context) as pub, \
            Feed("inproc://slow", hwm=10, context=context) as feed:
        connected(pub, feed)
        with pytest.raises(TimeoutError):
            for i in range(1000):
                pub.send(id=f"e{i}", label="a", features=[1.0])
        blocked_at = pub.seq
        assert 10 <= blocked_at < 1000
        got = []
        while True:
            sample = feed.recv(timeout=0)
            if sample is None:
                break
            got.append(sample.seq)
        assert got == list(range(1, blocked_at + 1)), "nothing was dropped"
        pub.send(id="next", label="a", features=[1.0])  # room again
        assert feed.recv(timeout=10).seq == blocked_at + 1


def test_without_nodrop_a_full_subscriber_loses_messages(context):
    with Publisher("inproc://drop", hwm=10, context=context) as pub, \
            Feed("inproc://drop", hwm=10, context=context) as feed:
        connected(pub, feed)
        for i in range(1000):
            pub.send(id=f"e{i}", label="a", features=[1.0])
        got = []
        while True:
            sample = feed.recv(timeout=0)
            if sample is None:
                break
            got.append(sample.seq)
        assert 0 < len(got) < 1000


def test_feed_bounds(context):
    with Publisher("inproc://bounds", context=context) as pub, \
            Feed("inproc://bounds", max_events=3, timeout=0.2, context=context) as feed:
        connected(pub, feed)
        for i in range(5):
            pub.send(id=f"e{i}", label="a", features=[1.0, 2.0])
        assert [s.id for s in feed] == ["e0", "e1", "e2"]
        feed.max_events = None
        assert [x for x, _ in feed.xy()] == [{"f0": 1.0, "f1": 2.0}] * 2  # then 0.2 s of silence
        assert feed.recv(timeout=0) is None
        assert feed.received == 5


def test_undecodable_payloads_are_skipped_or_raised(context):
    with Publisher("inproc://bad", context=context) as pub, \
            Feed("inproc://bad", timeout=0.2, context=context) as lenient, \
            Feed("inproc://bad", strict=True, context=context) as strict:
        connected(pub, lenient, strict)
        pub.socket.send_multipart([b"events", b"{not json"])
        pub.send(id="ok", label="a", features=[1.0])
        assert [s.id for s in lenient] == ["ok"] and lenient.skipped == 1
        with pytest.raises(DecodeError):
            strict.recv(timeout=10)
        assert strict.recv(timeout=10).id == "ok"


def test_feed_reports_its_connection():
    with Publisher("tcp://127.0.0.1:*") as pub, Feed(pub.endpoint) as feed:
        assert feed.wait_connected(10)
        assert feed.connections == 1 and feed.connected


def test_batches_and_partial_fit(context):
    np = pytest.importorskip("numpy")
    with Publisher("inproc://batches", context=context) as pub, \
            Feed("inproc://batches", timeout=0.2, context=context) as feed:
        connected(pub, feed)
        for i in range(10):
            pub.send(id=f"e{i}", label="fraud" if i % 2 else "legit", features=[float(i), -float(i)])
        batches = list(feed.batches(4))
    assert [len(b.samples) for b in batches] == [4, 4, 2]
    assert batches[0].X.shape == (4, 2) and batches[0].X.dtype == np.float64
    assert list(batches[0].y) == ["legit", "fraud", "legit", "fraud"]
    assert batches[2].X.tolist() == [[8.0, -8.0], [9.0, -9.0]]
    assert not batches[0].synthetic.any()

    linear_model = pytest.importorskip("sklearn.linear_model")
    samples = [Sample(id=f"s{i}", label="fraud" if i % 2 else "legit", features=[float(i % 2), 1.0],
                      synthetic=i % 4 == 1) for i in range(200)]
    model = linear_model.SGDClassifier(random_state=0)
    assert streamsmote.partial_fit(model, samples, classes=["fraud", "legit"], batch_size=64,
                                   synthetic_weight=0.5) == 200
    assert list(model.predict(np.array([[1.0, 1.0], [0.0, 1.0]]))) == ["fraud", "legit"]


def test_xy_trains_a_river_model(context):
    pytest.importorskip("river")
    from river import linear_model, preprocessing

    model = preprocessing.StandardScaler() | linear_model.LogisticRegression()
    with Publisher("inproc://river", context=context) as pub, \
            Feed("inproc://river", max_events=400, context=context) as feed:
        connected(pub, feed)
        for i in range(400):
            pub.send(id=f"s{i}", label="fraud" if i % 2 else "legit", features=[float(i % 2) * 4 - 2, 0.5])
        for x, y in feed.xy():
            model.learn_one(x, y == "fraud")
    assert model.predict_one({"f0": 2.0, "f1": 0.5}) is True
    assert model.predict_one({"f0": -2.0, "f1": 0.5}) is False


@pytest.mark.skipif(not PROTO.exists(), reason="not run from the repository")
def test_generated_module_matches_the_proto():
    """The shipped streamsmote_pb2 has exactly the fields of streamsmote.proto (regenerate
    with scripts/generate-proto.sh when this fails)."""
    from streamsmote import streamsmote_pb2
    from google.protobuf.descriptor import FieldDescriptor

    types = {"string": FieldDescriptor.TYPE_STRING, "double": FieldDescriptor.TYPE_DOUBLE,
             "uint64": FieldDescriptor.TYPE_UINT64, "float": FieldDescriptor.TYPE_FLOAT,
             "bool": FieldDescriptor.TYPE_BOOL}
    text = re.sub(r"//[^\n]*", "", PROTO.read_text())
    messages = dict(re.findall(r"message\s+(\w+)\s*\{([^}]*)\}", text))
    assert set(messages) == {"Event", "Origin"}
    for name, body in messages.items():
        declared = {}
        for qualifier, kind, field, number in re.findall(r"(optional\s+|repeated\s+)?(\w+)\s+(\w+)\s*=\s*(\d+)\s*;",
                                                          body):
            declared[field] = (int(number), qualifier.strip(), types.get(kind, kind))
        descriptor = streamsmote_pb2.DESCRIPTOR.message_types_by_name[name]
        generated = {}
        for f in descriptor.fields:
            repeated = f.is_repeated if hasattr(f, "is_repeated") else f.label == FieldDescriptor.LABEL_REPEATED
            optional = f.containing_oneof is not None and f.containing_oneof.name == "_" + f.name
            kind = f.message_type.name if f.message_type is not None else f.type
            generated[f.name] = (f.number, "repeated" if repeated else "optional" if optional else "", kind)
        assert generated == declared, name


@pytest.mark.skipif(not (ROOT / "examples" / "streamsmote_pb2.py").exists(), reason="not run from the repository")
def test_shipped_module_is_the_examples_copy():
    shipped = pathlib.Path(streamsmote.__file__).with_name("streamsmote_pb2.py")
    assert shipped.read_bytes() == (ROOT / "examples" / "streamsmote_pb2.py").read_bytes()


def test_imports_only_declared_dependencies():
    """Publishing and receiving in both codecs loads nothing from outside the standard
    library but the declared dependencies (pyzmq, protobuf): a venv with only those works."""
    import subprocess
    import sys

    if not hasattr(sys, "stdlib_module_names"):
        pytest.skip("needs Python 3.10")
    code = """
import sys
before = {name.split(".")[0] for name in sys.modules}  # what site.py loaded (e.g. from .pth files)
import streamsmote
for codec in ("json", "protobuf"):
    with streamsmote.Publisher("inproc://x", codec=codec, context=None) as pub:
        pass
    c = streamsmote.get_codec(codec)
    c.decode(c.encode(id="a", label="b", features=[1.0]))
with streamsmote.Feed("tcp://127.0.0.1:1") as feed:
    feed.recv(timeout=0)
roots = {name.split(".")[0] for name in sys.modules}
print(" ".join(sorted(r for r in roots - before if r not in sys.stdlib_module_names and not r.startswith("_"))))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(result.stdout.split()) <= {"streamsmote", "zmq", "google", "cython_runtime"}, result.stdout
