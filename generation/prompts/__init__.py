"""The prompts, one text file each (<name>.txt beside this module), and the one way to read them.

Each user of a prompt parses its own layout: free-form and fact-first split theirs at lines of "---"
(generation/strategies/), the teacher checks fill {placeholders} (generation/grounding/checks/). A
prompt's text is hashed into the signature of what it produces, so editing a prompt regenerates (or
re-grades) exactly what it wrote.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).parent


class PromptNotFound(ValueError):
    pass


@lru_cache(maxsize=32)
def load(name: str) -> str:
    """The text of generation/prompts/<name>.txt."""
    path = PROMPTS_DIR / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PromptNotFound(f"no prompt named {name!r} in generation/prompts/ (known: {', '.join(names())})") from None


def names(family: str = "") -> list[str]:
    """The prompts whose names start with `family` ("judge_", "roundtrip_", ...)."""
    return sorted(p.stem for p in PROMPTS_DIR.glob(f"{family}*.txt"))


def exists(name: str) -> bool:
    return (PROMPTS_DIR / f"{name}.txt").is_file()
