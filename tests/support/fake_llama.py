"""A fake llama-server for benchmarks at scale: one asyncio process that answers like llama-server on
one or several ports (several GPU hosts), each advertising `slots` through /props, and replies to
/v1/chat/completions after a chosen latency with pairs the grounding checker accepts.

    python -m tests.support.fake_llama --hosts 1 --slots 256 --latency 1-2 --ready-file ready.json

It writes its base URLs to `--ready-file` once it listens. It counts what a teacher host would see:
requests, requests in flight (the most at once, and their mean over time while any was in flight),
and the share of that time every slot was busy; GET /bench/stats gives the figures (all ports
together), POST /bench/reset starts them again. Like llama-server, it takes more requests than it
has slots and queues them (so in flight may exceed the slots; a teacher that does so is counted).

The reply is free-form's (qa_v1): {"pairs": [{"quotes", "question", "answer"}]}, one pair per
sentence of the chunk that states "<Name> was founded in <year>." or "In <year> it gained <n> new
rooms, ...", the quotes chosen from the schema's enum of the chunk's sentences when it sends one.
Each connection is answered and closed (the HTTP teacher keeps no connection alive).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

FOUNDED = re.compile(r"((?:The )?[A-Z][a-z]+(?: [A-Z][a-z]+)*) was (founded|built|opened) in (\d{4})\.")
ROOMS = re.compile(r"In (\d{4}) it gained (\d+) new rooms")
MODEL_ID = "/models/fake-7b-instruct.gguf"
N_CTX = 8192
MAX_HEADER_BYTES = 65536


def pairs_for(chunk: str, choices: list[str] | None, n: int) -> list[dict[str, Any]]:
    """Up to `n` true pairs about the chunk: its founding sentence first, then its rooms sentences."""
    sentences = choices or re.split(r"(?<=\.)\s+", chunk)
    pairs: list[dict[str, Any]] = []
    name = None
    for sentence in sentences:
        if m := FOUNDED.search(sentence):
            name = m[1]
            pairs.append({"quotes": [sentence], "question": f"When was {m[1]} {m[2]}?", "answer": f"{m[1]} was {m[2]} in {m[3]}."})
            break
    for sentence in sentences:
        if name and (m := ROOMS.search(sentence)):
            pairs.append(
                {"quotes": [sentence], "question": f"How many new rooms did {name} gain in {m[1]}?", "answer": f"{name} gained {m[2]} new rooms in {m[1]}."}
            )
    if not pairs:
        first = sentences[0] if sentences else "nothing"
        pairs.append({"quotes": [first], "question": "What is this?", "answer": "Nothing."})
    return pairs[:n]


def reply_text(body: dict[str, Any]) -> str:
    """The JSON a capable teacher would write for this free-form request."""
    user = next((m.get("content", "") for m in reversed(body.get("messages", [])) if m.get("role") == "user"), "")
    parts = user.split('"""')
    chunk = parts[1].strip() if len(parts) >= 3 else user
    wanted = re.search(r"Write (\d+) question-answer pairs", user)
    choices = None
    form = body.get("response_format") or {}
    schema = (form.get("json_schema") or {}).get("schema") or form.get("schema")
    if isinstance(schema, dict):
        quotes = schema.get("$defs", {}).get("QAPair", {}).get("properties", {}).get("quotes", {}).get("items", {})
        choices = quotes.get("enum")
    return json.dumps({"pairs": pairs_for(chunk, choices, int(wanted[1]) if wanted else 3)})


