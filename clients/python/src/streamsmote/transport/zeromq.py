"""ZeroMQ transport: an XPUB for publishers, a SUB for feeds (two frames: topic, payload).

Sockets are not thread-safe: use a Publisher or a Feed from one thread at a time.
"""
from __future__ import annotations

import time
from typing import Callable, List, Optional, Tuple

import zmq
from zmq.utils.monitor import parse_monitor_message

SocketSetup = Callable[[zmq.Socket], None]

# Drain the XPUB's subscription messages every so many sends, so that ``subscribers``
# stays current without a poll per message.
_DRAIN_EVERY = 4096


def _milliseconds(seconds: Optional[float]) -> int:
    return -1 if seconds is None else max(0, int(round(seconds * 1000)))


def _keepalive(socket: zmq.Socket) -> None:
    # A peer whose machine vanished sends no FIN; TCP keep-alive finds out within about a
    # minute. ZeroMQ heartbeats would too, but they time out when a slow reader's queue is
    # full (libzmq stops reading the connection), which would drop a healthy connection.
    socket.setsockopt(zmq.TCP_KEEPALIVE, 1)
    socket.setsockopt(zmq.TCP_KEEPALIVE_IDLE, 30)
    socket.setsockopt(zmq.TCP_KEEPALIVE_INTVL, 10)
    socket.setsockopt(zmq.TCP_KEEPALIVE_CNT, 3)


