"""What a generation strategy is: one class a file, listed once in `generation.strategies.STRATEGIES`.

A strategy turns one chunk into candidate pairs with the teacher. It has a `name` (the [generation]
strategy value); a `signature` of everything that changes what it writes (the teacher's identity, its
prompt, its settings), which keys the stored generations; `largest_prompt`, what the run checks against
the teacher's context before the first call; `generate`, one chunk's candidates; and `outcome`, how a
run's reject rate is counted for it. The run never compares strategy names: it asks the strategy.

docs/architecture.md, "Add a strategy", is the recipe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, ClassVar, Iterable, Sequence

from generation.records import Candidate
from generation.teachers.base import Message, Teacher, Usage

# The teacher id of a question code wrote (generation/text/questions.py), not a teacher.
WRITTEN_BY_CODE = "groundqa:written"


def title_for_check(teacher_id: str, target: str | None, title: str | None, chunk_text: str) -> str | None:
    """The title the checker reads a candidate with: its words name the document's subject (which a question may
    leave to them) and may be used though the chunk lacks them. For a teacher's question written for one fact
    (fact-first), only the title's words the chunk has too: a small teacher given the title as the topic copies
    it where it does not fit ("When did the first Go Turns 10 release?", "When did FTP download support become
    like this?" of "How curl Became Like This": 3 of the 5 wrong pairs a seventh held-out set of real prose
    published, bench/realdocs7). Code names a subject by the title only where the title names it ("the Cwm Llys
    viaduct"), and a free-form teacher writes about the whole chunk, whose subject the title may be: both keep it."""
    if title is None or target is None or teacher_id == WRITTEN_BY_CODE:
        return title
    in_chunk = set(re.findall(r"\w+", chunk_text.lower()))
    kept = [w for w in title.split() if all(part in in_chunk for part in re.findall(r"\w+", w.lower()))]
    return " ".join(kept) or None


@dataclass
class GenerationSettings:
    """What changes a chunk's pairs ([generation] and [teacher] settings). `strategy` names the strategy
    that reads them (STRATEGIES); each reads the fields it needs."""

    pairs_per_chunk: int = 3
    max_tokens: int = 768
    temperature: float = 0.7
    seed: int = 0
    prompt: str = "qa_v1"
    strategy: str = "free_form"
    facts_per_chunk: int | None = None  # fact-first: None = every fact the chunk has, up to facts.MAX_FACTS_PER_CHUNK
    candidates_per_fact: int = 3
    fact_prompt: str = "fact_first_v1"
    small_teacher: bool = False  # fact-first: a teacher under 1B parameters is not asked for counts (fact_first.py)


@dataclass
class GenerationResult:
    """A chunk's outcome: `status` is "ok", "invalid_reply" (the reply failed validation twice) or
    "teacher_error" (the teacher could not answer; not stored, so the next run tries again)."""

    status: str
    candidates: list[Candidate] = field(default_factory=list)
    raw_reply: str | None = None
    error: str | None = None
    usage: Usage = field(default_factory=Usage)
    calls: int = 0
    seconds: float = 0.0

    def count(self, usage: Usage) -> None:
        """Add one call's token counts."""
        self.calls += 1
        self.usage.prompt_tokens += usage.prompt_tokens
        self.usage.completion_tokens += usage.completion_tokens
        self.usage.cached_tokens += usage.cached_tokens


@dataclass
class LargestPrompt:
    """The longest prompt a strategy will send for some chunks, and the bound of its reply."""

    messages: list[Message]
    reply_tokens: int
    setting: str  # what bounds the reply, for the message when it does not fit: "[teacher] max_tokens"


Accept = Callable[[Candidate], bool]


class Strategy:
    """One way to get pairs from a chunk. Subclasses set `name` and write the methods."""

    name: ClassVar[str]

    def __init__(self, settings: GenerationSettings):
        self.settings = settings

    def check(self) -> None:
        """Raise ValueError naming the setting when the settings cannot work (an unknown prompt)."""

    def signature(self, teacher_identity: str) -> str:
        raise NotImplementedError

    def largest_prompt(self, chunks: Sequence[tuple[str, str, int]]) -> LargestPrompt | None:
        """The longest prompt for these chunks, given as (text, title, token count); None when nothing
        will be asked."""
        raise NotImplementedError

    def generate(self, teacher: Teacher, chunk_text: str, *, key: str, gen_sig: str, title: str, accept: Accept | None = None) -> GenerationResult:
        """The chunk's candidates. `key` (the chunk text's hash) and `gen_sig` make the pair ids; `accept`
        is the grounding checker, for a strategy that tries again until a candidate passes."""
        raise NotImplementedError

    def outcome(self, candidates: Iterable, grounded: Callable[[object], bool]) -> tuple[int, int, str] | None:
        """(asked, failed, what failed) for the run's reject rate ([grounding] max_reject_rate), when the
        strategy counts it otherwise than the run does (rejected pairs and invalid replies of all checked)."""
        return None
