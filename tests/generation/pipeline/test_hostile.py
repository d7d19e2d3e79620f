"""Sources no one should have to imagine, met by a nightly run: each is a counted failure with its own
reason, the other documents' pairs are published, and the next run behaves. Built on the spot: a FIFO,
a symlink loop, PDFs whose page tree lies or loops, a page nested 100,000 deep, a charset that is not
one, a name that is not UTF-8, a slow web page, a worker that hangs or dies."""

from __future__ import annotations

import http.server
import os
import threading
import time
from pathlib import Path

import pytest

import ingest.pool as pool
from generation.config import load_corpus
from generation.pipeline.run import Run
from generation.pipeline.status import corpus_status
from ingest.records import SourceError
from ingest.sources import fetch_url
from tests.support.corpora import fake, lines, run, write_corpus

TOML = '[chunking]\ntokens = 64\noverlap = 8\n[output]\nformats = ["alpaca"]\n'


@pytest.fixture
def kb(tmp_path):
    return write_corpus(tmp_path / "kb", TOML)


def failures(outcome) -> dict[str, str]:
    return {f["source"]: f["kind"] for f in outcome.manifest["failures"] if f["stage"] == "extract"}


def published_sources(root: Path) -> set[str]:
    return {p["source_id"] for p in lines(root / "out" / "pairs.jsonl")}


def pdf(objects: list[bytes]) -> bytes:
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    return out + f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()


LYING_COUNT = pdf([
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 2147483647 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
])
LOOPING_TREE = pdf([
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
])


def test_hostile_files_are_counted_reasons_and_every_other_document_is_published(kb):
    os.mkfifo(kb / "pipe.md")  # read, it would block the run forever
    os.symlink("loop.md", kb / "loop.md")
    (kb / "count.pdf").write_bytes(LYING_COUNT)
    (kb / "tree.pdf").write_bytes(LOOPING_TREE)
    deep = "<html><body>" + "<div>" * 100_000 + "<p>The Deep Hall was built in 1900.</p>" + "</div>" * 100_000 + "</body></html>"
    (kb / "deep.html").write_text(deep)
    (kb / "rot.html").write_bytes(
        b'<html><head><meta charset="rot13"><title>Rot</title></head><body><article><p>The Rot Mill was opened in 1931. '
        b"Its caf\xe9 serves coffee to the people of the town every day of the week.</p></article></body></html>"
    )
    name = os.fsencode(kb) + b"/caf\xe9.md"
    with open(name, "wb") as f:
        f.write(b"# Cafe\n\nThe Old Cafe was founded in 1888.")
    (kb / "outside.md").symlink_to("/etc/hostname")

    outcome = run(kb)
    assert failures(outcome) == {
        "pipe.md": "not_a_regular_file", "loop.md": "symlink_loop", "count.pdf": "extract_error",
        "tree.pdf": "extract_error", "deep.html": "too_deep",
    }
    messages = {f["source"]: f["message"] for f in outcome.manifest["failures"]}
    assert "named pipe" in messages["pipe.md"] and "cycle in page tree" in messages["tree.pdf"]
    assert "Invalid number of pages" in messages["count.pdf"] and "100,0" in messages["deep.html"]
    assert outcome.manifest["skipped"] == [{"source": "outside.md", "reason": "a symbolic link to /etc/hostname, outside the corpus folder: not read"}]
    assert published_sources(kb) == {"alder.md", "birch.txt", "cedar.md", "rot.html", "caf\\xe9.md"}
    assert outcome.exit_code == 3
    rot = next(p for p in lines(kb / "out" / "pairs.jsonl") if p["source_id"] == "rot.html")
    assert "Its café serves" in rot["context"]  # not rot13: the bytes read as the Latin text they are
    (kb / "out" / "pairs.jsonl").read_bytes().decode("utf-8")  # every output stays UTF-8
    # The next run and `status` meet the same files calmly; nothing is extracted again.
    status = corpus_status(load_corpus(kb))
    assert "pipe.md (not_a_regular_file)" in status["changes"]["unreadable"]
    again = run(kb)
    assert failures(again) == failures(outcome) and again.manifest["sources"]["added"] == 0
    assert all("not tried again" in f["message"] for f in again.manifest["failures"] if f["kind"] in ("extract_error", "too_deep"))


