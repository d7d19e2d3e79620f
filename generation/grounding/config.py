"""GroundingConfig: the checker's settings, [grounding] in corpus.toml, composed of every check's
Options (so a check's keys live with the check, and corpus.toml's keys are flat, as they always were).
`signature()` changes when any setting, a check's VERSION, or a teacher check's prompt does, so stored
verdicts are re-graded (no teacher call for the lexical checks)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import Field, create_model, field_validator

from .checks import CHECKS, Options

# The text layer's version: bump when tokens, sentences or the context the checks share change what they
# decide. Each check has its own VERSION for its own logic. 25: the checks became one class a file
# (figures unchanged; the signature is computed anew, so stored verdicts are re-graded once). 26: acronyms,
# ISO dates, numbers written rounded, glued infobox labels, "thirty five" (issue 22). 27: a sentence's
# vocabulary no longer takes numbers from the sentences before a scale word ("US$19 billion"); the quote
# check's window is the sentences' vocabularies (a glued "Georgianთბილისი" is both words). 28: a teacher's
# question for one fact may use only the title's words its chunk has (strategies/base.py, title_for_check).
CHECKER_VERSION = 28

LISTED = tuple(dict.fromkeys(c.switch() for c in CHECKS if c.switch() is not None))
CheckName = Literal[LISTED]  # type: ignore[valid-type]


class _Base(Options):
    # The checks that run; the teacher checks are switched by their own keys (judge, teacher_roundtrip).
    checks: tuple[CheckName, ...] = Field(LISTED, strict=False)  # a TOML list

    @field_validator("checks")
    @classmethod
    def _known_once(cls, checks: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(checks))

    def enabled(self) -> list[type]:
        """The checks that run with these settings, in order."""
        return [c for c in CHECKS if c.enabled(self)]

    def signature(self) -> str:
        """Short hash of every setting, the text layer's and each running check's version, and the
        teacher checks' prompts when they run."""
        data: dict[str, Any] = self.model_dump(mode="json")
        data["checker_version"] = CHECKER_VERSION
        for check in self.enabled():
            data[f"version:{check.name}"] = check.VERSION
            data.update(check.signature_parts(self))
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _compose() -> type[_Base]:
    seen: dict[str, str] = {}
    for check in CHECKS:
        for key in check.Options.model_fields:
            if key in seen:
                raise TypeError(f"[grounding] {key} is an option of both {seen[key]} and {check.name}: rename one")
            seen[key] = check.name
    validators: dict[str, str] = {}
    for check in CHECKS:  # pydantic keeps one validator of a name across bases: two would hide one
        for name in check.Options.__pydantic_decorators__.field_validators:
            if validators.setdefault(name, check.name) != check.name:
                raise TypeError(f"the options of {validators[name]} and {check.name} both have a validator {name}: rename one")
    bases = tuple(dict.fromkeys(c.Options for c in CHECKS if c.Options is not Options))
    return create_model("GroundingConfig", __base__=(_Base, *bases), __doc__=__doc__)


GroundingConfig = _compose()
