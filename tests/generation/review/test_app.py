"""The review page over HTTP (generation/review/): the access token, the pages, a decision through the API,
and a decision written while a nightly run publishes. The browser tests are in test_browser.py."""

import json
import re
import threading
import time

import httpx
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from generation.cli import app as cli
from generation.config import load_corpus
from generation.pipeline.store import Store
from generation.review.app import create_app
from generation.review.serve import ReviewServer
from generation.review.service import Reviewer
from tests.support.corpora import answer_from_chunk, lines, run, write_corpus
from generation.teachers import FakeTeacher

TOKEN = "t0ken-for-tests"


def with_a_wrong_pair(messages):
    """The fixture teacher, and for the Dale Tower a pair whose answer has the wrong year (rejected)."""
    if "Dale Tower" in messages[-1]["content"]:
        return json.dumps({"pairs": [{"question": "When was the Dale Tower built?", "answer": "The Dale Tower was built in 1912.", "quotes": ["The Dale Tower was built in 1911."]}]})
    return answer_from_chunk(messages)


def teacher():
    return FakeTeacher(default=with_a_wrong_pair)


@pytest.fixture
def corpus_dir(tmp_path):
    root = write_corpus(tmp_path / "kb", '[chunking]\ntokens = 64\noverlap = 8\n[output]\nformats = ["alpaca"]\n')
    (root / "dale.md").write_text("# Dale\n\nThe Dale Tower was built in 1911. It stands on the hill.")
    run(root, teacher())
    return root


@pytest.fixture
def client(corpus_dir):
    reviewer = Reviewer(load_corpus(corpus_dir, check_model=False))
    with TestClient(create_app(reviewer, TOKEN), base_url="http://127.0.0.1") as c:
        yield c
    reviewer.close()


def pair_ids(html: str) -> list[str]:
    return re.findall(r'data-pair="([0-9a-f]+)"', html)