def test_a_failed_document_is_not_tried_again_until_its_bytes_change(kb, monkeypatch):
    (kb / "tree.pdf").write_bytes(LOOPING_TREE)
    first = run(kb)
    assert failures(first) == {"tree.pdf": "extract_error"}
    started = []
    real_slot = pool._Slot
    monkeypatch.setattr(pool, "_Slot", lambda *a: started.append(1) or real_slot(*a))
    second = run(kb)
    assert failures(second) == {"tree.pdf": "extract_error"} and started == []  # no worker started at all
    (kb / "tree.pdf").write_bytes(pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length 62 >>\nstream\nBT /F1 12 Tf 72 720 Td (The Tree House was built in 1977.) Tj ET\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]))
    third = run(kb)
    assert failures(third) == {} and started and "tree.pdf" in published_sources(kb)


@pytest.mark.parametrize("jobs", [1, 2])  # one worker: the document it held next is handed on, not lost
def test_an_extraction_that_hangs_is_stopped_at_its_budget_and_the_run_goes_on(kb, jobs):
    (kb / "corpus.toml").write_text(TOML + "[sources]\nextract_timeout = 1\n")
    # trafilatura is superlinear in page size: a few MB of paragraphs takes many seconds
    rows = "".join(f"<p>Row {i} of the big table tells of the hall and the mill, the bridge and the town.</p>" for i in range(60_000))
    (kb / "a-big.html").write_text(f"<html><body><article>{rows}</article></body></html>")  # read first
    started = time.monotonic()
    outcome = Run(load_corpus(kb), teacher=fake(), jobs=jobs).run()
    assert failures(outcome) == {"a-big.html": "extract_timeout"} and time.monotonic() - started < 30
    assert published_sources(kb) == {"alder.md", "birch.txt", "cedar.md"}


def test_a_worker_that_dies_is_a_counted_crash_and_a_new_worker_takes_the_rest(kb, monkeypatch):
    # long enough that the worker is still on it when it dies (a worker is sent its next document early)
    (kb / "crash.md").write_text("# Crash\n\n" + "The Crash Inn was opened in 1850. " * 50_000)
    real_give, real_done = pool._Slot.give, pool._Slot.done

    def give(slot, key, raw):  # a worker holds two documents: it dies once crash.md is the one it works on
        real_give(slot, key, raw)
        if slot.tasks[0][0] == "crash.md":
            slot.process.kill()  # as MuPDF segfaulting, or the kernel's OOM killer, would

    def done(slot):
        task = real_done(slot)
        if slot.tasks and slot.tasks[0][0] == "crash.md":
            slot.process.kill()
        return task

    monkeypatch.setattr(pool._Slot, "give", give)
    monkeypatch.setattr(pool._Slot, "done", done)
    outcome = Run(load_corpus(kb), teacher=fake(), jobs=1).run()
    assert failures(outcome) == {"crash.md": "extract_crashed"}
    assert "SIGKILL" in next(f["message"] for f in outcome.manifest["failures"] if f["source"] == "crash.md")
    assert published_sources(kb) == {"alder.md", "birch.txt", "cedar.md"}