class Stats:
    """What the hosts saw, all ports together: in flight integrated over time while any request was."""

    def __init__(self, slots: int):
        self.slots = slots
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.first: float | None = None
        self.last: float | None = None
        self.changed = time.monotonic()
        self.area = 0.0  # in flight x seconds
        self.busy = 0.0  # seconds with any request in flight
        self.full = 0.0  # seconds with every slot busy

    def _advance(self) -> None:
        now = time.monotonic()
        span = now - self.changed
        if self.in_flight:
            self.area += self.in_flight * span
            self.busy += span
            if self.in_flight >= self.slots:
                self.full += span
        self.changed = now

    def start(self) -> None:
        self._advance()
        self.requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.first is None:
            self.first = time.time()

    def end(self) -> None:
        self._advance()
        self.in_flight -= 1
        self.last = time.time()

    def figures(self) -> dict[str, Any]:
        self._advance()
        return {
            "slots": self.slots,
            "requests": self.requests,
            "max_in_flight": self.max_in_flight,
            "mean_in_flight": self.area / self.busy if self.busy else 0.0,
            "busy_seconds": self.busy,
            "full_share": self.full / self.busy if self.busy else 0.0,
            "first": self.first,
            "last": self.last,
        }


class Host:
    def __init__(self, stats: Stats, slots: int, latency: tuple[float, float]):
        self.stats = stats
        self.slots = slots
        self.latency = latency

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if len(head) > MAX_HEADER_BYTES:
                return
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
            status, data = await self.answer(method, path.split("?", 1)[0], body)
            writer.write(
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def answer(self, method: str, path: str, raw: bytes) -> tuple[int, bytes]:
        if method == "GET" and path == "/props":
            return 200, json.dumps(
                {"total_slots": self.slots, "model_path": MODEL_ID, "default_generation_settings": {"n_ctx": N_CTX}}
            ).encode()
        if method == "GET" and path == "/v1/models":
            return 200, json.dumps({"object": "list", "data": [{"id": MODEL_ID, "object": "model", "meta": {"n_params": 7_000_000_000}}]}).encode()
        if method == "GET" and path == "/health":
            return 200, b'{"status": "ok"}'
        if method == "GET" and path == "/bench/stats":
            return 200, json.dumps(self.stats.figures()).encode()
        if method == "POST" and path == "/bench/reset":
            self.stats.reset()
            return 200, b"{}"
        body = json.loads(raw or b"{}")
        if method == "POST" and path == "/apply-template":
            return 200, json.dumps({"prompt": "".join(f"<|{m['role']}|>\n{m['content']}\n" for m in body.get("messages", []))}).encode()
        if method == "POST" and path == "/tokenize":  # about 4 characters a token, as a BPE tokenizer on English
            return 200, json.dumps({"tokens": list(range(len(body.get("content", "")) // 4 + 1))}).encode()
        if method == "POST" and path == "/v1/chat/completions":
            self.stats.start()
            try:
                await asyncio.sleep(random.uniform(*self.latency))
                text = reply_text(body)
                return 200, json.dumps(
                    {
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": len(raw) // 4, "completion_tokens": len(text) // 4},
                        "model": MODEL_ID,
                    }
                ).encode()
            finally:
                self.stats.end()
        return 404, b'{"error": {"message": "Not Found"}}'


def parse_latency(text: str) -> tuple[float, float]:
    """"1.5" or "1-2" (seconds, uniformly between)."""
    low, _, high = text.partition("-")
    return float(low), float(high or low)


async def serve(hosts: int, slots: int, latency: tuple[float, float], ready_file: Path) -> None:
    stats = Stats(slots * hosts)
    servers = []
    for _ in range(hosts):
        host = Host(stats, slots, latency)
        servers.append(await asyncio.start_server(host.handle, "127.0.0.1", 0, backlog=4096))
    urls = [f"http://127.0.0.1:{s.sockets[0].getsockname()[1]}" for s in servers]
    tmp = ready_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"urls": urls}))
    tmp.replace(ready_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        s.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=1, help="ports to listen on, each a host with --slots slots")
    parser.add_argument("--slots", type=int, default=256, help="slots per host, as /props total_slots")
    parser.add_argument("--latency", default="1-2", help="seconds per chat reply: '1.5', or '1-2' uniformly")
    parser.add_argument("--ready-file", type=Path, required=True, help="where the base URLs are written once listening")
    args = parser.parse_args()
    asyncio.run(serve(args.hosts, args.slots, parse_latency(args.latency), args.ready_file))
    return 0


if __name__ == "__main__":
    sys.exit(main())
