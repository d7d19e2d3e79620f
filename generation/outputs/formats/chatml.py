"""chatml: {"text": "<|im_start|>system\n...<|im_end|>\n"? "<|im_start|>user\n...<|im_end|>\n<|im_start|>assistant\n...<|im_end|>\n" ...}:
the conversation as one text, for trainers that take raw text. LLaMA-Factory has no format for it."""

from __future__ import annotations

from typing import Any, Sequence

from generation.records import Pair

from .base import Format, safe


class ChatML(Format):
    name = "chatml"
    note = "`text`: the conversation in ChatML (`<|im_start|>role\\n...<|im_end|>`)"

    def record(self, pairs: Sequence[Pair], answers: Sequence[str], *, system: str | None, include_context: bool) -> dict[str, Any]:
        text = f"<|im_start|>system\n{safe(system)}<|im_end|>\n" if system else ""
        for user, answer in self.turns(pairs, answers, include_context):
            text += f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{answer}<|im_end|>\n"
        return {"text": text}

    def axolotl(self, path: str) -> list[str]:
        return [f"  - path: ./{path}", "    ds_type: json", "    type: completion", "    field: text"]
