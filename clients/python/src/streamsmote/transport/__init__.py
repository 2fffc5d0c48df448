"""Transports: how (topic, payload) pairs reach the daemon and come back from it.

A :class:`Sink` sends for a Publisher, a :class:`Source` receives for a Feed. The endpoint's
scheme picks the transport: ``tcp://``, ``ipc://`` and ``inproc://`` are ZeroMQ
(:mod:`streamsmote.transport.zeromq`); ``nats://`` is reserved for NATS JetStream, which
comes with the ``nats`` extra (``pip install 'streamsmote[nats]'``). Adding a transport is
one module with a Sink and/or a Source and one entry in ``_SINKS`` / ``_SOURCES``.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Protocol, Sequence, Tuple, Union


class Sink(Protocol):
    """Sends messages for a :class:`~streamsmote.Publisher`."""

    endpoint: str
    socket: object

    def send(self, topic: bytes, payload: bytes) -> None: ...

    def wait_for_subscribers(self, n: int, timeout: Optional[float]) -> bool: ...

    @property
    def subscribers(self) -> int: ...

    def close(self, linger: Optional[float]) -> None: ...


class Source(Protocol):
    """Receives messages for a :class:`~streamsmote.Feed`."""

    socket: object

    def recv(self, timeout: Optional[float]) -> Optional[Tuple[bytes, bytes]]:
        """The next (topic, payload), or None when ``timeout`` seconds passed without one
        (``timeout=None`` waits for ever)."""
        ...

    def wait_connected(self, timeout: Optional[float], connections: int) -> bool: ...

    @property
    def connections(self) -> int: ...

    @property
    def connected(self) -> bool: ...

    def close(self) -> None: ...


def _scheme(endpoint: str) -> str:
    scheme, sep, _ = endpoint.partition("://")
    if not sep:
        raise ValueError(f"endpoint {endpoint!r} has no scheme (tcp://, ipc://, inproc://, nats://)")
    return scheme


def _zeromq_sink(endpoint: str, **options) -> Sink:
    from .zeromq import ZeroMQSink

    return ZeroMQSink(endpoint, **options)


def _zeromq_source(endpoints: List[str], **options) -> Source:
    from .zeromq import ZeroMQSource

    return ZeroMQSource(endpoints, **options)


def _jetstream(*_args, **_options):
    # The JetStream transport (durable streams, acknowledgements after snapshots) lands
    # with the daemon's JetStream input and output; it goes in transport/jetstream.py.
    raise NotImplementedError("nats:// endpoints (NATS JetStream) are not supported by this version of streamsmote")


_SINKS: Dict[str, Callable[..., Sink]] = {"tcp": _zeromq_sink, "ipc": _zeromq_sink, "inproc": _zeromq_sink,
                                          "nats": _jetstream}
_SOURCES: Dict[str, Callable[..., Source]] = {"tcp": _zeromq_source, "ipc": _zeromq_source,
                                              "inproc": _zeromq_source, "nats": _jetstream}


def open_sink(endpoint: str, **options) -> Sink:
    """The sink for ``endpoint``; ``options`` are the transport's own (see its class)."""
    scheme = _scheme(endpoint)
    if scheme not in _SINKS:
        raise ValueError(f"endpoint {endpoint!r}: unsupported scheme {scheme!r}")
    return _SINKS[scheme](endpoint, **options)


def open_source(endpoints: Union[str, Sequence[str]], **options) -> Source:
    """The source for ``endpoints`` (one, or several of the same scheme, e.g. shards)."""
    endpoints = [endpoints] if isinstance(endpoints, str) else list(endpoints)
    if not endpoints:
        raise ValueError("no endpoint given")
    schemes = {_scheme(e) for e in endpoints}
    if len(schemes) != 1:
        raise ValueError(f"endpoints mix schemes: {', '.join(sorted(schemes))}")
    scheme = schemes.pop()
    if scheme not in _SOURCES:
        raise ValueError(f"endpoint {endpoints[0]!r}: unsupported scheme {scheme!r}")
    return _SOURCES[scheme](endpoints, **options)
