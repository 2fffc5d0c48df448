"""Publisher → `streamsmote run --forward-real` → Feed, against the real daemon."""
import json

import pytest

from conftest import make_events, open_path
from streamsmote import Feed, Publisher, get_codec

CODECS = ["json", "protobuf"]
EVENTS = 20_000


def total(values, name):
    """The sum of every series of metric `name`, whatever its labels."""
    return sum(v for series, v in values.items() if series == name or series.startswith(name + "{"))


def receive_through(feed, marker):
    """Samples up to and including the one with id `marker`."""
    got = []
    while True:
        sample = feed.recv(timeout=60)
        assert sample is not None, f"no message for 60 s; the marker {marker!r} never arrived"
        got.append(sample)
        if sample.id == marker:
            return got


def check_merged_stream(samples, sent, minority="fraud"):
    """Every sent event arrives once, in order, with its seq; every synthetic sample comes
    after its seed and neighbour, lies on the segment between them and carries the time
    of the real event that triggered it. Returns (reals, synthetic)."""
    by_id = {e["id"]: e for e in sent}
    reals = [s for s in samples if not s.synthetic]
    synthetic = [s for s in samples if s.synthetic]
    assert [s.id for s in reals] == [e["id"] for e in sent]
    assert all(s.topic == f"real.{s.label}" and s.label == by_id[s.id]["label"] for s in reals)
    assert all(s.origin is None for s in reals)
    seqs = [s.seq for s in reals]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "forwarded events keep the publisher's seq"

    assert synthetic, "no synthetic samples"
    assert len({s.id for s in synthetic}) == len(synthetic)
    seen = {}
    last_real = None
    for s in samples:
        if not s.synthetic:
            seen[s.id] = s
            last_real = s
            continue
        assert s.topic == f"synthetic.{minority}" and s.label == minority
        seed, neighbor = seen.get(s.origin.seed), seen.get(s.origin.neighbor)
        assert seed is not None and neighbor is not None, f"{s!r}: provenance names no earlier real event"
        assert seed.label == neighbor.label == minority and seed.id != neighbor.id
        assert 0.0 <= s.origin.gap < 1.0
        assert s.ts == last_real.ts, "a synthetic sample carries its trigger's event time"
        for value, a, b in zip(s.features, seed.features, neighbor.features):
            assert value == pytest.approx(a + s.origin.gap * (b - a), abs=1e-5), s
    return reals, synthetic


@pytest.mark.parametrize("codec", CODECS)
def test_publisher_daemon_feed_carries_20000_events(daemon, codec):
    with Publisher("tcp://127.0.0.1:*", codec=codec, nodrop=True) as pub:
        d = daemon("--sub", pub.endpoint, "--codec", codec, "--forward-real", "--minority", "fraud",
                   "--ratio", "0.5", "--window-events", "2000", "--seed", "1", "--metrics", "127.0.0.1:0")
        with Feed(d.pub, codec=codec) as feed:
            open_path(pub, [feed])
            events = make_events(EVENTS, seed=5)
            for event in events:
                pub.send(**event)
            pub.send(id="end", label="legit", features=[0.0] * 4)
            samples = receive_through(feed, "end")[:-1]
            reals, synthetic = check_merged_stream(samples, events)
            assert feed.skipped == 0
            assert sum(s.label == "fraud" for s in reals) > 1000
            print(f"{codec}: {len(reals)} real, {len(synthetic)} synthetic")

            # The daemon lost nothing. Positive control first: a gap of 3 in seq must show
            # as exactly 3 lost. The engine thread counts gaps as it processes events and
            # publishes them with the received counts, so once every event shows as
            # received, every loss counted before it shows too.
            pub._seq += 3
            pub.send(id="after-gap", label="legit", features=[0.0] * 4)
            pub.socket.send_multipart([b"events", b"\xff\xff not an event"])
            values = d.wait_metric(lambda v: total(v, "streamsmote_events_rejected_total") >= 1)
            assert total(values, "streamsmote_events_rejected_total") == 1
            received = pub.sent  # the probes, the events, the markers, the control event
            values = d.wait_metric(lambda v: total(v, "streamsmote_events_received_total") >= received)
            assert total(values, "streamsmote_events_received_total") == received
            assert total(values, "streamsmote_messages_lost_total") == 3
            assert total(values, "streamsmote_publish_dropped_total") == 0
    assert d.stop() == 0, d.log()


class Capture:
    """A codec that decodes with `codec` and keeps every raw (topic, payload)."""

    def __init__(self, codec):
        self.inner = get_codec(codec)
        self.name = self.inner.name
        self.raw = []

    def encode(self, **fields):
        return self.inner.encode(**fields)

    def decode(self, payload, topic="", feature_names=None):
        self.raw.append((topic, bytes(payload)))
        return self.inner.decode(payload, topic, feature_names)


