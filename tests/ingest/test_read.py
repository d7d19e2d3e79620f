"""The one read path: files and web pages in the order given, pages fetched concurrently per host, within
one budget for the whole read."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from contextlib import contextmanager

import ingest.read as read
from ingest.read import FETCH_PER_HOST, FileRef, Missing, UrlRef, read_all
from ingest.records import SourceError
from ingest.sources import Raw


class SlowSite:
    """Pages that each take `delay` seconds to answer; counts the requests in flight at once."""

    def __init__(self, delay: float):
        self.in_flight = 0
        self.most = 0
        lock = threading.Lock()
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with lock:
                    site.in_flight += 1
                    site.most = max(site.most, site.in_flight)
                try:
                    time.sleep(delay)
                    body = f"<html><body><p>{self.path}</p></body></html>".encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    with lock:
                        site.in_flight -= 1

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ref(self, path: str, host: str = "127.0.0.1") -> UrlRef:
        url = f"http://{host}:{self.port}{path}"
        return UrlRef(url, url)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def silent_host():
    """A port that accepts connections (the kernel completes them) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_results_keep_the_order_of_the_refs_while_pages_are_fetched_concurrently(tmp_path):
    site = SlowSite(delay=0.5)
    try:
        (tmp_path / "a.md").write_text("# A")
        refs = [site.ref("/1"), FileRef("a.md", tmp_path / "a.md"), *(site.ref(f"/{i}") for i in range(2, 9)),
                Missing("gone.md"), *(site.ref(f"/{i}", host="localhost") for i in range(9, 17))]
        started = time.monotonic()
        results = list(read_all(refs))
        took = time.monotonic() - started
    finally:
        site.close()
    assert [source_id for source_id, _ in results] == [ref.source_id for ref in refs]
    pages = [(source_id, r) for source_id, r in results if isinstance(r, Raw) and not source_id.endswith(".md")]
    assert len(pages) == 16 and all(f"<p>/{source_id.rsplit('/', 1)[1]}</p>".encode() in r.data for source_id, r in pages)
    assert isinstance(results[-9][1], SourceError) and results[-9][1].kind == "not_found"
    assert site.most <= 2 * FETCH_PER_HOST  # two host names: at most FETCH_PER_HOST from each
    assert took < 6, took  # 16 pages of 0.5 s one at a time would be 8 s; concurrently about 1 s


def test_pages_not_fetched_when_the_budget_is_spent_are_fetch_budget_failures(tmp_path):
    (tmp_path / "a.md").write_text("# A")
    with silent_host() as base:
        refs = [UrlRef(f"{base}/{i}", f"{base}/{i}") for i in range(6)] + [FileRef("a.md", tmp_path / "a.md")]
        started = time.monotonic()
        results = list(read_all(refs, fetch_budget=1.5))
        took = time.monotonic() - started
    kinds = [r.kind if isinstance(r, SourceError) else "ok" for _, r in results]
    assert kinds == ["fetch_budget"] * 6 + ["ok"]  # the files after the pages are still read
    assert all("[sources] fetch_budget = 1.5 s" in r.message for _, r in results[:6])
    assert took < 8, took  # not the 6 x 20 s each page's own timeout would take


def test_a_host_that_never_answers_costs_one_round_of_waiting_not_one_a_page(monkeypatch):
    monkeypatch.setattr(read, "FETCH_DEADLINE", 1.0)  # each page's own deadline, short for the test
    with silent_host() as base:
        refs = [UrlRef(f"{base}/{i}", f"{base}/{i}") for i in range(12)]
        started = time.monotonic()
        results = list(read_all(refs))
        took = time.monotonic() - started
    assert all(isinstance(r, SourceError) and r.kind == "fetch_failed" for _, r in results)
    assert sum("not fetched: the last" in r.message for _, r in results) >= 12 - FETCH_PER_HOST
    assert took < 6, took  # one round of 1 s; one at a time it would be 12 s


def test_a_read_stopped_early_cuts_its_fetches_in_flight():
    """The caller stops (Ctrl-C in `ingest`, an error): the pages in flight are cut, no thread waits on."""
    site = SlowSite(delay=0.0)
    try:
        with silent_host() as base:
            refs = [site.ref("/first"), *(UrlRef(f"{base}/{i}", f"{base}/{i}") for i in range(4))]
            stream = read_all(refs, fetch_budget=600)
            source_id, first = next(stream)
            assert isinstance(first, Raw)
            time.sleep(0.3)  # the silent pages are in flight
            stream.close()
            left = time.monotonic() + 10
            while time.monotonic() < left and any(t.name.startswith("groundqa-fetch") for t in threading.enumerate()):
                time.sleep(0.1)
            assert not any(t.name.startswith("groundqa-fetch") for t in threading.enumerate())
    finally:
        site.close()
