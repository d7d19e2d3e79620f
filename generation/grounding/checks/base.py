"""What a grounding check is: one class a file, listed once in `generation.grounding.checks.CHECKS`.

A check has a `name`; the `reasons` it can give, each with one line of meaning (the catalogue that
report.md, rejected.jsonl and docs/architecture.md name); its `Options`, a pydantic model whose fields
become `[grounding]` keys of corpus.toml (GroundingConfig is composed of every check's Options); its
`VERSION`, which feeds the grounding signature (bump it when what the check decides changes, and stored
verdicts are re-graded without a teacher call); and its `gate`, when it runs at all ("only when no
reason so far", "only when the quotes aligned"). `run` reads the pair (context.PairContext) and returns
a `Finding`: its reasons, the values it measured (kept on the Verdict, so a pair can be re-graded), and
scores for the pair's score. The checker runs the checks in list order and folds their findings into one
Verdict; a check never needs a new field on a record.

docs/architecture.md, "Add a check", is the recipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from generation.teachers.base import Teacher

    from ..context import PairContext


class Options(BaseModel):
    """A check's settings: strict, frozen, no unknown keys, no inf or nan. Each field is a [grounding]
    key, so its name must be unique across checks; its default is the measured value (say how)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


@dataclass
class Finding:
    """What one check found about one pair."""

    reasons: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    scores: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Progress:
    """What the checks so far found about a pair: what gates read."""

    reasons: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)


class Check:
    """One grounding check. Subclasses set the class attributes and write `run` (and `gate` when it
    depends on what ran before)."""

    name: ClassVar[str]
    reasons: ClassVar[dict[str, str]]  # reason code -> what it means
    Options: ClassVar[type[Options]] = Options
    VERSION: ClassVar[int] = 1
    # Whether [grounding] checks lists it (on by default); a check that is not listed says in `enabled`
    # what turns it on (an option of its own, as the teacher checks have). `listed_as`: the entry that
    # turns it on, when it is not its own name.
    listed: ClassVar[bool] = True
    listed_as: ClassVar[str | None] = None
    # A reason from this check makes the pair's score 0 (a novel fact or a malformed pair is not
    # "a little" grounded).
    zero_score: ClassVar[bool] = False
    needs_teacher: ClassVar[bool] = False

    def __init__(self, config: Any, teacher: "Teacher | None" = None):
        self.config = config  # the composed GroundingConfig: every check's options, by name
        self.teacher = teacher

    @classmethod
    def switch(cls) -> str | None:
        """The entry of [grounding] checks that turns it on; None for a check that list does not name."""
        if not cls.listed:
            return None
        return cls.listed_as or cls.name

    @classmethod
    def enabled(cls, config: Any) -> bool:
        return cls.switch() in config.checks

    def gate(self, pair: "PairContext", so_far: Progress) -> bool:
        """Whether the check runs on this pair, given what the checks before it found."""
        return True

    def run(self, pair: "PairContext") -> Finding:
        raise NotImplementedError

    @classmethod
    def signature_parts(cls, config: Any) -> dict[str, Any]:
        """What the grounding signature hashes for this check besides its options and VERSION (a
        prompt's text)."""
        return {}
