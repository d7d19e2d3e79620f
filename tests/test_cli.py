"""The `groundqa` command as a user types it (typer's CliRunner), with the fake teacher."""

import json
import os
import time

import pytest
from typer.testing import CliRunner

from generation.teachers import factory as run_module
from generation.cli import app
from generation.teachers import FakeTeacher
from tests.support.corpora import answer_from_chunk, write_corpus

runner = CliRunner()


@pytest.fixture
def fake_teacher(monkeypatch):
    teacher = FakeTeacher(default=answer_from_chunk)
    original = run_module.TeacherSpec.__init__

    def init(self, corpus, t=None):
        original(self, corpus, t or teacher)

    monkeypatch.setattr(run_module.TeacherSpec, "__init__", init)
    return teacher


@pytest.fixture
def kb(tmp_path):
    return write_corpus(tmp_path / "kb", "[chunking]\ntokens = 64\noverlap = 8\n")  # every format


def test_ingest_writes_chunks_and_reports_each_source(tmp_path, kb):
    (kb / "empty.md").write_bytes(b"")
    out = tmp_path / "chunks.jsonl"
    result = runner.invoke(app, ["ingest", str(kb), "--out", str(out), "--tokens", "32", "--overlap", "4"])
    assert result.exit_code == 3, result.output
    assert "empty" in result.output and "alder.md" in result.output
    chunks = [json.loads(line) for line in out.read_text().splitlines()]
    assert {c["source_id"] for c in chunks} == {"alder.md", "birch.txt", "cedar.md"}
    assert set(chunks[0]) == {"chunk_id", "source_id", "text", "token_count", "char_start", "char_end", "pages"}


def test_ingest_exit_codes(kb, tmp_path):
    assert runner.invoke(app, ["ingest", str(kb / "alder.md")]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(tmp_path / "missing.md")]).exit_code == 1
    bad = runner.invoke(app, ["ingest", str(kb), "--tokens", "64", "--overlap", "64"])
    assert bad.exit_code == 2 and "overlap" in bad.output


def test_run_status_export_and_regrade(kb, fake_teacher, tmp_path):
    result = runner.invoke(app, ["run", str(kb)])
    assert result.exit_code == 0, result.output
    assert "3 published" in result.output

    status = runner.invoke(app, ["status", str(kb), "--json"])
    report = json.loads(status.output)
    assert report["published"] == 3 and report["changes"]["unchanged"] == 3
    (kb / "new.md").write_text("# New\n\nThe Dale Tower was built in 1911.")
    (kb / "cedar.md").unlink()
    report = json.loads(runner.invoke(app, ["status", str(kb), "--json"]).output)
    assert report["changes"]["added"] == ["new.md"] and report["changes"]["removed"] == ["cedar.md"]
    assert report["last_run"]["exit_code"] == 0 and report["last_run"]["pairs_added"] == 3

    out = tmp_path / "alpaca.jsonl"
    assert runner.invoke(app, ["export", str(kb), "--format", "alpaca", "--split", "train", "--out", str(out)]).exit_code == 0
    assert out.read_bytes() == (kb / "out" / "alpaca.jsonl").read_bytes()
    assert runner.invoke(app, ["export", str(kb), "--format", "parquet"]).exit_code == 2

    calls = len(fake_teacher.history)
    regrade = runner.invoke(app, ["regrade", str(kb)])
    assert regrade.exit_code == 0 and len(fake_teacher.history) == calls


def test_bad_config_exits_2_naming_the_key(kb):
    (kb / "corpus.toml").write_text("[dedup]\nthreshold = 2\n")
    result = runner.invoke(app, ["run", str(kb)])
    assert result.exit_code == 2 and "dedup.threshold = 2" in result.output


@pytest.mark.parametrize("value", [".", "", ".."])
def test_an_output_folder_that_is_the_corpus_folder_exits_2(kb, value):
    (kb / "corpus.toml").write_text(f'[output]\ndir = "{value}"\n')
    result = runner.invoke(app, ["run", str(kb)])
    assert result.exit_code == 2 and "would be read as sources" in result.output
    assert not (kb / "pairs.jsonl").exists()


