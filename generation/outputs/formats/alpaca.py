"""alpaca: {"instruction": question, "input": the chunk with include_context or "", "output": answer,
"system"?: the system prompt} (LLaMA-Factory reads the "system" column as the system prompt)."""

from __future__ import annotations

from typing import Any, Sequence

from generation.records import Pair

from .base import Format, safe


class Alpaca(Format):
    name = "alpaca"
    note = "`instruction`, `input` (the chunk, with include_context), `output`, `system`"
    chat = False

    def record(self, pairs: Sequence[Pair], answers: Sequence[str], *, system: str | None, include_context: bool) -> dict[str, Any]:
        first = pairs[0]
        record: dict[str, Any] = {"instruction": safe(first.question), "input": safe(first.context) if include_context else "", "output": safe(answers[0])}
        if system:
            record["system"] = safe(system)
        return record

    def llama_factory(self, system_prompt: str | None) -> dict[str, Any]:
        entry: dict[str, Any] = {"formatting": "alpaca", "columns": {"prompt": "instruction", "query": "input", "response": "output"}}
        if system_prompt:
            entry["columns"]["system"] = "system"
        return entry

    def axolotl(self, path: str) -> list[str]:
        return [f"  - path: ./{path}", "    ds_type: json", "    type: alpaca"]
