"""Payload codecs: the second frame of every message, JSON or Protocol Buffers.

Both carry the same fields (README "Events"; ``streamsmote.proto`` is the contract)::

    {"id":"tx-42","ts":1764403200.25,"seq":42,"label":"fraud","features":[0.12,-1.3,5.0],
     "categories":["5411","FR"],"synthetic":true,"origin":{"seed":"tx-7","neighbor":"tx-9","gap":0.25}}

``synthetic`` and ``origin`` appear on the daemon's synthetic output only. A codec is any
object with a ``name``, ``encode(**fields) -> bytes`` and ``decode(payload, topic) -> Sample``;
:func:`get_codec` turns ``"json"`` or ``"protobuf"`` into one and passes other objects through.
"""
from __future__ import annotations

import json
import math
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from .sample import Origin, Sample

__all__ = ["Codec", "DecodeError", "JSONCodec", "ProtobufCodec", "get_codec", "CODECS"]

# The daemon keeps features as 32-bit floats and rejects values that overflow them.
_FLOAT32_MAX = 3.4028234663852886e38


class DecodeError(ValueError):
    """A payload that is not a valid event in the codec."""


class Codec:
    """The interface of a payload codec (subclassing it is optional)."""

    name = "abstract"

    def encode(self, *, id: str, label: Union[str, int], features: Sequence[float], ts: Optional[float] = None,
               seq: Optional[int] = None, categories: Optional[Sequence[str]] = None, synthetic: bool = False,
               origin: Optional[Origin] = None) -> bytes:
        raise NotImplementedError

    def decode(self, payload: bytes, topic: str = "", feature_names: Optional[Sequence[str]] = None) -> Sample:
        raise NotImplementedError


def _check_fields(id: Any, label: Any, features: Iterable[Any], ts: Any, categories: Any) -> tuple:
    """Validates what the daemon would reject, before it goes on the wire; returns
    (label, features as floats, categories as a list)."""
    if not isinstance(id, str) or not id:
        raise ValueError(f"id must be a non-empty string, got {id!r}")
    if isinstance(label, bool) or not isinstance(label, (str, int)) or label == "":
        raise ValueError(f"label must be a non-empty string or an integer, got {label!r}")
    if hasattr(features, "tolist"):  # numpy arrays and scalars
        features = features.tolist()
    values = [float(v) for v in features]
    if not values:
        raise ValueError(f"event {id!r}: features must not be empty")
    for i, v in enumerate(values):
        if not -_FLOAT32_MAX <= v <= _FLOAT32_MAX:  # also false for NaN
            raise ValueError(f"event {id!r}: feature {i} is {v!r}, not a finite 32-bit float")
    if ts is not None and not math.isfinite(ts):
        raise ValueError(f"event {id!r}: ts is {ts!r}, not finite")
    cats: List[str] = []
    if categories:
        cats = list(categories)
        if not all(isinstance(c, str) for c in cats):
            raise ValueError(f"event {id!r}: categories must be strings, got {cats!r}")
    return label, values, cats


class JSONCodec(Codec):
    """Compact JSON, keys in the daemon's order; integer labels stay integers on the wire."""

    name = "json"

    def encode(self, *, id, label, features, ts=None, seq=None, categories=None, synthetic=False, origin=None):
        label, values, cats = _check_fields(id, label, features, ts, categories)
        event: Dict[str, Any] = {"id": id}
        if ts is not None:
            event["ts"] = float(ts)
        if seq is not None:
            event["seq"] = int(seq)
        event["label"] = label
        event["features"] = values
        if cats:
            event["categories"] = cats
        if synthetic:
            event["synthetic"] = True
        if origin is not None:
            event["origin"] = {"seed": origin[0], "neighbor": origin[1], "gap": float(origin[2])}
        return json.dumps(event, separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode()

    def decode(self, payload, topic="", feature_names=None):
        try:
            event = json.loads(payload)
            origin = event.get("origin")
            categories = event.get("categories")
            return Sample(
                id=_required_str(event, "id"),
                label=str(_required(event, "label")),
                features=[float(v) for v in _required(event, "features")],
                categories=[str(c) for c in categories] if categories else [],
                ts=float(event["ts"]) if event.get("ts") is not None else None,
                seq=int(event["seq"]) if event.get("seq") is not None else None,
                synthetic=event.get("synthetic") is True,
                origin=Origin(str(origin["seed"]), str(origin["neighbor"]), float(origin["gap"])) if origin else None,
                topic=topic, feature_names=feature_names)
        except DecodeError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise DecodeError(f"not a JSON event: {error}") from error


def _required(event: dict, key: str) -> Any:
    value = event.get(key)
    if value is None or value == "" or value == []:
        raise DecodeError(f"missing {key!r}")
    return value


def _required_str(event: dict, key: str) -> str:
    value = _required(event, key)
    if not isinstance(value, str):
        raise DecodeError(f"{key!r} is not a string")
    return value


class ProtobufCodec(Codec):
    """``streamsmote.v1.Event`` from ``streamsmote.proto`` (generated module ``streamsmote_pb2``)."""

    name = "protobuf"

    def __init__(self) -> None:
        from . import streamsmote_pb2  # imported on first use: JSON users never load protobuf

        self._event = streamsmote_pb2.Event

    def encode(self, *, id, label, features, ts=None, seq=None, categories=None, synthetic=False, origin=None):
        label, values, cats = _check_fields(id, label, features, ts, categories)
        message = self._event(id=id, label=str(label), features=values, categories=cats, synthetic=synthetic)
        if ts is not None:
            message.ts = float(ts)
        if seq is not None:
            message.seq = int(seq)
        if origin is not None:
            message.origin.seed, message.origin.neighbor, message.origin.gap = origin[0], origin[1], float(origin[2])
        return message.SerializeToString()

    def decode(self, payload, topic="", feature_names=None):
        message = self._event()
        try:
            message.ParseFromString(payload)
        except Exception as error:  # google.protobuf.message.DecodeError, and RuntimeWarning-free
            raise DecodeError(f"not a streamsmote.v1.Event: {error}") from error
        if not message.id or not message.label or not message.features:
            raise DecodeError("missing id, label or features")
        origin = None
        if message.HasField("origin"):
            o = message.origin
            origin = Origin(o.seed, o.neighbor, o.gap)
        return Sample(
            id=message.id, label=message.label, features=list(message.features),
            categories=list(message.categories),
            ts=message.ts if message.HasField("ts") else None,
            seq=message.seq if message.HasField("seq") else None,
            synthetic=message.synthetic, origin=origin, topic=topic, feature_names=feature_names)


CODECS = {"json": JSONCodec, "protobuf": ProtobufCodec}


def get_codec(codec: Union[str, Codec]) -> Codec:
    """``"json"`` or ``"protobuf"`` (as the daemon's ``--codec``), or a codec object as is."""
    if isinstance(codec, str):
        try:
            return CODECS[codec]()
        except KeyError:
            raise ValueError(f"unknown codec {codec!r}; expected one of {', '.join(CODECS)}") from None
    if not (hasattr(codec, "encode") and hasattr(codec, "decode")):
        raise TypeError(f"a codec needs encode and decode methods, got {codec!r}")
    return codec