class ZeroMQSink:
    """An XPUB socket that binds (default) or connects, and counts its subscribers.

    Options:
        bind: bind ``endpoint`` (``streamsmote run --sub`` connects) or connect to it
            (``streamsmote run --sub-bind``).
        topic: the topic frame the publisher sends; subscribers are counted when their
            subscription prefix matches it.
        hwm: queue limit per subscriber, in messages (0: unlimited).
        nodrop: block (``XPUB_NODROP``) when a subscriber's queue is full, instead of
            dropping the message (the daemon counts drops as lost ``seq`` numbers).
        send_timeout: with ``nodrop``, raise TimeoutError after blocking this long (None:
            block until there is room).
        reconnect_interval: seconds between reconnection attempts when connecting.
        context: a zmq.Context to use; by default the sink makes its own and terminates it
            on close, which is what makes ``close`` wait until queued messages are sent.
        socket_setup: called with the socket before it binds or connects, to set further
            options (CURVE keys, for example).
    """

    def __init__(self, endpoint: str, *, bind: bool = True, topic: bytes = b"", hwm: int = 100_000,
                 nodrop: bool = False, send_timeout: Optional[float] = None, reconnect_interval: float = 0.1,
                 context: Optional[zmq.Context] = None, socket_setup: Optional[SocketSetup] = None) -> None:
        self._own_context = context is None
        self._context = zmq.Context() if context is None else context
        self._topic = topic
        self._subscribers = 0
        self._since_drain = 0
        socket = self._context.socket(zmq.XPUB)
        try:
            socket.setsockopt(zmq.SNDHWM, hwm)
            # Every subscribe and unsubscribe reaches us, also a second subscriber's
            # subscription to a prefix someone already subscribed to: we can count them.
            socket.setsockopt(zmq.XPUB_VERBOSER, 1)
            if nodrop:
                socket.setsockopt(zmq.XPUB_NODROP, 1)
                socket.setsockopt(zmq.SNDTIMEO, _milliseconds(send_timeout))
            socket.setsockopt(zmq.RECONNECT_IVL, _milliseconds(reconnect_interval))
            _keepalive(socket)
            if socket_setup is not None:
                socket_setup(socket)
            if bind:
                socket.bind(endpoint)
            else:
                socket.connect(endpoint)
        except BaseException:
            socket.close(0)
            if self._own_context:
                self._context.term()
            raise
        self.socket = socket
        self.endpoint = socket.getsockopt_string(zmq.LAST_ENDPOINT) if bind else endpoint

    @property
    def subscribers(self) -> int:
        """Subscriptions currently matching the topic (one per subscriber that subscribed
        once to a matching prefix, as the daemon does)."""
        self._drain()
        return self._subscribers

    def _drain(self) -> None:
        self._since_drain = 0
        while True:
            try:
                message = self.socket.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._note(message)

    def _note(self, message: bytes) -> None:
        if message[:1] not in (b"\x00", b"\x01") or not self._topic.startswith(message[1:]):
            return
        if message[:1] == b"\x01":
            self._subscribers += 1
        elif self._subscribers > 0:
            self._subscribers -= 1

    def wait_for_subscribers(self, n: int = 1, timeout: Optional[float] = None) -> bool:
        """Waits until at least ``n`` subscriptions match; False if ``timeout`` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._drain()
        while self._subscribers < n:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            if self.socket.poll(_milliseconds(remaining) if remaining is not None else None, zmq.POLLIN):
                self._drain()
        return True

    def send(self, topic: bytes, payload: bytes) -> None:
        try:
            self.socket.send_multipart((topic, payload), copy=len(payload) < 4096)
        except zmq.Again:
            raise TimeoutError("a subscriber's queue stayed full for the whole send_timeout") from None
        self._since_drain += 1
        if self._since_drain >= _DRAIN_EVERY:
            self._drain()

    def close(self, linger: Optional[float] = 10.0) -> None:
        """Closes the socket; with its own context, waits up to ``linger`` seconds until
        what is queued has been handed to the network (None: as long as it takes)."""
        if self.socket.closed:
            return
        self.socket.close(linger=_milliseconds(linger))
        if self._own_context:
            self._context.term()


class ZeroMQSource:
    """A SUB socket connected to one or more daemons' ``--pub`` endpoints.

    ZeroMQ reconnects by itself (every ``reconnect_interval`` seconds) and subscribes again,
    so a daemon that restarts on the same endpoint is picked up again; a socket monitor
    counts completed connections (``connections``) so that a caller can wait for one.

    Options:
        topics: topic prefixes to subscribe to (None or empty: everything).
        hwm: receive queue limit in messages (0: unlimited). Beyond it, and beyond the
            daemon's ``--send-hwm``, the daemon drops and counts
            ``streamsmote_publish_dropped_total``.
        reconnect_interval: seconds between reconnection attempts.
        bind: bind the endpoints instead of connecting (for a daemon behind a proxy).
        context, socket_setup: as for :class:`ZeroMQSink`.
    """

    def __init__(self, endpoints: List[str], *, topics: Optional[List[str]] = None, hwm: int = 100_000,
                 reconnect_interval: float = 0.1, bind: bool = False, context: Optional[zmq.Context] = None,
                 socket_setup: Optional[SocketSetup] = None) -> None:
        self._own_context = context is None
        self._context = zmq.Context() if context is None else context
        self._connections = 0
        self._live = 0
        self.malformed = 0
        socket = self._context.socket(zmq.SUB)
        monitor = None
        try:
            socket.setsockopt(zmq.RCVHWM, hwm)
            socket.setsockopt(zmq.LINGER, 0)
            socket.setsockopt(zmq.RECONNECT_IVL, _milliseconds(reconnect_interval))
            _keepalive(socket)
            for topic in topics or [""]:
                socket.setsockopt(zmq.SUBSCRIBE, topic.encode() if isinstance(topic, str) else topic)
            if socket_setup is not None:
                socket_setup(socket)
            monitor = socket.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED)
            for endpoint in endpoints:
                (socket.bind if bind else socket.connect)(endpoint)
        except BaseException:
            if monitor is not None:
                monitor.close(0)
            socket.close(0)
            if self._own_context:
                self._context.term()
            raise
        self.socket = socket
        self._monitor = monitor
        self._poller = zmq.Poller()
        self._poller.register(socket, zmq.POLLIN)
        self._poller.register(monitor, zmq.POLLIN)

    def _watch(self) -> None:
        while True:
            try:
                event = parse_monitor_message(self._monitor.recv_multipart(zmq.NOBLOCK))["event"]
            except zmq.Again:
                return
            if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self._connections += 1
                self._live += 1
            elif event == zmq.EVENT_DISCONNECTED and self._live > 0:
                self._live -= 1

    @property
    def connections(self) -> int:
        """Connections whose handshake completed since the start."""
        self._watch()
        return self._connections

    @property
    def connected(self) -> bool:
        """Whether at least one connection is up right now."""
        self._watch()
        return self._live > 0

    def recv(self, timeout: Optional[float] = None) -> Optional[Tuple[bytes, bytes]]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                frames = self.socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                ready = dict(self._poller.poll(None if remaining is None else _milliseconds(remaining)))
                if self._monitor in ready:
                    self._watch()
                continue
            if len(frames) == 2:
                return frames[0], frames[1]
            self.malformed += 1

    def wait_connected(self, timeout: Optional[float] = None, connections: int = 1) -> bool:
        """Waits until ``connections`` connections have completed their handshake since the
        start (so ``connections=n + 1`` after ``n`` waits for a reconnection)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._watch()
        while self._connections < connections:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            if self._monitor.poll(None if remaining is None else _milliseconds(remaining), zmq.POLLIN):
                self._watch()
        return True

    def close(self) -> None:
        if self.socket.closed:
            return
        self.socket.disable_monitor()
        self._monitor.close(0)
        self.socket.close(0)
        if self._own_context:
            self._context.term()
