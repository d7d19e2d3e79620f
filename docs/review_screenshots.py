"""Takes docs/review-overview.png and docs/review-document.png: the review page on the example corpus (run
from the repo root; about a minute on two cores).

Copies corpora/example to a temporary folder, runs it with the embedded teacher (as `groundqa run` would),
makes three decisions as a reviewer would (accept, reject with a reason, edit), then opens the page in the
system's headless Chromium. Needs Chromium (apt-get install chromium) and Playwright (pip install -e '.[test]')."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402

from generation.config import load_corpus  # noqa: E402
from generation.pipeline.run import Run  # noqa: E402
from generation.review.serve import ReviewServer  # noqa: E402
from generation.review.service import Reviewer  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--hide-scrollbars"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "example"
        shutil.copytree(REPO / "corpora" / "example", root, ignore=shutil.ignore_patterns(".groundqa", "out"))
        outcome = Run(load_corpus(root)).run()
        print(f"run: exit {outcome.exit_code}, {outcome.manifest['pairs']['published']} pairs published")
        corpus = load_corpus(root, check_model=False)
        reviewer = Reviewer(corpus)
        snap = reviewer.snapshot()
        published = [p for p in snap.pairs.values() if p.published]
        rejected = [p for p in snap.pairs.values() if not p.published]
        reviewer.decide(published[0].pair_id, "accept")
        reviewer.decide(published[1].pair_id, "reject", reason="asks about a detail nobody would ask")
        first = published[2]
        for question in (first.question.replace("How many", "What number of"), first.question.replace("When did", "In which year did")):
            if question != first.question and reviewer.decide(first.pair_id, "edit", question=question, answer=first.answer).edit_grounded:
                break
        else:  # no rewording the checker passes: keep the edit anyway, as a reviewer may
            reviewer.decide(first.pair_id, "edit", question=first.question.rstrip("?") + " in all?", answer=first.answer, keep=True)
        if rejected:
            reviewer.decide(rejected[0].pair_id, "accept")
        reviewer.close()
        document = published[2].source_id
        with ReviewServer(corpus) as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(server.url)
            page.screenshot(path=str(REPO / "docs" / "review-overview.png"), full_page=True)
            page.goto(f"{server.base}/doc?source={document}#pair-{first.pair_id}")
            page.wait_for_selector(".card.current")
            page.screenshot(path=str(REPO / "docs" / "review-document.png"))
            browser.close()
    print("wrote docs/review-overview.png and docs/review-document.png")


if __name__ == "__main__":
    main()