def test_every_request_needs_the_token_and_a_change_needs_it_in_the_header(client):
    denied = client.get("/", follow_redirects=False)
    assert denied.status_code == 403 and "Open the URL that 'groundqa review' printed" in denied.text
    assert client.get("/?token=wrong", follow_redirects=False).status_code == 403
    assert client.get("/static/review.js").status_code == 403
    first = client.get(f"/pairs?source=alder.md&token={TOKEN}", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/pairs?source=alder.md"  # the token leaves the address bar
    assert "httponly" in first.headers["set-cookie"].lower() and "samesite=strict" in first.headers["set-cookie"].lower()
    assert client.get("/").status_code == 200  # the cookie is enough to read
    some = pair_ids(client.get("/pairs").text)[0]
    forged = client.post("/api/decide", json={"pair_id": some, "decision": "reject"})  # the cookie alone cannot change anything
    assert forged.status_code == 403
    assert client.post("/api/decide", json={"pair_id": some, "decision": "reject"}, headers={"X-Groundqa-Token": TOKEN}).status_code == 200


def test_the_pages_show_documents_charts_quotes_and_filters(client, corpus_dir):
    client.get(f"/?token={TOKEN}")
    overview = client.get("/").text
    assert overview.count('<svg class="chart') == 4 and "Rejection reasons" in overview and "novel_number" in overview
    assert all(name in overview for name in ("alder.md", "birch.txt", "cedar.md", "dale.md"))
    document = client.get("/doc", params={"source": "cedar.md"}).text
    assert re.search(r'<mark data-pairs="[0-9a-f]+" class="pub">Cedar Bridge was opened in 1902\.?</mark>', document)
    dale = client.get("/doc", params={"source": "dale.md"}).text
    assert 'class="rej">The Dale Tower was built in 1911' in dale and "novel_number:1912" in dale
    assert len(pair_ids(client.get("/pairs").text)) == 4
    assert len(pair_ids(client.get("/pairs", params={"source": "birch.txt"}).text)) == 1
    assert len(pair_ids(client.get("/pairs", params={"reason": "novel_number"}).text)) == 1
    assert len(pair_ids(client.get("/pairs", params={"show": "rejected"}).text)) == 1
    validation = {p["pair_id"] for p in lines(corpus_dir / "out" / "pairs.jsonl") if p["split"] == "validation"}
    assert validation and set(pair_ids(client.get("/pairs", params={"split": "validation"}).text)) == validation


def test_an_edit_through_the_page_is_rechecked_and_the_counts_move(client):
    client.get(f"/?token={TOKEN}")
    dale = pair_ids(client.get("/pairs", params={"source": "dale.md"}).text)[0]
    post = lambda body: client.post("/api/decide", json={"pair_id": dale, **body}, headers={"X-Groundqa-Token": TOKEN}).json()  # noqa: E731
    fixed = post({"decision": "edit", "question": "When was the Dale Tower built?", "answer": "The Dale Tower was built in 1911."})
    assert "the checker passes the edited pair" in fixed["message"] and fixed["counts"]["next_run"] == 4
    assert "built in 1911." in fixed["card"] and "decided-edit" in fixed["card"]
    wrong = post({"decision": "edit", "question": "When was the Dale Tower built?", "answer": "In 1950."})
    assert "the checker rejects the edited pair" in wrong["message"] and "press a to keep it anyway" in wrong["message"]
    assert wrong["counts"]["next_run"] == 3
    kept = post({"decision": "edit", "question": "When was the Dale Tower built?", "answer": "In 1950.", "keep": True})
    assert "kept though the checker rejects it" in kept["message"] and kept["counts"]["next_run"] == 4
    assert post({"decision": "undo"})["counts"]["reviewed"] == 0
    empty = client.post("/api/decide", json={"pair_id": dale, "decision": "edit", "question": " ", "answer": "x"}, headers={"X-Groundqa-Token": TOKEN})
    assert empty.status_code == 400 and "needs a question and an answer" in empty.json()["error"]


def test_a_decision_written_while_a_run_publishes_waits_for_it_and_is_not_lost(corpus_dir, monkeypatch):
    """The run holds SQLite's write lock while it records the published set: the page still reads, and a
    decision posted then waits (busy timeout) instead of failing, and the run is not held up by the page."""
    inside, release = threading.Event(), threading.Event()
    real = Store.set_published

    def slow(self, live, run_id):
        with self.transaction():  # the run's write lock, held while the page works
            inside.set()
            release.wait(20)
        return real(self, live, run_id)

    with ReviewServer(load_corpus(corpus_dir, check_model=False)) as server:
        with httpx.Client(base_url=server.base, headers={"X-Groundqa-Token": server.token}, timeout=30) as http:
            ids = pair_ids(http.get("/pairs").text)
            (corpus_dir / "elm.md").write_text("# Elm\n\nElm Lodge was built in 1890.")
            monkeypatch.setattr(Store, "set_published", slow)
            outcome = {}
            runner = threading.Thread(target=lambda: outcome.update(result=run(corpus_dir, teacher())))
            runner.start()
            assert inside.wait(30), "the run did not reach publishing"
            started = time.monotonic()
            assert http.get("/pairs").status_code == 200 and time.monotonic() - started < 5  # reads are not blocked
            threading.Timer(1.0, release.set).start()
            started = time.monotonic()
            saved = http.post("/api/decide", json={"pair_id": ids[0], "decision": "reject", "reason": "during the run"})
            assert saved.status_code == 200, saved.text
            assert time.monotonic() - started >= 0.5  # it waited for the run's transaction
            runner.join(30)
            assert outcome["result"].exit_code == 0 and outcome["result"].manifest["pairs"]["published"] == 4
            monkeypatch.setattr(Store, "set_published", real)
            assert http.get("/api/counts").json()["pairs"] == 5  # the page loads the new run's data
    store = Store(corpus_dir / ".groundqa" / "state.sqlite")
    assert store.review(ids[0]).reason == "during the run"
    store.close()
    run(corpus_dir, teacher())
    assert ids[0] not in {p["pair_id"] for p in lines(corpus_dir / "out" / "pairs.jsonl")}


def test_the_command_exports_imports_and_status_counts(corpus_dir, tmp_path):
    runner = CliRunner()
    alder = next(p["pair_id"] for p in lines(corpus_dir / "out" / "pairs.jsonl") if p["source_id"] == "alder.md")
    decisions = tmp_path / "decisions.jsonl"
    decisions.write_text(json.dumps({"pair_id": alder, "decision": "reject", "who": "ada", "at": "2030-01-01T00:00:00Z"}) + "\n")
    imported = runner.invoke(cli, ["review", str(corpus_dir), "--import", str(decisions)])
    assert imported.exit_code == 0 and "1 decisions imported" in imported.output
    status = runner.invoke(cli, ["status", str(corpus_dir)])
    assert "reviews: 1 of the published pairs reviewed, 2 unreviewed; 0 accepted, 0 edited, 1 rejected" in status.output
    assert "1 made since the last run" in status.output
    exported = runner.invoke(cli, ["export", str(corpus_dir), "--format", "pairs", "--out", str(tmp_path / "p.jsonl")])
    assert "1 review decisions were made since the last run" in exported.output
    out = tmp_path / "again.jsonl"
    assert runner.invoke(cli, ["review", str(corpus_dir), "--export", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["pair_id"] == alder
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    refused = runner.invoke(cli, ["review", str(fresh), "--no-browser"])
    assert refused.exit_code == 1 and "has no run yet" in refused.output and "groundqa run" in refused.output
