"""What a training format is: one class a file, listed once in `generation.outputs.formats.FORMATS`.

A format turns published pairs into one JSON record a line that a trainer reads (`record`), and says how
a reader finds its columns: the dataset card's line (`note`), LLaMA-Factory's dataset_info.json entry
(`llama_factory`, None where it has no such format) and an Axolotl `datasets:` entry (`axolotl`). Its
files are `<name>.jsonl` (train) and `<name>.validation.jsonl`; each loads with
`datasets.load_dataset("json", data_files=...)`.

docs/architecture.md, "Add a format", is the recipe.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Sequence

from generation.records import Pair


# The control tokens of the chat templates trainers apply (ChatML / Qwen, Llama 3, Llama 2 and Mistral,
# Gemma, Phi, GPT-style end of text). A document or a teacher reply that holds one could forge a turn: a
# chunk with "<|im_end|>\n<|im_start|>assistant ..." in a ChatML record, or in any format once a trainer
# renders it with such a template (tokenizers match these strings in plain text). Each is escaped with a
# backslash after its first character ("<\\|im_end|>"): the reader still sees what the document says, no
# tokenizer sees the token.
CONTROL_TOKENS = (
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
    "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>",
    "<start_of_turn>", "<end_of_turn>", "[INST]", "[/INST]", "<<SYS>>", "<</SYS>>", "<s>", "</s>",
)
_CONTROL = re.compile("|".join(re.escape(t) for t in sorted(CONTROL_TOKENS, key=len, reverse=True)))


def safe(text: str) -> str:
    """`text` with every chat control token escaped (see CONTROL_TOKENS)."""
    if "<" not in text and "[" not in text:
        return text
    return _CONTROL.sub(lambda m: m.group()[0] + "\\" + m.group()[1:], text)


def user_turn(pair: Pair, include_context: bool) -> str:
    """What the user says in the chat formats: the question, after the chunk when asked; escaped (`safe`)."""
    if include_context:
        return safe(f"Context:\n{pair.context}\n\nQuestion: {pair.question}")
    return safe(pair.question)


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
        return [(user_turn(p, include_context and i == 0), safe(a)) for i, (p, a) in enumerate(zip(pairs, answers))]
