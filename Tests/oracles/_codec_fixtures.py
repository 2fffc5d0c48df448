#!/usr/bin/env python3
"""Regenerates the codec test fixtures under Tests/StreamSMOTEServiceTests/Fixtures.

- interop/: payloads produced by Python's json.dumps and by the generated streamsmote_pb2
  (examples/streamsmote_pb2.py), plus expected.json describing the event each one must decode
  to, with features as float32 bit patterns so the comparison is exact.
- hostile/: one payload per file, named <reason>-<what>.<json|pb>; the Swift tests decode
  each with EventValidation(maxPayloadBytes: 4096, featureCount: 4, labels: [fraud, legit])
  and expect the reason in the name.

Run from the repository root: python3 Tests/oracles/_codec_fixtures.py
Deterministic: the same protobuf runtime gives the same bytes.

The other direction: python3 Tests/oracles/_codec_fixtures.py --verify DIR reads DIR/<name>.json
and DIR/<name>.pb written by the Swift encoders for each event of interop/expected.json
(the Swift test "Python reads what the Swift encoders write" does this) and checks that
json.loads and streamsmote_pb2 see the same events. Exit status 1 on any difference.
"""
import json
import os
import random
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples"))
import streamsmote_pb2 as pb  # noqa: E402

FIXTURES = os.path.join(ROOT, "Tests", "StreamSMOTEServiceTests", "Fixtures")