@pytest.mark.parametrize(
    "toml, names",
    [  # each: the key, the value, and the fix or what is allowed
        ('[sources]\nurls = ["http://[::1"]\n', ["sources.urls", "http://[::1", "not a valid URL"]),
        ('[teacher]\nurls = ["http://127.0.0.1:9"]\ntimeout = inf\n', ["teacher.timeout", "inf", "finite number"]),
        ('[teacher]\nurls = ["http://127.0.0.1:9"]\ntimeout = 1e10\n', ["teacher.timeout", "10000000000.0", "at most 86400", "hung server"]),
        ('[teacher]\nmodel = "models/missing.gguf"\n', ["[teacher] model", "missing.gguf", "does not exist"]),
        ('[teacher]\nmodel = "alder.md"\n', ["[teacher] model", "alder.md", "is not a GGUF file"]),
        ('[output]\ndir = "alder.md"\n', ["[output] dir", "alder.md", "is a file, not a folder"]),
        ("[teacher]\nn_ctx = 2000000\n", ["teacher.n_ctx", "2000000", "1048576"]),
        ("[teacher]\nn_ctx = 100000\n", ["[teacher] n_ctx = 100000", "trained with (8192)", "set n_ctx to 8192 or less"]),
        ("[teacher]\nn_threads = 100000\n", ["teacher.n_threads", "100000", "cores"]),
        ('[chunking]\ntokens = "512"\n', ["chunking.tokens", "'512'", "valid integer"]),
        ('[output]\ninclude_context = "yes"\n', ["output.include_context", "'yes'", "valid boolean"]),
        ("[chunking]\ntokenz = 5\n", ["chunking.tokenz", "unknown key", "[chunking] takes: tokens, overlap, encoding", "README.md"]),
        ("[grounding]\nsuport_min = 0.5\n", ["grounding.suport_min", "unknown key", "support_min", "max_reject_rate"]),
        ('[grounding]\nsupport_min = "high"\n', ["grounding.support_min", "'high'", "valid number"]),
        ('[sources]\npaths = ["handbook/**"]\n', ["[sources] paths", "handbook/**", "selects no file", "relative to the corpus folder"]),
    ],
)
def test_every_bad_setting_exits_2_with_the_key_the_value_and_the_fix(kb, fake_teacher, toml, names):
    (kb / "corpus.toml").write_text(toml)
    result = runner.invoke(app, ["run", str(kb)])
    message = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert all(name in message for name in names), message
    assert "Traceback" not in result.output and "DESIGN.md" not in message
    assert not (kb / "out" / "pairs.jsonl").exists()


def test_whole_numbers_in_exponent_form_are_numbers_and_status_needs_no_model(kb):
    (kb / "corpus.toml").write_text('[sources]\nmax_bytes = 5e7\n[teacher]\nmodel = "models/later.gguf"\n')
    result = runner.invoke(app, ["status", str(kb)])
    assert result.exit_code == 0 and "no run yet" in result.output  # status never loads the model
    assert runner.invoke(app, ["run", str(kb)]).exit_code == 2  # run does, and names it


def test_a_corpus_toml_that_is_not_utf8_exits_2(kb):
    (kb / "corpus.toml").write_bytes(b"[output]\nsystem_prompt = \"caf\xe9\"\n")
    result = runner.invoke(app, ["run", str(kb)])
    assert result.exit_code == 2 and "not UTF-8" in result.output


def test_export_before_any_run_says_what_to_do(kb):
    result = runner.invoke(app, ["export", str(kb), "--format", "openai"])
    assert result.exit_code == 1 and "groundqa run" in result.output


