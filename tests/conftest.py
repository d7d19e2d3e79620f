import http.server
import threading
from pathlib import Path

import pytest

pytest_plugins = ["tests.support.corpora"]  # the corpus_dir fixture


class Site:
    """A local web server on 127.0.0.1: `pages[path] = (status, headers, body)`; every request is logged."""

    def __init__(self):
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[dict] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                site.requests.append({"path": self.path, "headers": dict(self.headers)})
                status, headers, body = site.pages.get(self.path, (404, {}, b"not found"))
                if status == 200 and headers.get("ETag") and self.headers.get("If-None-Match") == headers["ETag"]:
                    status, body = 304, b""
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    s = Site()
    yield s
    s.close()


@pytest.fixture
def write(tmp_path: Path):
    """write("a/b.md", "text") -> the path, folders made."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture(scope="session")
def embedded_teacher():
    """The embedded SmolLM2-135M in-process, loaded once for every `real` test that needs it."""
    from generation.teachers.llama import LlamaCppTeacher

    t = LlamaCppTeacher(n_ctx=2048)
    yield t
    t.close()
