"""Publisher: labeled events into a StreamSMOTE daemon."""
from __future__ import annotations

from typing import Optional, Sequence, Union

from .codec import Codec, get_codec
from .transport import open_sink

__all__ = ["Publisher"]


class Publisher:
    """Sends labeled events to ``streamsmote run``, numbering them with ``seq``.

    By default it binds ``endpoint`` (as ``streamsmote replay`` does) and the daemon
    connects with ``streamsmote run --sub ENDPOINT``; with ``bind=False`` it connects to a
    daemon started with ``--sub-bind ENDPOINT``::

        with Publisher("tcp://127.0.0.1:5555") as pub:
            pub.wait_for_subscribers(timeout=30)      # the daemon has subscribed
            pub.send(id="tx-1", label="legit", features=[0.1, 2.0])

    Every event gets the next ``seq`` (1, 2, 3, … for the publisher's lifetime); the daemon
    tracks ``seq`` per topic and counts gaps as ``streamsmote_messages_lost_total``, so give
    each publisher its own ``topic`` when several feed one daemon.

    Args:
        endpoint: ``tcp://host:port`` (``tcp://127.0.0.1:*`` picks a free port; read it
            back from :attr:`endpoint`), ``ipc://path``, or ``inproc://name``.
        codec: ``"json"`` or ``"protobuf"``, as the daemon's ``--codec``; or a codec object.
        bind: bind (default) or connect.
        topic: the topic frame of every message (the daemon's ``--topic`` filters on its prefix).
        hwm: messages queued per subscriber before ``send`` drops (or blocks, with ``nodrop``).
        nodrop: a subscriber that falls behind slows the publisher down instead of losing
            events (ZeroMQ ``XPUB_NODROP``).
        send_timeout: with ``nodrop``, ``send`` raises TimeoutError after blocking this many
            seconds (None: wait as long as it takes).
        linger: seconds ``close`` waits for queued events to be sent (None: no limit).
        first_seq: the ``seq`` of the first event (a producer that resumes its numbering).
        **transport_options: passed to the transport, e.g. ``context``, ``socket_setup``
            (see :class:`streamsmote.transport.zeromq.ZeroMQSink`).
    """

    def __init__(self, endpoint: str, codec: Union[str, Codec] = "json", bind: bool = True, topic: str = "events",
                 *, hwm: int = 100_000, nodrop: bool = False, send_timeout: Optional[float] = None,
                 linger: Optional[float] = 10.0, first_seq: int = 1, **transport_options) -> None:
        if first_seq < 1:
            raise ValueError("first_seq must be at least 1")
        self.codec = get_codec(codec)
        self.topic = topic
        self._topic = topic.encode()
        self._linger = linger
        self._seq = first_seq - 1
        self.sent = 0
        self._sink = open_sink(endpoint, bind=bind, topic=self._topic, hwm=hwm, nodrop=nodrop,
                               send_timeout=send_timeout, **transport_options)

    @property
    def endpoint(self) -> str:
        """The endpoint as bound (with the port a ``*`` or ``0`` picked) or connected."""
        return self._sink.endpoint

    @property
    def socket(self):
        """The underlying socket, for what this class does not cover."""
        return self._sink.socket

    @property
    def seq(self) -> int:
        """The ``seq`` of the last event sent (``first_seq - 1`` before the first)."""
        return self._seq

    @property
    def subscribers(self) -> int:
        """How many subscribers currently subscribe to this publisher's topic."""
        return self._sink.subscribers

    def wait_for_subscribers(self, n: int = 1, timeout: Optional[float] = None) -> bool:
        """Blocks until ``n`` subscribers subscribed to the topic (a daemon subscribes as it
        connects). Returns False if ``timeout`` seconds passed first.

        Events sent before a subscriber's subscription arrived never reach it: wait before
        the first ``send`` and after a daemon restart.
        """
        return self._sink.wait_for_subscribers(n, timeout)

    def send(self, id: str, label: Union[str, int], features: Sequence[float], ts: Optional[float] = None,
             categories: Optional[Sequence[str]] = None) -> int:
        """Sends one event and returns its ``seq``.

        Args:
            id: the event id, a non-empty string (synthetic samples name it as their seed).
            label: the class label, a string or an integer.
            features: the feature values (a list, tuple or numpy array), finite 32-bit floats.
            ts: event time in seconds since the epoch; None: the daemon uses arrival time.
            categories: categorical values, for ``--variant smotenc``.

        Raises:
            ValueError: for an event the daemon would reject (empty id, non-finite feature…);
                nothing is sent and ``seq`` is not used up.
            TimeoutError: with ``nodrop`` and ``send_timeout``, a subscriber stayed full.
        """
        seq = self._seq + 1
        payload = self.codec.encode(id=id, label=label, features=features, ts=ts, seq=seq, categories=categories)
        self._sink.send(self._topic, payload)
        self._seq = seq
        self.sent += 1
        return seq

    def close(self, linger: Optional[float] = None) -> None:
        """Closes the socket, waiting up to ``linger`` seconds (default: the constructor's)
        for queued events to be sent."""
        self._sink.close(self._linger if linger is None else linger)

    def __enter__(self) -> "Publisher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
