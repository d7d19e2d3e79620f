"""Web pages through the one read path (ingest.read.read_all), as the scan stage reads a urls_file.

    python bench/fetch.py [--pages 2000] [--dead 8] [--latency 0]

Two measurements, each the wall time of reading every ref:
- `--pages` healthy pages of one local host (a threaded server in another process, 2 KB each, each
  answered after `--latency` seconds, as a distant or busy server would);
- `--dead` pages of a host that accepts connections and never answers (a listening socket that is
  never read: each fetch waits for its read timeout, sources.FETCH_TIMEOUT).

Only the public read_all(refs, max_bytes=...) is called, so the same script measures an older checkout
(copy it there and run it with that checkout's code first on sys.path).
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.read import UrlRef, read_all  # noqa: E402
from ingest.records import SourceError  # noqa: E402

SERVER = r'''
import http.server, sys, time
LATENCY = float(sys.argv[1])
PAGE = b"<html><head><title>Page</title></head><body><article><p>" + b"The mill was built in 1821. " * 70 + b"</p></article></body></html>"
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        time.sleep(LATENCY)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer.request_queue_size = 256
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(server.server_address[1], flush=True)
server.serve_forever()
'''


def timed(refs: list[UrlRef]) -> tuple[float, dict[str, int]]:
    kinds: dict[str, int] = {}
    started = time.perf_counter()
    for _, result in read_all(refs, max_bytes=10_000_000):
        kind = result.kind if isinstance(result, SourceError) else "ok"
        kinds[kind] = kinds.get(kind, 0) + 1
    return time.perf_counter() - started, kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--dead", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()

    server = subprocess.Popen([sys.executable, "-c", SERVER, str(args.latency)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        refs = [UrlRef(f"http://127.0.0.1:{port}/p{i}.html", f"http://127.0.0.1:{port}/p{i}.html") for i in range(args.pages)]
        seconds, kinds = timed(refs)
        print(f"{args.pages} healthy local pages ({args.latency:g} s latency): {seconds:.1f} s ({args.pages / seconds:.0f} pages/s) {kinds}", flush=True)
    finally:
        server.kill()

    with socket.socket() as silent:  # accepts (the kernel completes the handshake) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(128)
        port = silent.getsockname()[1]
        refs = [UrlRef(f"http://127.0.0.1:{port}/d{i}", f"http://127.0.0.1:{port}/d{i}") for i in range(args.dead)]
        seconds, kinds = timed(refs)
        print(f"{args.dead} pages of a host that never answers: {seconds:.1f} s {kinds}", flush=True)


if __name__ == "__main__":
    main()
