"""The review page's local server: uvicorn on 127.0.0.1, a random free port unless one is asked for, a
random access token in the URL it prints (as Jupyter does), and the browser opened where there is one.

It never takes the run's lock: a nightly run goes on while the page is open (service.py says how the
store is shared)."""

from __future__ import annotations

import errno
import logging
import os
import secrets
import socket
import sys
import threading
import webbrowser
from typing import Callable

from generation.config import Corpus

from . import ReviewError
from .app import create_app
from .service import Reviewer

logger = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def can_open_browser() -> bool:
    """A browser to open: $BROWSER names one, or a desktop is there (not a server over ssh, not cron)."""
    if os.environ.get("BROWSER"):
        return True
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


class ReviewServer:
    """`start()` serves the page in a thread and returns its URL (tests, scripts); `serve_forever()` in this one
    (the command, until Ctrl-C). The token is new each time."""

    def __init__(self, corpus: Corpus, *, host: str = "127.0.0.1", port: int = 0, token: str | None = None):
        import uvicorn

        self.reviewer = Reviewer(corpus)
        self.token = token or secrets.token_urlsafe(24)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
        except OSError as exc:
            self.socket.close()
            self.reviewer.close()
            if exc.errno == errno.EADDRINUSE:
                raise ReviewError(f"port {port} on {host} is in use: pick another with --port, or leave --port out for a free one") from None
            raise ReviewError(f"cannot listen on {host}:{port} ({exc.strerror or exc}): check --host") from None
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        self.base = f"http://{shown}:{self.port}"
        self.url = f"{self.base}/?token={self.token}"
        app = create_app(self.reviewer, self.token, cookie=f"groundqa-review-{self.port}")
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
        self._thread: threading.Thread | None = None

    def serve_forever(self, open_browser: bool = True, on_ready: Callable[[str], None] | None = None) -> None:
        if on_ready:
            on_ready(self.url)
        if open_browser and can_open_browser():
            threading.Timer(0.5, webbrowser.open, [self.url]).start()
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.close()

    def start(self) -> str:
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True, name="groundqa-review")
        self._thread.start()
        while not self.server.started:
            if not self._thread.is_alive():
                raise ReviewError("the review server stopped as it started (see the log)")
            threading.Event().wait(0.02)
        return self.url

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.close()

    def close(self) -> None:
        self.socket.close()
        self.reviewer.close()

    def __enter__(self) -> "ReviewServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
