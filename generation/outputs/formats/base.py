"""What a training format is: one class a file, listed once in `generation.outputs.formats.FORMATS`.

A format turns published pairs into one JSON record a line that a trainer reads (`record`), and says how
a reader finds its columns: the dataset card's line (`note`), LLaMA-Factory's dataset_info.json entry
(`llama_factory`, None where it has no such format) and an Axolotl `datasets:` entry (`axolotl`). Its
files are `<name>.jsonl` (train) and `<name>.validation.jsonl`; each loads with
`datasets.load_dataset("json", data_files=...)`.

docs/architecture.md, "Add a format", is the recipe.
"""

from __future__ import annotations

from typing import Any, ClassVar, Sequence

from generation.records import Pair


def user_turn(pair: Pair, include_context: bool) -> str:
    """What the user says in the chat formats: the question, after the chunk when asked."""
    if include_context:
        return f"Context:\n{pair.context}\n\nQuestion: {pair.question}"
    return pair.question


class Format:
    """One training format. Subclasses set `name` and `note` and write `record`, `axolotl` and, where a
    trainer reads it, `llama_factory`."""

    name: ClassVar[str]
    note: ClassVar[str]  # the record's columns, as the dataset card lists them
    chat: ClassVar[bool] = True  # a record holds a conversation (several turns: [output] turns)

    def record(self, pairs: Sequence[Pair], answers: Sequence[str], *, system: str | None, include_context: bool) -> dict[str, Any]:
        """`pairs` as one record: one user turn and one assistant turn (`answers`, in order) per pair; the
        first user turn carries the chunk with `include_context`. A format that is not a chat takes the
        first pair only."""
        raise NotImplementedError

    def llama_factory(self, system_prompt: str | None) -> dict[str, Any] | None:
        """The dataset_info.json entry for one of its files (without `file_name`), or None."""
        return None

    def axolotl(self, path: str) -> list[str]:
        """The lines of an Axolotl `datasets:` entry for the file at `path` (relative to the folder)."""
        raise NotImplementedError

    @staticmethod
    def turns(pairs: Sequence[Pair], answers: Sequence[str], include_context: bool) -> list[tuple[str, str]]:
        """(user, assistant) of each pair of a conversation."""
        return [(user_turn(p, include_context and i == 0), a) for i, (p, a) in enumerate(zip(pairs, answers))]