def f32(x):
    """x rounded to float32, as a Python float (exact)."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def write(directory, name, data):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def to_pb(event):
    m = pb.Event(id=event["id"], label=str(event["label"]), features=event["features"])
    if "ts" in event:
        m.ts = event["ts"]
    if "seq" in event:
        m.seq = event["seq"]
    m.categories.extend(event.get("categories", []))
    if event.get("synthetic"):
        m.synthetic = True
    if "origin" in event:
        o = event["origin"]
        m.origin.seed, m.origin.neighbor, m.origin.gap = o["seed"], o["neighbor"], o["gap"]
    return m.SerializeToString()


def expected(name, event):
    """What the Swift decoder must produce: labels as strings, floats as bit patterns."""
    e = {
        "name": name,
        "id": event["id"],
        "label": str(event["label"]),
        "features": [f32_bits(x) for x in event["features"]],
        "categories": event.get("categories", []),
        "synthetic": bool(event.get("synthetic", False)),
    }
    if "ts" in event:
        e["ts_bits"] = str(struct.unpack("<Q", struct.pack("<d", event["ts"]))[0])
    if "seq" in event:
        e["seq"] = str(event["seq"])
    if "origin" in event:
        o = event["origin"]
        e["origin"] = {"seed": o["seed"], "neighbor": o["neighbor"], "gap": f32_bits(o["gap"])}
    return e


def interop():
    rng = random.Random(20261129)
    events = [
        {"id": "tx-42", "ts": 1764403200.25, "seq": 42, "label": "fraud",
         "features": [f32(0.12), f32(-1.3), 5.0], "categories": ["5411", "FR"]},
        {"id": "tx-43", "label": 7, "features": [0.0, -0.0, 1.0]},
        {"id": "caf\u00e9-\u2603-\U0001F600", "label": "l\u00e4bel \"quoted\" \\",
         "features": [f32(3.4e38), f32(1.2e-38), f32(1e-45), -f32(3.4e38)], "categories": []},
        {"id": "syn-1", "ts": 0.0, "seq": 18446744073709551615, "label": "fraud",
         "features": [f32(0.5)], "synthetic": True,
         "origin": {"seed": "tx-1", "neighbor": "tx-2", "gap": f32(0.25)}},
    ]
    for n in range(12):
        dim = rng.randint(1, 40)
        ev = {"id": "ev-%d-%x" % (n, rng.getrandbits(48)), "label": rng.choice(["fraud", "legit", 3, -12]),
              "features": [f32(rng.gauss(0, 10 ** rng.randint(-6, 6))) for _ in range(dim)]}
        if rng.random() < 0.7:
            ev["ts"] = round(1764403200 + rng.random() * 1e5, rng.randint(0, 6))
        if rng.random() < 0.7:
            ev["seq"] = rng.getrandbits(rng.choice([8, 32, 63, 64]))
        if rng.random() < 0.5:
            ev["categories"] = [rng.choice(["5411", "FR", "DE", "\u00fcber", "a\tb"]) for _ in range(rng.randint(0, 3))]
        events.append(ev)

    out = os.path.join(FIXTURES, "interop")
    manifest = []
    for i, ev in enumerate(events):
        variants = {
            "compact": dict(separators=(",", ":")),
            "default": {},
            "indented": dict(indent=2, ensure_ascii=False, sort_keys=True),
        }
        for style, kwargs in variants.items():
            name = "event-%02d-%s.json" % (i, style)
            payload = dict(ev)
            if style == "default":
                payload["future_field"] = {"nested": [1, {"x": None}], "flag": True}
            write(out, name, json.dumps(payload, **kwargs).encode("utf-8"))
            manifest.append(expected(name, ev))
        name = "event-%02d.pb" % i
        write(out, name, to_pb(ev))
        manifest.append(expected(name, ev))
    write(out, "expected.json", (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


def hostile():
    out = os.path.join(FIXTURES, "hostile")
    for f in os.listdir(out) if os.path.isdir(out) else []:
        os.remove(os.path.join(out, f))
    good = {"id": "tx-1", "ts": 1764403200.5, "seq": 1, "label": "fraud", "features": [0.5, -1.0, 2.0, 3.0]}
    valid = json.dumps(good, separators=(",", ":"))

    def j(name, text):
        write(out, name, text.encode("utf-8") if isinstance(text, str) else text)

    def body(**overrides):
        d = dict(good)
        for k, v in overrides.items():
            if v is None:
                d.pop(k, None)
            else:
                d[k] = v
        return d

    # malformed
    j("malformed-empty.json", b"")
    j("malformed-whitespace-only.json", " \n\t ")
    j("malformed-truncated.json", valid[: len(valid) // 2])
    j("malformed-truncated-string.json", '{"id":"tx-1')
    j("malformed-truncated-after-key.json", '{"id"')
    j("malformed-unterminated-object.json", valid[:-1])
    j("malformed-trailing-comma.json", valid[:-1] + ",}")
    j("malformed-trailing-comma-array.json", valid.replace("3.0]", "3.0,]"))
    j("malformed-trailing-garbage.json", valid + "x")
    j("malformed-two-objects.json", valid + valid)
    j("malformed-single-quotes.json", valid.replace('"', "'"))
    j("malformed-unquoted-key.json", valid.replace('"id"', "id"))
    j("malformed-leading-zero.json", valid.replace("[0.5,", "[00.5,"))
    j("malformed-plus-sign.json", valid.replace("[0.5,", "[+0.5,"))
    j("malformed-bare-dot.json", valid.replace("[0.5,", "[.5,"))
    j("malformed-dot-without-digits.json", valid.replace("[0.5,", "[5.,"))
    j("malformed-exponent-without-digits.json", valid.replace("[0.5,", "[5e,"))
    j("malformed-hex-number.json", valid.replace("[0.5,", "[0x10,"))
    j("malformed-minus-alone.json", valid.replace("[0.5,", "[-,"))
    j("malformed-invalid-utf8.json", valid.encode().replace(b"tx-1", b"tx-\xff"))
    j("malformed-overlong-utf8.json", valid.encode().replace(b"tx-1", b"tx-\xc0\xaf"))
    j("malformed-utf8-surrogate.json", valid.encode().replace(b"tx-1", b"tx-\xed\xa0\x80"))
    j("malformed-utf8-above-max.json", valid.encode().replace(b"tx-1", b"tx-\xf4\x90\x80\x80"))
    j("malformed-utf8-truncated-sequence.json", valid.encode().replace(b"tx-1", b"tx-\xe2\x82"))
    j("malformed-invalid-utf8-in-unknown-key.json", b'{"\xfe":1,' + valid.encode()[1:])
    j("malformed-lone-high-surrogate-escape.json", valid.replace("tx-1", "tx-\\ud800"))
    j("malformed-lone-low-surrogate-escape.json", valid.replace("tx-1", "tx-\\udc00"))
    j("malformed-reversed-surrogates-escape.json", valid.replace("tx-1", "\\udc00\\ud800"))
    j("malformed-short-unicode-escape.json", valid.replace("tx-1", "tx\\u12"))
    j("malformed-invalid-escape.json", valid.replace("tx-1", "tx\\x41"))
    j("malformed-control-char.json", valid.replace("tx-1", "tx\n1"))
    j("malformed-deep-nesting-arrays.json", '{"x":' + "[" * 2000 + "]" * 2000 + "," + valid[1:])
    j("malformed-deep-nesting-objects.json", '{"x":' + '{"a":' * 500 + "1" + "}" * 500 + "," + valid[1:])
    j("malformed-deep-nesting-unclosed.json", "[" * 4000)
    j("malformed-duplicate-label.json", valid[:-1] + ',"label":"legit"}')
    j("malformed-duplicate-escaped-key.json", valid[:-1] + ',"\\u0069d":"tx-2"}')
    j("malformed-byte-order-mark.json", b"\xef\xbb\xbf" + valid.encode())
    j("malformed-nan-in-unknown-field.json", '{"x":NaN,' + valid[1:])
    j("malformed-nul-after-object.json", valid.encode() + b"\x00")
    j("malformed-bad-literal.json", valid[:-1] + ',"synthetic":tru}')
    j("malformed-capitalised-literal.json", valid[:-1] + ',"synthetic":True}')
    j("malformed-nan-lowercase.json", valid.replace("[0.5,", "[nan,"))
    j("malformed-comment.json", "/* hi */" + valid)
    j("malformed-missing-colon.json", valid.replace('"id":', '"id"'))
    j("malformed-missing-comma.json", valid.replace(',"label"', ' "label"'))
    # wrong types
    j("wrong-type-top-level-array.json", "[1,2,3]")
    j("wrong-type-top-level-string.json", '"event"')
    j("wrong-type-top-level-number.json", "42")
    j("wrong-type-features-string.json", json.dumps(body(features="0.5,1,2,3")))
    j("wrong-type-features-object.json", json.dumps(body(features={"a": 1})))
    j("wrong-type-feature-string.json", json.dumps(body(features=["0.5", 1, 2, 3])))
    j("wrong-type-feature-null.json", json.dumps(body(features=[0.5, 1, 2, "x"])).replace('"x"', "null"))
    j("wrong-type-feature-nested-array.json", json.dumps(body(features=[[0.5], 1, 2, 3])))
    j("wrong-type-label-float.json", json.dumps(body(label=1.5)))
    j("wrong-type-label-exponent.json", json.dumps(body(label=1)).replace('"label": 1', '"label": 1e2'))
    j("wrong-type-label-bool.json", json.dumps(body(label=True)))
    j("wrong-type-label-array.json", json.dumps(body(label=["fraud"])))
    j("wrong-type-id-number.json", json.dumps(body(id=17)))
    j("wrong-type-seq-negative.json", json.dumps(body(seq=-1)))
    j("wrong-type-seq-overflow.json", json.dumps(body(seq=18446744073709551616)))
    j("wrong-type-seq-fraction.json", json.dumps(body(seq=1.5)))
    j("wrong-type-seq-string.json", json.dumps(body(seq="1")))
    j("wrong-type-ts-string.json", json.dumps(body(ts="2026-11-29")))
    j("wrong-type-category-number.json", json.dumps(body(categories=["FR", 5411])))
    j("wrong-type-categories-string.json", json.dumps(body(categories="FR")))
    j("wrong-type-synthetic-string.json", json.dumps(body(synthetic="yes")))
    j("wrong-type-origin-string.json", json.dumps(body(origin="tx-1")))
    # missing fields
    j("missing-field-id.json", json.dumps(body(id=None)))
    j("missing-field-label.json", json.dumps(body(label=None)))
    j("missing-field-features.json", json.dumps(body(features=None)))
    j("missing-field-empty-id.json", json.dumps(body(id="")))
    j("missing-field-empty-label.json", json.dumps(body(label="")))
    j("missing-field-empty-features.json", json.dumps(body(features=[])))
    j("missing-field-null-label.json", json.dumps(body(label="x")).replace('"x"', "null"))
    j("missing-field-empty-object.json", "{}")
    j("missing-field-origin-gap.json", json.dumps(body(synthetic=True, origin={"seed": "a", "neighbor": "b"})))
    j("missing-field-origin-seed.json", json.dumps(body(synthetic=True, origin={"neighbor": "b", "gap": 0.5})))
    j("missing-field-before-nonfinite.json", json.dumps(body(id=None, features=[float("nan"), 1, 2, 3])))
    # non-finite
    j("nonfinite-nan.json", json.dumps(body(features=[float("nan"), 1.0, 2.0, 3.0])))
    j("nonfinite-infinity.json", json.dumps(body(features=[float("inf"), 1.0, 2.0, 3.0])))
    j("nonfinite-negative-infinity.json", json.dumps(body(features=[1.0, float("-inf"), 2.0, 3.0])))
    j("nonfinite-huge-exponent.json", valid.replace("[0.5,", "[1e999,"))
    j("nonfinite-float-overflow.json", valid.replace("[0.5,", "[3.5e38,"))
    j("nonfinite-float-overflow-negative.json", valid.replace("[0.5,", "[-1e39,"))
    j("nonfinite-huge-integer.json", valid.replace("[0.5,", "[" + "9" * 400 + ","))
    j("nonfinite-huge-mantissa-and-exponent.json", valid.replace("[0.5,", "[1" + "0" * 300 + ".5e300,"))
    j("nonfinite-ts-overflow.json", valid.replace("1764403200.5", "1e400"))
    j("nonfinite-ts-nan.json", json.dumps(body(ts=float("nan"))))
    j("nonfinite-origin-gap.json", json.dumps(body(synthetic=True, origin={"seed": "a", "neighbor": "b", "gap": float("inf")})))
    j("nonfinite-before-feature-count.json", json.dumps(body(features=[float("nan"), 1.0])))
    # ids and labels: lengths (defaults 256 and 64 bytes) and characters
    j("id-too-long.json", json.dumps(body(id="i" * 257)))
    j("id-too-long-multibyte.json", json.dumps(body(id="\u00e9" * 129), ensure_ascii=False))
    j("id-too-long-origin-seed.json", json.dumps(body(synthetic=True, origin={"seed": "s" * 300, "neighbor": "b", "gap": 0.5})))
    j("id-too-long-before-nonfinite.json", json.dumps(body(id="i" * 300, features=[float("nan"), 1.0, 2.0, 3.0])))
    j("label-too-long.json", json.dumps(body(label="l" * 65)))
    j("label-too-long-integer.json", valid.replace('"fraud"', "9" * 65))
    j("label-too-long-before-invalid.json", json.dumps(body(label="\u202e" * 22)))
    j("invalid-label-nul.json", json.dumps(body(label="fr\u0000aud")))
    j("invalid-label-newline.json", json.dumps(body(label="fraud\n")))
    j("invalid-label-escape-sequence.json", json.dumps(body(label="\u001b[31mfraud")))
    j("invalid-label-del.json", json.dumps(body(label="fraud\u007f")))
    j("invalid-label-c1-next-line.json", json.dumps(body(label="fraud\u0085")))
    j("invalid-label-right-to-left-override.json", json.dumps(body(label="fr\u202eaud")))
    j("invalid-label-isolate.json", json.dumps(body(label="\u2066fraud\u2069"), ensure_ascii=False))
    j("invalid-label-line-separator.json", json.dumps(body(label="fraud\u2028")))
    # feature count (stream dimension 4)
    j("feature-count-3-of-4.json", json.dumps(body(features=[1.0, 2.0, 3.0])))
    j("feature-count-5-of-4.json", json.dumps(body(features=[1.0, 2.0, 3.0, 4.0, 5.0])))
    j("feature-count-1000-of-4.json", json.dumps(body(features=[0] * 1000), separators=(",", ":")))
    # unknown label (label set fraud, legit)
    j("unknown-label-string.json", json.dumps(body(label="Fraud")))
    j("unknown-label-integer.json", json.dumps(body(label=7)))
    j("unknown-label-escaped-lookalike.json", json.dumps(body(label="fr\u0430ud"), ensure_ascii=True))
    # oversize (limit 4096)
    j("oversize-4097-bytes.json", valid[:-1] + ',"pad":"' + "x" * (4096 - len(valid) - 8) + '"}')
    j("oversize-64-kib-of-brackets.json", "[" * (1 << 16))

    # protobuf
    def p(name, data):
        write(out, name, data)

    def msg(**overrides):
        m = pb.Event(id="tx-1", ts=1764403200.5, seq=1, label="fraud", features=[0.5, -1.0, 2.0, 3.0])
        for k, v in overrides.items():
            if k in ("features", "categories"):
                m.ClearField(k)
                getattr(m, k).extend(v)
            elif v is None:
                m.ClearField(k)
            else:
                setattr(m, k, v)
        return m.SerializeToString()

    vpb = msg()
    p("malformed-truncated.pb", vpb[: len(vpb) - 3])
    p("malformed-truncated-varint.pb", b"\x18\xff\xff")
    p("malformed-truncated-tag.pb", vpb + b"\x80")
    p("malformed-length-past-end.pb", b"\x0a\x7ftx-1")
    p("malformed-huge-length.pb", b"\x0a\xff\xff\xff\xff\x0f")
    p("malformed-overlong-varint.pb", b"\x18" + b"\xff" * 10 + b"\x01")
    p("wrong-type-wire-type-id.pb", b"\x08\x05" + vpb)
    p("wrong-type-wire-type-features.pb", vpb + b"\x28\x01")
    p("malformed-truncated-unpacked-float.pb", vpb + b"\x2d\x00")
    p("malformed-packed-features-not-multiple-of-4.pb", b"\x0a\x04tx-1\x22\x05fraud\x2a\x03\x00\x00\x80")
    p("malformed-invalid-utf8-id.pb", b"\x0a\x03\xff\xfe\xfd\x22\x05fraud\x2a\x04\x00\x00\x80\x3f")
    p("wrong-type-wire-type-origin-gap.pb", msg(synthetic=True) + b"\x42\x0d\x0a\x01a\x12\x01b\x18\x01\x1d\x00\x00\x00\x3f")
    p("malformed-end-group.pb", vpb + b"\x0c")
    p("malformed-field-zero.pb", b"\x00\x01" + vpb)
    # Unknown groups nested far deeper than any limit, closed properly, then unclosed.
    p("malformed-deep-unknown-groups.pb", vpb + b"\x7b" * 2000 + b"\x7c" * 2000)
    p("malformed-deep-unknown-groups-unclosed.pb", vpb + b"\x7b" * 3900)
    p("malformed-deep-nested-origin.pb", vpb + b"\x42\x80\x0f" + b"\x42\x7f" * 960)
    p("malformed-garbage.pb", bytes([0xff] * 16))
    p("malformed-random-garbage.pb", bytes(random.Random(7).getrandbits(8) | 0x80 for _ in range(64)) + b"\xff")
    p("missing-field-id.pb", msg(id=None))
    p("missing-field-label.pb", msg(label=None))
    p("missing-field-features.pb", msg(features=[]))
    p("missing-field-empty-payload.pb", b"")
    p("missing-field-only-unknown-fields.pb", b"\x78\x01\x82\x01\x03abc")
    p("nonfinite-nan.pb", msg(features=[float("nan"), 1.0, 2.0, 3.0]))
    p("nonfinite-infinity.pb", msg(features=[1.0, float("inf"), 2.0, 3.0]))
    p("nonfinite-ts.pb", msg(ts=float("-inf")))
    p("id-too-long.pb", msg(id="i" * 257))
    long_neighbor = pb.Event.FromString(msg(synthetic=True))
    long_neighbor.origin.seed, long_neighbor.origin.neighbor, long_neighbor.origin.gap = "a", "n" * 257, 0.5
    p("id-too-long-origin-neighbor.pb", long_neighbor.SerializeToString())
    p("label-too-long.pb", msg(label="l" * 65))
    p("invalid-label-nul.pb", msg(label="fr\u0000aud"))
    p("invalid-label-right-to-left-override.pb", msg(label="fr\u202eaud"))
    p("invalid-label-c1.pb", msg(label="fraud\u009b"))
    p("feature-count-3-of-4.pb", msg(features=[1.0, 2.0, 3.0]))
    p("feature-count-5-of-4.pb", msg(features=[1.0, 2.0, 3.0, 4.0, 5.0]))
    p("unknown-label.pb", msg(label="7"))
    p("oversize-4097-bytes.pb", msg(categories=["x" * 4090]))


def observed_json(data):
    d = json.loads(data.decode("utf-8"))
    e = {"id": d["id"], "label": d["label"], "features": d["features"], "categories": d.get("categories", []),
         "synthetic": d.get("synthetic", False)}
    for key in ("ts", "seq", "origin"):
        if key in d:
            e[key] = d[key]
    return e


def observed_pb(data):
    m = pb.Event.FromString(data)
    e = {"id": m.id, "label": m.label, "features": list(m.features), "categories": list(m.categories),
         "synthetic": m.synthetic}
    if m.HasField("ts"):
        e["ts"] = m.ts
    if m.HasField("seq"):
        e["seq"] = m.seq
    if m.HasField("origin"):
        e["origin"] = {"seed": m.origin.seed, "neighbor": m.origin.neighbor, "gap": m.origin.gap}
    return e


def verify(directory):
    with open(os.path.join(FIXTURES, "interop", "expected.json"), encoding="utf-8") as f:
        manifest = [e for e in json.load(f) if e["name"].endswith(".pb")]
    failures = 0
    for entry in manifest:
        base = entry["name"][: -len(".pb")]
        want = expected(entry["name"], {
            "id": entry["id"], "label": entry["label"],
            "features": [struct.unpack("<f", struct.pack("<I", b))[0] for b in entry["features"]],
            "categories": entry["categories"], "synthetic": entry["synthetic"],
            **({"ts": struct.unpack("<d", struct.pack("<Q", int(entry["ts_bits"])))[0]} if "ts_bits" in entry else {}),
            **({"seq": int(entry["seq"])} if "seq" in entry else {}),
            **({"origin": {"seed": entry["origin"]["seed"], "neighbor": entry["origin"]["neighbor"],
                           "gap": struct.unpack("<f", struct.pack("<I", entry["origin"]["gap"]))[0]}}
               if "origin" in entry else {}),
        })
        for suffix, read in ((".json", observed_json), (".pb", observed_pb)):
            with open(os.path.join(directory, base + suffix), "rb") as f:
                got = expected(entry["name"], read(f.read()))
            if got != want:
                failures += 1
                print("MISMATCH %s%s\n  want %r\n  got  %r" % (base, suffix, want, got))
    print("verified %d events in json and protobuf, %d mismatches" % (len(manifest), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--verify":
        sys.exit(verify(sys.argv[2]))
    interop()
    hostile()