def test_teacher_url_on_the_command_line_replaces_the_configs_model(kb, fake_teacher):
    (kb / "corpus.toml").write_text('[teacher]\nmodel = "models/big.gguf"\n')
    result = runner.invoke(app, ["run", str(kb), "--teacher-url", "http://127.0.0.1:8080", "-q"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("toml, message", [('[chunking]\nencoding = "nope"\n', "unknown encoding 'nope'"), ('[generation]\nprompt = "nope"\n', "no prompt named 'nope'")])
def test_unknown_encoding_or_prompt_is_a_config_error(kb, toml, message):
    (kb / "corpus.toml").write_text(toml)
    for command in ("run", "regrade"):
        result = runner.invoke(app, [command, str(kb)])
        assert result.exit_code == 2 and message in result.output, result.output


def test_messages_keep_the_settings_they_name(kb, fake_teacher):
    fake_teacher.n_ctx = 300  # the teacher's context is too small for a chunk's prompt
    result = runner.invoke(app, ["run", str(kb), "-q"])
    assert result.exit_code == 1 and "raise [teacher] n_ctx" in result.output


def test_run_takes_the_strategy_from_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from generation.cli import app

    (tmp_path / "a.md").write_text("The mill was built in 1824 beside the river Lune by the county.\n")
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--strategy", "sideways", "--quiet"])
    assert result.exit_code == 2 and "strategy" in result.output


def test_run_refuses_to_retire_a_vanished_knowledge_base_without_allow_retire(kb, fake_teacher):
    assert runner.invoke(app, ["run", str(kb), "-q"]).exit_code == 0
    for name in ("alder.md", "birch.txt", "cedar.md"):
        (kb / name).unlink()
    refused = runner.invoke(app, ["run", str(kb), "-q"])
    assert refused.exit_code == 1 and "--allow-retire" in refused.output and "unchanged" in refused.output
    assert len((kb / "out" / "pairs.jsonl").read_text().splitlines()) == 3
    confirmed = runner.invoke(app, ["run", str(kb), "-q", "--allow-retire"])
    assert (kb / "out" / "pairs.jsonl").read_text() == "" and confirmed.exit_code == 1  # nothing left to publish


def test_run_verify_reads_every_source_in_full_and_says_so(kb, fake_teacher):
    old = time.time() - 86_400  # written a day ago: trusted by its stat on the next run
    for name in ("alder.md", "birch.txt", "cedar.md"):
        os.utime(kb / name, (old, old))
    assert runner.invoke(app, ["run", str(kb)]).exit_code == 0
    quiet = runner.invoke(app, ["run", str(kb)])
    assert quiet.exit_code == 0, quiet.output
    assert "0 bytes from 0 sources; 3 unchanged, not read" in quiet.output
    verified = runner.invoke(app, ["run", str(kb), "--verify"])
    assert verified.exit_code == 0, verified.output
    assert "from 3 sources; every source read in full" in verified.output
    manifest = json.loads((kb / "out" / "manifest.json").read_text())
    assert manifest["scan"]["verified"] and manifest["scan"]["read"] == 3 and manifest["sources"]["unchanged"] == 3
    assert "--verify" in runner.invoke(app, ["run", "--help"]).output


def test_verbose_run_logs_no_url_credentials_not_even_the_http_clients_own_lines(tmp_path, site):
    """`groundqa -v run` shows httpx's request lines, with the user-info of teacher and page URLs replaced."""
    import subprocess
    import sys
    from pathlib import Path

    from tests.generation.teachers.test_http import FakeServer

    server = FakeServer()
    try:
        site.pages["/mill.html"] = (200, {"Content-Type": "text/html"}, b"<html><body><article><p>The Alder Mill was founded in 1821. "
                                    b"It made paper for the county and employed many people in the valley.</p></article></body></html>")
        page = site.url("/mill.html").replace("http://", "http://reader:secret@")
        teacher_url = server.url.replace("http://", "http://user:secret@")
        root = write_corpus(tmp_path / "kb", f'[sources]\nurls = ["{page}"]\n[teacher]\nurls = ["{teacher_url}"]\nretries = 0\n')
        done = subprocess.run(
            [sys.executable, "-m", "generation", "-v", "run", "-q", str(root)], cwd=Path(__file__).resolve().parents[1],
            capture_output=True, text=True, timeout=120,
        )
    finally:
        server.close()
    log = done.stdout + done.stderr
    assert "HTTP Request: GET http://***@127.0.0.1" in log and "HTTP Request: POST http://***@127.0.0.1" in log, log[-3000:]
    assert "secret" not in log, [line for line in log.splitlines() if "secret" in line]


def test_status_and_export_to_a_full_stdout_exit_1_with_a_message_not_a_traceback(kb, fake_teacher):
    import subprocess
    import sys
    from pathlib import Path

    assert runner.invoke(app, ["run", str(kb), "-q"]).exit_code == 0
    repo = Path(__file__).resolve().parents[1]
    for command in (["status", str(kb)], ["status", str(kb), "--json"], ["export", str(kb), "--format", "alpaca"]):
        with open("/dev/full", "w") as full:
            done = subprocess.run([sys.executable, "-m", "generation", *command], cwd=repo, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
        assert done.returncode == 1, (command, done.stderr)
        assert "could not be written to standard output (No space left on device)" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    # A run's summary: the run's own exit code, and a message. This teacher's replies are not pairs, so the pairs of
    # the first run's teacher stay published (exit 0).
    from tests.generation.teachers.test_http import FakeServer

    server = FakeServer()
    try:
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [sys.executable, "-m", "generation", "run", str(kb), "--teacher-url", server.url], cwd=repo, stdout=full,
                stderr=subprocess.PIPE, text=True, timeout=120,
            )
    finally:
        server.close()
    assert done.returncode == 0 and "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert "the run finished (exit code 0), but its summary could not be written to standard output" in " ".join(done.stderr.split())


def test_status_in_a_cron_log_prints_whole_values(kb, fake_teacher):
    assert runner.invoke(app, ["run", str(kb), "-q"]).exit_code == 0
    finished = json.loads(runner.invoke(app, ["status", str(kb), "--json"]).output)["runs"][0]["finished_at"]
    result = runner.invoke(app, ["status", str(kb)], env={"COLUMNS": "80"})  # not a terminal: a log
    assert result.exit_code == 0
    assert finished in result.output and "teacher s" in result.output and "…" not in result.output, result.output


def test_sighup_stops_a_run_as_sigterm_does(tmp_path):
    """A closed terminal or ssh session: exit 130, the manifest written, the finished chunk kept."""
    import signal

    from tests.generation.outputs.test_publish import (
        test_an_interrupt_while_a_request_hangs_stops_within_seconds_and_keeps_finished_chunks as interrupted_run,
    )

    interrupted_run(tmp_path, signal.SIGHUP)