@pytest.mark.parametrize("codec", CODECS)
def test_wire_format_matches_the_daemon(daemon, codec):
    """Real events come back byte for byte; synthetic ones have the daemon's exact shape,
    which this package's codec reproduces (protobuf: byte for byte)."""
    capture = Capture(codec)
    with Publisher("tcp://127.0.0.1:*", codec=codec) as pub:
        d = daemon("--sub", pub.endpoint, "--codec", codec, "--forward-real", "--minority", "fraud",
                   "--ratio", "0.5", "--window-events", "500", "--seed", "2")
        with Feed(d.pub, codec=capture) as feed:
            open_path(pub, [feed])
            capture.raw.clear()
            events = make_events(1000, seed=6)
            sent = {}
            for event in events:
                seq = pub.send(**event)
                sent[event["id"]] = pub.codec.encode(seq=seq, **event)
            pub.send(id="end", label="legit", features=[0.0] * 4)
            samples = receive_through(feed, "end")[:-1]
            check_merged_stream(samples, events)
    raw = dict(zip((s.id for s in samples), capture.raw))
    synthetic = 0
    for sample in samples:
        topic, payload = raw[sample.id]
        if not sample.synthetic:
            assert payload == sent[sample.id], "real events are forwarded byte for byte"
            continue
        synthetic += 1
        if codec == "protobuf":
            again = pub.codec.encode(id=sample.id, label=sample.label, features=sample.features, ts=sample.ts,
                                     synthetic=True, origin=sample.origin)
            assert payload == again
        else:
            pairs = json.loads(payload, object_pairs_hook=lambda kv: kv)
            assert [k for k, _ in pairs] == ["id", "ts", "label", "features", "synthetic", "origin"]
            fields = dict(pairs)
            assert fields["synthetic"] is True and isinstance(fields["label"], str)
            assert [k for k, _ in fields["origin"]] == ["seed", "neighbor", "gap"]
            assert fields["id"] == sample.id and fields["id"].startswith("syn-")
    assert synthetic > 0
    assert d.stop() == 0, d.log()


@pytest.mark.parametrize("codec", CODECS)
def test_feed_survives_a_daemon_restart(daemon, codec):
    d = daemon("--sub-bind", "tcp://127.0.0.1:0", "--codec", codec, "--forward-real", "--minority", "fraud",
               "--ratio", "0.5", "--window-events", "500", "--seed", "3")
    with Publisher(d.sub_bind, codec=codec, bind=False, nodrop=True) as pub, Feed(d.pub, codec=codec) as feed:
        for phase in range(2):
            if phase == 1:
                pub_endpoint, feed_endpoint = d.sub_bind, d.pub
                d.restart()
                assert (d.sub_bind, d.pub) == (pub_endpoint, feed_endpoint)
                assert feed.wait_connected(30, connections=2), "the Feed did not reconnect"
            open_path(pub, [feed])
            events = make_events(2000, seed=7 + phase, prefix=f"phase{phase}")
            for event in events:
                pub.send(**event)
            pub.send(id=f"end-{phase}", label="legit", features=[0.0] * 4)
            check_merged_stream(receive_through(feed, f"end-{phase}")[:-1], events)
        assert feed.connections == 2
    assert d.stop() == 0, d.log()


def test_curve_through_socket_setup(daemon, tmp_path):
    """A Feed reaches a daemon whose output is a CURVE server (--curve-secret-key), with the
    keys set in socket_setup, as clients/python/README.md shows."""
    import subprocess

    import zmq

    from conftest import _binary

    subprocess.run([_binary(), "keygen", "--output", str(tmp_path / "daemon")], check=True, capture_output=True)
    server_key = (tmp_path / "daemon.pub").read_text().strip().encode()
    public, secret = zmq.curve_keypair()

    def curve(socket):
        socket.curve_serverkey = server_key
        socket.curve_publickey, socket.curve_secretkey = public, secret

    with Publisher("tcp://127.0.0.1:*") as pub:
        d = daemon("--sub", pub.endpoint, "--forward-real", "--curve-secret-key", str(tmp_path / "daemon.key"))
        with Feed(d.pub, socket_setup=curve) as feed, Feed(d.pub) as plain:
            open_path(pub, [feed])
            assert feed.connections == 1
            pub.send(id="secret-1", label="legit", features=[0.0] * 4)
            assert receive_through(feed, "secret-1")[-1].id == "secret-1"
            assert plain.connections == 0, "a client without CURVE keys never completes the handshake"
    assert d.stop() == 0, d.log()
