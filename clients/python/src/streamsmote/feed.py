"""Feed: the daemon's output (synthetic samples, and real events with ``--forward-real``)."""
from __future__ import annotations

import time
from typing import Iterator, Optional, Sequence, Tuple, Union

from .codec import Codec, DecodeError, get_codec
from .sample import Sample
from .transport import open_source

__all__ = ["Feed"]


class Feed:
    """Subscribes to a daemon's ``--pub`` endpoint and yields :class:`Sample` objects::

        with Feed("tcp://127.0.0.1:5556", timeout=10) as feed:
            for sample in feed:                   # ends after 10 s without a message
                print(sample.id, sample.label, sample.synthetic, sample.origin)

    With ``--forward-real`` the real events come first, on ``real.<label>``, each followed
    by the synthetic samples it triggered on ``synthetic.<label>``. The connection is
    re-established by itself when the daemon restarts on the same endpoint; what the daemon
    publishes while the Feed is disconnected is not received.

    Args:
        endpoint: the daemon's ``--pub`` endpoint, or a list of them (several shards).
        codec: ``"json"`` or ``"protobuf"``, as the daemon's ``--codec``; or a codec object.
        topics: topic prefixes to receive (e.g. ``["synthetic."]``); None: everything.
        timeout: iteration ends after this many seconds without a message (None: never).
        max_events: iteration ends once this Feed has received this many samples, counted
            over its lifetime (``recv`` included; None: never).
        feature_names: keys of :attr:`Sample.x` (default ``f0``, ``f1``, …).
        strict: raise :class:`~streamsmote.codec.DecodeError` on a payload that does not
            decode; by default it is skipped and counted in :attr:`skipped`.
        hwm: messages queued here before the daemon starts queueing (and then dropping).
        **transport_options: passed to the transport, e.g. ``reconnect_interval``,
            ``context``, ``socket_setup`` (see :class:`streamsmote.transport.zeromq.ZeroMQSource`).
    """

    def __init__(self, endpoint: Union[str, Sequence[str]], codec: Union[str, Codec] = "json",
                 topics: Optional[Sequence[str]] = None, *, timeout: Optional[float] = None,
                 max_events: Optional[int] = None, feature_names: Optional[Sequence[str]] = None,
                 strict: bool = False, hwm: int = 100_000, **transport_options) -> None:
        self.codec = get_codec(codec)
        self.timeout = timeout
        self.max_events = max_events
        self.feature_names = list(feature_names) if feature_names is not None else None
        self.strict = strict
        self.received = 0
        self.skipped = 0
        self._source = open_source(endpoint, topics=list(topics) if topics else None, hwm=hwm, **transport_options)

    @property
    def socket(self):
        """The underlying socket, for what this class does not cover."""
        return self._source.socket

    @property
    def connections(self) -> int:
        """Connections completed since the start (a reconnection adds one)."""
        return self._source.connections

    @property
    def connected(self) -> bool:
        """Whether a connection to a daemon is up right now."""
        return self._source.connected

    def wait_connected(self, timeout: Optional[float] = None, connections: int = 1) -> bool:
        """Waits until ``connections`` connections to the daemon(s) have been made since the
        start; False if ``timeout`` seconds passed first. After a daemon restart,
        ``wait_connected(connections=feed.connections + 1)`` waits for the reconnection.

        The subscription travels to the daemon just after the connection, so an event
        published at that very moment may still miss this Feed.
        """
        return self._source.wait_connected(timeout, connections)

    def recv(self, timeout: Optional[float] = None) -> Optional[Sample]:
        """The next sample, or None after ``timeout`` seconds without one (None: wait).
        Ignores ``max_events``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            message = self._source.recv(remaining)
            if message is None:
                return None
            topic, payload = message
            try:
                sample = self.codec.decode(payload, topic.decode("utf-8", "replace"), self.feature_names)
            except DecodeError:
                if self.strict:
                    raise
                self.skipped += 1
                continue
            self.received += 1
            return sample

    def __iter__(self) -> Iterator[Sample]:
        while self.max_events is None or self.received < self.max_events:
            sample = self.recv(self.timeout)
            if sample is None:
                return
            yield sample

    def xy(self, categories: bool = False) -> Iterator[Tuple[dict, str]]:
        """``(sample.x, sample.label)`` pairs for river (``sample.x_with_categories`` with
        ``categories=True``)::

            for x, y in feed.xy():
                model.learn_one(x, y)
        """
        for sample in self:
            yield (sample.x_with_categories if categories else sample.x), sample.label

    def batches(self, size: int = 256, *, dtype=float):
        """Mini-batches for scikit-learn's ``partial_fit``: see :func:`streamsmote.batches`."""
        from .training import batches

        return batches(self, size, dtype=dtype)

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> "Feed":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
