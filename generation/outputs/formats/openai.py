"""openai: {"messages": [{"role": "system"}?, {"role": "user", "content": ...}, {"role": "assistant", ...}, ...]}."""

from __future__ import annotations

from typing import Any, Sequence

from generation.records import Pair

from .base import Format, safe


class OpenAI(Format):
    name = "openai"
    note = "`messages`: [{`role`: system | user | assistant, `content`}]"

    def record(self, pairs: Sequence[Pair], answers: Sequence[str], *, system: str | None, include_context: bool) -> dict[str, Any]:
        messages = [{"role": "system", "content": safe(system)}] if system else []
        for user, answer in self.turns(pairs, answers, include_context):
            messages += [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
        return {"messages": messages}

    def llama_factory(self, system_prompt: str | None) -> dict[str, Any]:
        return {
            "formatting": "sharegpt", "columns": {"messages": "messages"},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant", "system_tag": "system"},
        }

    def axolotl(self, path: str) -> list[str]:
        return [f"  - path: ./{path}", "    ds_type: json", "    type: chat_template", "    field_messages: messages"]
