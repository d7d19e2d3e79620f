"""A person's review decisions over the checker's (`groundqa review`; docs/decisions.md, "Review").

Decisions are kept in the store by pair identity (`Store.reviews`) and applied by every run, `regrade`
included, between re-grading and dedup (assemble.publish):

- **reject**: never published; in rejected.jsonl with the reason `reviewer_rejected` (and the person's words);
- **accept**: published as it is, whatever the checker says now or later (`checker_reasons` keeps what it
  said; report.md counts them);
- **edit**: published with the person's question and answer, re-checked by the checker under the run's
  grounding settings; an edit the checker rejects is published only when the person chose to keep it.

The checker's own verdicts in the store are never changed: the decisions are laid over them in memory, so
changing a grounding setting re-grades the pairs and the person still wins. A pair's id is a hash of its
chunk's text, so when the text changes the pair is retired with its decision and the new pair is unreviewed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from generation.grounding import GroundingChecker, GroundingConfig
from generation.records import Decision, Pair, Rejection, Verdict

if TYPE_CHECKING:
    from .assemble import Stored
    from .state import RunState
    from .store import Store

REVIEWER_REJECTED = "reviewer_rejected"
REASONS = {REVIEWER_REJECTED: "a person rejected the pair in groundqa review (their words follow the colon)"}


def rejected_reason(decision: Decision) -> str:
    reason = " ".join((decision.reason or "").split())
    return f"{REVIEWER_REJECTED}: {reason}" if reason else REVIEWER_REJECTED


def publishes(decision: Decision | None, checker_grounded: bool | None, edit_grounded: bool | None = None) -> bool | None:
    """Whether a decision publishes its pair: None where there is no decision (the checker and dedup decide)."""
    if decision is None:
        return None
    if decision.decision == "reject":
        return False
    if decision.decision == "accept":
        return True
    return bool(edit_grounded) or decision.keep


def without_teacher_checks(config: GroundingConfig) -> GroundingConfig:
    """The settings with the teacher checks off: what the review page can run without loading a model (the
    next run re-checks an edit with them, as its grounding signature differs)."""
    off = {c.name: False for c in config.enabled() if c.needs_teacher and c.name in type(config).model_fields}
    return config.model_copy(update=off) if off else config


@dataclass
class Applied:
    """The decisions a run laid over the checker's verdicts: those of live pairs, and the checker's reasons
    that a person overruled (pair id -> reasons)."""

    decisions: dict[str, Decision] = field(default_factory=dict)
    overruled: dict[str, list[str]] = field(default_factory=dict)

    def undup(self, duplicate_of: dict[str, str]) -> dict[str, str]:
        """A pair a person accepted or edited is published even when it repeats another."""
        return {p: o for p, o in duplicate_of.items() if p not in self.decisions or self.decisions[p].decision == "reject"}

    def mark(self, published: list[Pair], rejected: list[Rejection]) -> tuple[list[Pair], list[Rejection]]:
        """The published pairs and the rejections (of one shard) with their review: who decided what, and when."""
        if not self.decisions:
            return published, rejected
        return [self._pair(p) for p in published], [self._rejection(r) for r in rejected]

    def _pair(self, pair: Pair) -> Pair:
        d = self.decisions.get(pair.pair_id)
        if d is None or d.decision == "reject":
            return pair
        return pair.model_copy(update={
            "review": d.decision, "reviewed_by": d.who, "reviewed_at": d.at, "checker_reasons": self.overruled.get(pair.pair_id, []),
        })

    def _rejection(self, rejection: Rejection) -> Rejection:
        d = self.decisions.get(rejection.pair_id or "")
        if d is None:
            return rejection
        update: dict[str, Any] = {"review": d.decision, "reviewed_by": d.who, "reviewed_at": d.at}
        if d.decision == "edit":  # an edit the checker rejects: the rejection shows the pair as edited
            update |= {"question": d.question, "answer": d.answer}
        return rejection.model_copy(update=update)


def apply(state: "RunState", stored: "Stored") -> Applied:
    """Lay the store's decisions over the live pairs' verdicts (in memory: the stored verdicts stay the
    checker's), replacing edited pairs' text; edits are re-checked where their last check was made under
    other grounding settings."""
    assert state.store is not None
    decisions = state.store.reviews()
    applied = Applied()
    if not decisions:
        return applied
    config = state.grounding_config
    sig = config.signature()
    cached = state.store.review_verdicts()
    checker: GroundingChecker | None = None
    checked: dict[str, tuple[str, str, Verdict]] = {}
    for text_hash, chunk in stored.chunk_of.items():
        if stored.generations.get(text_hash, ("",))[0] != "ok":
            continue
        candidates = stored.candidates.get(text_hash, [])
        for i, cand in enumerate(candidates):
            d = decisions.get(cand.pair_id)
            if d is None or cand.pair_id not in stored.verdicts:
                continue
            applied.decisions[cand.pair_id] = d
            verdict = Verdict.model_validate_json(stored.verdicts[cand.pair_id][1])
            if d.decision == "reject":
                verdict = verdict.model_copy(update={"grounded": False, "reasons": [rejected_reason(d)]})
            elif d.decision == "accept":
                if not verdict.grounded:
                    applied.overruled[cand.pair_id] = verdict.reasons
                verdict = verdict.model_copy(update={"grounded": True})
            else:
                assert d.question is not None and d.answer is not None
                candidates[i] = cand = cand._replace(question=d.question, answer=d.answer)
                sig_then, verdict_json = cached.get(cand.pair_id, (None, None))
                if sig_then == sig and verdict_json:
                    verdict = Verdict.model_validate_json(verdict_json)
                else:
                    if checker is None:
                        teacher = state.spec.load() if any(c.needs_teacher for c in config.enabled()) else None
                        checker = GroundingChecker(config, teacher=teacher)
                    title = stored.titles.get(chunk.source_id)
                    verdict = checker.check(chunk.text, d.question, d.answer, cand.quotes, target=cand.target, title=title)
                    checked[cand.pair_id] = (d.question, d.answer, verdict)
                if not verdict.grounded and d.keep:
                    applied.overruled[cand.pair_id] = verdict.reasons
                    verdict = verdict.model_copy(update={"grounded": True})
            stored.verdicts[cand.pair_id] = (verdict.grounded, verdict.model_dump_json())
    if checked:
        state.store.save_review_verdicts(sig, checked)
    return applied


# -- what the store holds, for `groundqa status` and the review page ----------------------------------------
def last_signatures(store: "Store") -> dict[str, str] | None:
    """The chunking, generation and grounding signatures of the last run that recorded them."""
    for (manifest,) in store.db.execute("SELECT manifest FROM runs WHERE manifest IS NOT NULL ORDER BY run_id DESC").fetchall():
        sigs = (json.loads(manifest) or {}).get("signatures") or {}
        if all(sigs.get(k) for k in ("chunking", "generation", "grounding")):
            return sigs
    return None


def live_pair_ids(store: "Store", signatures: dict[str, str]) -> set[str]:
    """The pairs of the chunks kept under these signatures (those of removed sources are gone; a changed
    source's old chunks are replaced): the pairs a run would publish or reject now."""
    rows = store.db.execute(
        "SELECT c.pair_id FROM chunks k JOIN candidates c ON c.text_hash = k.text_hash AND c.gen_sig = ?"
        " JOIN generations g ON g.text_hash = c.text_hash AND g.gen_sig = c.gen_sig AND g.status = 'ok'"
        " WHERE k.chunker_sig = ?",
        (signatures["generation"], signatures["chunking"]),
    ).fetchall()
    return {r[0] for r in rows}


def review_counts(store: "Store") -> dict[str, int]:
    """How much of the published set a person has looked at, and the decisions by kind (those of live pairs;
    a retired pair keeps its decision, counted apart)."""
    decisions = store.reviews()
    published = store.published_ids()
    sigs = last_signatures(store)
    live = live_pair_ids(store, sigs) if sigs else set(published)
    on_live = {p: d for p, d in decisions.items() if p in live}
    return {
        "published_reviewed": sum(1 for p in published if p in decisions),
        "published_unreviewed": sum(1 for p in published if p not in decisions),
        "accepted": sum(1 for d in on_live.values() if d.decision == "accept"),
        "edited": sum(1 for d in on_live.values() if d.decision == "edit"),
        "rejected": sum(1 for d in on_live.values() if d.decision == "reject"),
        "on_retired_pairs": len(decisions) - len(on_live),
        "since_last_run": len(pending(store, on_live)),
    }


def pending(store: "Store", decisions: dict[str, Decision] | None = None) -> list[str]:
    """The pairs whose decision the published files do not show yet (made since the last run): a rejected
    pair still published, an accepted or edited one not published as decided."""
    if decisions is None:
        sigs = last_signatures(store)
        live = live_pair_ids(store, sigs) if sigs else set()
        decisions = {p: d for p, d in store.reviews().items() if p in live}
    if not decisions:
        return []
    shown = {}
    for record in store.published_records():
        row = json.loads(record)
        if row["pair_id"] in decisions:
            shown[row["pair_id"]] = row
    checked = store.review_verdicts()
    out = []
    for pair_id, d in decisions.items():
        row = shown.get(pair_id)
        if d.decision == "reject":
            waiting = row is not None
        elif d.decision == "accept":
            waiting = row is None or row.get("review") != "accept"
        else:
            edit_passes = pair_id in checked and json.loads(checked[pair_id][1]).get("grounded", False)
            if d.keep or edit_passes:
                waiting = row is None or (row.get("review"), row["question"], row["answer"]) != ("edit", d.question, d.answer)
            else:
                waiting = row is not None
        if waiting:
            out.append(pair_id)
    return out