def test_a_page_that_trickles_is_cut_at_its_total_deadline():
    class Trickle(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(100):  # a byte every 0.2 s: each read is quick, the page never ends
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:  # the fetch hung up, as it should
                pass

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        with pytest.raises(SourceError) as failed:
            fetch_url(f"http://127.0.0.1:{server.server_address[1]}/slow.html", timeout=5, deadline=1.0)
        assert failed.value.kind == "fetch_failed" and "more than 1 s" in failed.value.message
        assert time.monotonic() - started < 4
    finally:
        server.shutdown()


def test_a_page_that_trickles_its_headers_is_cut_at_its_total_deadline():
    """A header line every 0.5 s: each read is quick, and before the headers end no per-read timeout or
    body check could stop it (hours a URL, with the header size cap)."""

    class TrickleHeaders(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for i in range(600):
                    self.wfile.write(f"X-Slow-{i}: {i}\r\n".encode())
                    self.wfile.flush()
                    time.sleep(0.5)
            except OSError:  # the fetch hung up, as it should
                pass

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TrickleHeaders)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        with pytest.raises(SourceError) as failed:
            fetch_url(f"http://127.0.0.1:{server.server_address[1]}/slow.html", timeout=5, deadline=1.5)
        assert failed.value.kind == "fetch_failed"
        assert "more than 1.5 s to arrive (its headers not complete)" in failed.value.message
        assert time.monotonic() - started < 8
    finally:
        server.shutdown()
        server.server_close()


def test_ingest_names_every_file_in_full_and_skips_a_corpus_folders_own_files(kb, tmp_path):
    from typer.testing import CliRunner

    from generation.cli import app

    long_name = "009-pdflatex-geotechnical-report-for-the-northern-embankment-of-the-river-crossing.pdf"
    (kb / long_name).write_bytes(LOOPING_TREE)
    (kb / "out").mkdir()
    (kb / "out" / "pairs.jsonl").write_text("{}\n")
    result = CliRunner().invoke(app, ["ingest", str(kb)], terminal_width=80)
    flat = "".join(result.output.split())
    assert long_name.replace(" ", "") in flat and "extract_error" in result.output
    assert "corpus.toml" not in result.output and "pairs.jsonl" not in result.output
    assert result.exit_code == 3 and "3 read, 1 failed" in result.output


def test_large_documents_sent_to_one_worker_never_deadlock_and_a_stdin_script_can_use_the_pool(tmp_path):
    """A document is sent ahead to a busy worker only when it is small: a large one waiting in the pipe
    while the worker sends a large reply would block both for good. Run as `python - < script`, whose
    __main__ is no file the workers could import."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})\n"
        "from ingest.pool import ExtractPool, Limits\n"
        "from ingest.sources import Raw\n"
        "text = ('The Alder Mill was founded in 1821. It made paper for the county and the town. ' * 6000).encode()\n"
        "items = [(i, Raw(source_id=f'd{i}.txt', data=text)) for i in range(4)] + [(9, Raw(source_id='s.md', data=b'# S\\n\\nSmall.'))]\n"
        "with ExtractPool((512, 64, 'cl100k_base'), jobs=1, limits=Limits(seconds=60)) as pool:\n"
        "    results = dict(pool.map(items))\n"
        "print(sorted(k for k, r in results.items() if isinstance(r, tuple)))\n"
    )
    done = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[0, 1, 2, 3, 9]"


def test_a_remembered_failure_keeps_one_message_and_budget_failures_are_tried_again(kb):
    (kb / "tree.pdf").write_bytes(LOOPING_TREE)
    for _ in range(3):
        outcome = run(kb)
    message = next(f["message"] for f in outcome.manifest["failures"] if f["source"] == "tree.pdf")
    assert message.count("not tried again") == 1
    from generation.pipeline.scan import NOT_REMEMBERED

    assert {"extract_timeout", "extract_crashed"} <= NOT_REMEMBERED  # a raised budget or a quieter night may succeed


def test_two_names_with_the_same_id_are_a_counted_failure_not_a_crash(kb):
    with open(os.fsencode(kb) + b"/caf\xe9.md", "wb") as f:
        f.write(b"# Cafe\n\nThe Old Cafe was founded in 1888.")
    (kb / "caf\\xe9.md").write_text("# Other\n\nThe Other Cafe was founded in 1899.")
    outcome = run(kb)
    assert list(failures(outcome).values()) == ["duplicate_source_id"]
    assert {"alder.md", "birch.txt", "cedar.md", "caf\\xe9.md"} <= published_sources(kb)


def test_ingest_of_two_folders_with_the_same_file_names_reads_both(tmp_path):
    from typer.testing import CliRunner

    from generation.cli import app

    for folder in ("d1", "d2"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.md").write_text(f"# {folder}\n\nThe {folder} Mill was founded in 1821.")
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "d1"), str(tmp_path / "d2"), "--out", str(tmp_path / "c.jsonl")])
    assert "2 read, 0 failed, 2 chunks" in result.output
    assert len((tmp_path / "c.jsonl").read_text().splitlines()) == 2


def test_a_corpus_copied_from_macos_with_nfd_names_is_the_same_documents(kb):
    import unicodedata

    nfc = unicodedata.normalize("NFC", "café.md")
    (kb / nfc).write_text("# Cafe\n\nThe Old Mill was founded in 1888.")
    first = run(kb)
    os.rename(kb / nfc, kb / unicodedata.normalize("NFD", nfc))  # as a copy from macOS names it
    again = run(kb)
    assert again.manifest["sources"]["added"] == 0 and again.manifest["sources"]["removed"] == 0
    assert again.manifest["pairs"]["retired"] == 0 and nfc in published_sources(kb)
    assert (kb / "out" / "pairs.jsonl").read_bytes() and first.exit_code == again.exit_code == 0
