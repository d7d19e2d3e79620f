"""The review page in a real headless browser: Chromium from the system's packages, driven by Playwright.
A reviewer opens the page, filters, accepts, rejects and edits with the keyboard, reloads, and the next
run publishes exactly what they decided.

Needs /usr/bin/chromium (Debian: apt-get install chromium; .ci/run installs it when run as root) and
Playwright for Python (pip install -e '.[test]'); without them these tests are skipped, saying so.
Set GROUNDQA_SCREENSHOTS=folder to keep screenshots of the pages."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from generation.config import load_corpus
from generation.review.serve import ReviewServer
from tests.generation.review.test_app import teacher
from tests.support.corpora import lines, run, write_corpus

CHROMIUM = os.environ.get("GROUNDQA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage", "--no-first-run"]

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - the reason is given below
    sync_playwright = None

missing = []
if sync_playwright is None:
    missing.append("Playwright for Python (pip install -e '.[test]')")
if not Path(CHROMIUM).is_file():
    missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium as root; .ci/run does it; or set GROUNDQA_CHROMIUM)")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(bool(missing), reason="the browser tests need " + " and ".join(missing)),
]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def corpus_dir(tmp_path):
    root = write_corpus(tmp_path / "kb", '[chunking]\ntokens = 64\noverlap = 8\n[output]\nformats = ["alpaca"]\n')
    (root / "dale.md").write_text("# Dale\n\nThe Dale Tower was built in 1911. It stands on the hill.")
    run(root, teacher())
    return root


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert errors == [], errors  # no script error, no failed request, on any page


def shot(page, name: str) -> None:
    folder = os.environ.get("GROUNDQA_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def card(page, source: str):
    return page.locator(f'.card[data-source="{source}"]')


def test_a_review_with_the_keyboard_is_what_the_next_run_publishes(page, corpus_dir):
    with ReviewServer(load_corpus(corpus_dir, check_model=False)) as server:
        page.goto(server.url)
        assert "token=" not in page.url  # the token went into a cookie
        expect(page.locator("svg.chart")).to_have_count(4)
        expect(page.locator("table.documents tbody tr")).to_have_count(4)
        shot(page, "overview.png")

        page.keyboard.press("p")  # the pairs
        page.wait_for_url("**/pairs")
        expect(page.locator(".card")).to_have_count(4)
        page.select_option("select[name=source]", "birch.txt")  # filters apply as they change
        page.wait_for_url("**source=birch.txt**")
        expect(page.locator(".card")).to_have_count(1)
        page.select_option("select[name=source]", "")
        page.wait_for_url("**/pairs?source=&**")
        expect(page.locator(".card")).to_have_count(4)
        counts = page.locator('#counts [data-count="next_run"]')
        expect(counts).to_have_text("3")

        # alder, the first card, is selected as the page opens: accept it
        expect(card(page, "alder.md")).to_have_class(lambda_class("current"))
        page.keyboard.press("a")
        expect(card(page, "alder.md")).to_have_class(lambda_class("decided-accept"))

        page.keyboard.press("j")  # birch: reject, with a reason
        page.keyboard.press("r")
        expect(card(page, "birch.txt").locator("input[name=reason]")).to_be_focused()
        page.keyboard.type("too easy")
        page.keyboard.press("Enter")
        expect(card(page, "birch.txt")).to_have_class(lambda_class("decided-reject"))
        expect(counts).to_have_text("2")  # the count moves as one works

        page.keyboard.press("j")  # cedar: edit the question; the page re-checks it
        page.keyboard.press("e")
        question = card(page, "cedar.md").locator("textarea[name=question]")
        expect(question).to_be_focused()
        question.fill("In which year was Cedar Bridge opened?")
        page.keyboard.press("Control+Enter")
        expect(card(page, "cedar.md")).to_have_class(lambda_class("decided-edit"))
        expect(card(page, "cedar.md")).to_contain_text("the checker passes the edited pair")

        page.keyboard.press("j")  # dale: the checker rejected it; an edit it still rejects, kept anyway
        expect(card(page, "dale.md")).to_contain_text("novel_number:1912")
        page.keyboard.press("e")
        answer = card(page, "dale.md").locator("textarea[name=answer]")
        answer.fill("It was built in 1912, as the plaque says.")
        answer.press("Control+Enter")
        expect(card(page, "dale.md")).to_contain_text("press a to keep it anyway")
        expect(counts).to_have_text("2")
        page.keyboard.press("a")
        expect(card(page, "dale.md")).to_contain_text("kept anyway")
        expect(counts).to_have_text("3")
        shot(page, "pairs.png")

        page.keyboard.press("?")
        expect(page.locator("#help")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.locator("#help")).to_be_hidden()

        page.reload()  # the decisions are in the store, not in the page
        expect(page.locator(".card.decided")).to_have_count(4)
        expect(page.locator('#counts [data-count="reviewed"]')).to_have_text("4")
        page.keyboard.press("u")  # unreviewed only: nothing left
        page.wait_for_url("**unreviewed=1**")
        expect(page.locator(".card")).to_have_count(0)

        page.goto(server.base + "/doc?source=cedar.md")  # the quote where it stands, beside its pair
        mark = page.locator("mark.pub")
        expect(mark).to_have_text("Cedar Bridge was opened in 1902")  # the aligned quote, without its full stop
        expect(page.locator(".card.current")).to_contain_text("In which year was Cedar Bridge opened?")
        expect(mark).to_have_class(lambda_class("active"))
        shot(page, "document.png")

    outcome = run(corpus_dir, teacher())  # the next nightly run
    pairs = {p["source_id"]: p for p in lines(corpus_dir / "out" / "pairs.jsonl")}
    assert outcome.exit_code == 0 and set(pairs) == {"alder.md", "cedar.md", "dale.md"}
    assert pairs["alder.md"]["review"] == "accept" and pairs["alder.md"]["reviewed_by"]
    assert pairs["cedar.md"]["question"] == "In which year was Cedar Bridge opened?" and pairs["cedar.md"]["review"] == "edit"
    assert pairs["dale.md"]["answer"] == "It was built in 1912, as the plaque says." and pairs["dale.md"]["checker_reasons"]
    birch = [r for r in lines(corpus_dir / "out" / "rejected.jsonl") if r["source_id"] == "birch.txt"]
    assert [r["reasons"] for r in birch] == [["reviewer_rejected: too easy"]]
    alpaca = [json.loads(x)["instruction"] for x in (corpus_dir / "out" / "alpaca.jsonl").read_text().splitlines()]
    alpaca += [json.loads(x)["instruction"] for x in (corpus_dir / "out" / "alpaca.validation.jsonl").read_text().splitlines()] if (corpus_dir / "out" / "alpaca.validation.jsonl").exists() else []
    assert "In which year was Cedar Bridge opened?" in alpaca and "When was Birch Hall built?" not in alpaca
    report = (corpus_dir / "out" / "report.md").read_text()
    assert "accepted: 1, of which 0 the checker rejects" in report and "edited: 2, of which 1 kept" in report


def test_the_page_refuses_a_browser_without_the_token(browser, corpus_dir):
    context = browser.new_context()
    page = context.new_page()
    with ReviewServer(load_corpus(corpus_dir, check_model=False)) as server:
        response = page.goto(server.base + "/pairs")
        assert response.status == 403 and "needs its access token" in page.content()
        assert page.goto(server.url).status == 200  # with it: the page, and a cookie for the next requests
        assert page.goto(server.base + "/pairs").status == 200
    context.close()


def lambda_class(name: str):
    import re

    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")
