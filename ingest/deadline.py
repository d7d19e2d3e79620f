"""A total deadline for one HTTP exchange, headers and body included.

httpx's timeouts are per operation: a server that sends a header line or a body byte every few seconds
never trips them, and one exchange can last hours. A `Watchdog` is handed to httpx as the request's
`trace` extension, so it learns every socket the request opens (httpcore's documented
`connection.connect_tcp` and `connection.start_tls` events, redirects included); at the deadline it
shuts those sockets down, and the read blocked on one of them ends at once. The caller then sees an
httpx error, asks `watchdog.expired`, and reports the deadline.

    with Watchdog(120.0) as dog:
        with client.stream("GET", url, extensions=dog.extensions) as response:
            ...

Only sockets opened during the block are watched: the client must not reuse a kept-alive connection
(`httpx.Limits(max_keepalive_connections=0)`), or the exchange on it is cut only between the chunks the
caller reads. Connecting itself is bounded by httpx's connect timeout, which callers keep within the
deadline.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

# The events that hand over a new connection's stream (its return_value); the TLS stream wraps the
# same file descriptor under a new socket object, so both are kept.
_NEW_STREAM_EVENTS = ("connection.connect_tcp.complete", "connection.start_tls.complete", "connection.connect_unix_socket.complete")


class Watchdog:
    """Shuts down the sockets of one exchange `seconds` after it is entered (or when `fire` is called)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._done = False
        self._timer: threading.Timer | None = None

    def __enter__(self) -> "Watchdog":
        self.ends = time.monotonic() + self.seconds
        self._timer = threading.Timer(max(0.0, self.seconds), self.fire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done = True
            self._sockets.clear()
        if self._timer is not None:
            self._timer.cancel()

    @property
    def extensions(self) -> dict[str, Any]:
        """The `extensions` argument for the httpx request."""
        return {"trace": self._trace}

    @property
    def expired(self) -> bool:
        return self.fired or time.monotonic() >= self.ends

    def left(self) -> float:
        return max(0.0, self.ends - time.monotonic())

    def fire(self) -> None:
        """End the exchange now: every socket it opened is shut down (and any it opens from now on)."""
        with self._lock:
            if self._done:
                return
            self.fired = True
            for sock in self._sockets:
                _shut(sock)

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event not in _NEW_STREAM_EVENTS:
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is None:
            return
        with self._lock:
            if self._done:
                return
            self._sockets.append(sock)
            if self.fired:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    """shutdown(2) wakes a thread blocked reading the socket (close does not, on Linux). The plain
    socket's method, also for a TLS socket: SSLSocket.shutdown would drop its TLS state under the
    reading thread."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:  # already closed, or never connected
        pass
