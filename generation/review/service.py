"""The reviewer's side of the store: decide, undo, re-check an edit, and the counts that move as one works.

The page has a connection of its own and never takes the run's lock: WAL readers do not block a run's
writes, and a decision is one short transaction that waits up to BUSY_TIMEOUT_MS for a run's (a run
commits per chunk, and its largest transaction, recording the published set, takes well under a second
for a corpus of 100,000 pairs). One request at a time uses the connection."""

from __future__ import annotations

import getpass
import os
import threading
from dataclasses import dataclass

from generation.config import Corpus
from generation.grounding import GroundingChecker
from generation.pipeline.reviews import REVIEWER_REJECTED, publishes, without_teacher_checks
from generation.pipeline.store import Store, now_iso, open_store
from generation.records import Decision, Verdict

from . import ReviewError
from .data import PairRow, Snapshot, last_finished_run, load_snapshot

# How long a decision waits for a run's write transaction before the page says "busy, try again" (the
# page's script then tries again by itself).
BUSY_TIMEOUT_MS = 15_000


def reviewer_name() -> str:
    """Who decides: the OS user (as the issue asks), or $USER where the system has no name for the uid."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or f"uid {os.getuid()}"


@dataclass
class PairView:
    """A pair with the person's decision over it, as the page shows it."""

    row: PairRow
    decision: Decision | None
    edit_verdict: Verdict | None  # the edited pair's re-check

    @property
    def question(self) -> str:
        return self.decision.question if self.decision and self.decision.decision == "edit" and self.decision.question else self.row.question

    @property
    def answer(self) -> str:
        return self.decision.answer if self.decision and self.decision.decision == "edit" and self.decision.answer else self.row.answer

    @property
    def edit_grounded(self) -> bool | None:
        return self.edit_verdict.grounded if self.edit_verdict else None

    @property
    def next_run(self) -> bool:
        """Whether the next run publishes it: the decision, else what the last run did."""
        by_person = publishes(self.decision, self.row.grounded, self.edit_grounded)
        return self.row.published if by_person is None else by_person

    def codes(self) -> set[str]:
        """The reason codes the reason filter matches."""
        codes = {r.split(":", 1)[0] for r in self.row.reasons}
        if self.row.duplicate_of:
            codes.add("duplicate")
        if self.decision and self.decision.decision == "reject":
            codes.add(REVIEWER_REJECTED)
        return codes


@dataclass
class Filters:
    source: str = ""
    reason: str = ""
    split: str = ""
    show: str = ""  # "published" or "rejected" (as the next run will have them), or all
    unreviewed: bool = False

    def match(self, view: PairView) -> bool:
        row = view.row
        return (
            (not self.source or row.source_id == self.source)
            and (not self.reason or self.reason in view.codes())
            and (not self.split or row.split == self.split)
            and (not self.show or (self.show == "published") == view.next_run)
            and (not self.unreviewed or view.decision is None)
        )


class Reviewer:
    def __init__(self, corpus: Corpus):
        db = corpus.state_dir / "state.sqlite"
        if not db.is_file():
            raise ReviewError(f"{corpus.root} has no run yet, so there is nothing to review: run 'groundqa run {corpus.root}' first")
        self.corpus = corpus
        self.store: Store = open_store(db, corpus.config_path or corpus.root)
        self.store.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        config = without_teacher_checks(corpus.config.grounding.checker_config())
        self.checker = GroundingChecker(config)
        self.signature = config.signature()
        self.who = reviewer_name()
        self.lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def close(self) -> None:
        with self.lock:
            self.store.close()

    # -- reading ------------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The last run's view, loaded again once another run has finished."""
        with self.lock:
            if self._snapshot is None or last_finished_run(self.store) != self._snapshot.run_id:
                self._snapshot = load_snapshot(self.corpus, self.store)
            return self._snapshot

    def views(self, snap: Snapshot) -> dict[str, PairView]:
        with self.lock:
            decisions = self.store.reviews()
            checked = self.store.review_verdicts()
        return {
            pair_id: PairView(row, decisions.get(pair_id), Verdict.model_validate_json(checked[pair_id][1]) if pair_id in checked else None)
            for pair_id, row in snap.pairs.items()
        }

    @staticmethod
    def counts(snap: Snapshot, views: dict[str, PairView]) -> dict[str, int]:
        reviewed = [v for v in views.values() if v.decision]
        return {
            "pairs": len(views),
            "published_now": sum(1 for v in views.values() if v.row.published),
            "next_run": sum(1 for v in views.values() if v.next_run),
            "reviewed": len(reviewed),
            "unreviewed": len(views) - len(reviewed),
            "accepted": sum(1 for v in reviewed if v.decision and v.decision.decision == "accept"),
            "rejected": sum(1 for v in reviewed if v.decision and v.decision.decision == "reject"),
            "edited": sum(1 for v in reviewed if v.decision and v.decision.decision == "edit"),
        }

    # -- deciding -----------------------------------------------------------------------------------
    def decide(
        self, pair_id: str, decision: str, *, question: str | None = None, answer: str | None = None,
        reason: str | None = None, keep: bool = False,
    ) -> PairView:
        """Record a decision (replacing the pair's earlier one); an edit is re-checked first."""
        snap = self.snapshot()
        row = snap.pairs.get(pair_id)
        if row is None:
            raise ReviewError(f"no pair {pair_id} in the last run's data (a run may have retired it since): reload the page")
        doc = snap.documents[row.source_id]
        verdict = None
        if decision == "edit":
            question, answer = (question or "").strip(), (answer or "").strip()
            if not question or not answer:
                raise ReviewError("an edited pair needs a question and an answer: fill in both, or press Esc to cancel")
            chunk = doc.chunks[row.chunk_ord].chunk
            verdict = self.checker.check(chunk.text, question, answer, row.quotes, target=row.target, title=doc.title)
        elif decision not in ("accept", "reject"):
            raise ReviewError(f"unknown decision {decision!r}: accept, reject or edit")
        else:
            question = answer = None
        made = Decision(
            pair_id=pair_id, decision=decision, question=question, answer=answer, keep=keep and decision == "edit",
            reason=(reason or "").strip() or None if decision == "reject" else None, who=self.who, at=now_iso(),
            source_id=row.source_id, source_text_sha=doc.text_sha256,
        )
        with self.lock:
            self.store.save_review(made, self.signature, verdict)
        return PairView(row, made, verdict)

    def undo(self, pair_id: str) -> PairView:
        snap = self.snapshot()
        row = snap.pairs.get(pair_id)
        if row is None:
            raise ReviewError(f"no pair {pair_id} in the last run's data: reload the page")
        with self.lock:
            self.store.delete_review(pair_id)
        return PairView(row, None, None)
