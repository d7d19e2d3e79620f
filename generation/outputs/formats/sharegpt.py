"""sharegpt: {"conversations": [{"from": "system"}?, {"from": "human", "value": ...}, {"from": "gpt", ...}, ...]}."""

from __future__ import annotations

from typing import Any, Sequence

from generation.records import Pair

from .base import Format, safe


class ShareGPT(Format):
    name = "sharegpt"
    note = "`conversations`: [{`from`: system | human | gpt, `value`}]"

    def record(self, pairs: Sequence[Pair], answers: Sequence[str], *, system: str | None, include_context: bool) -> dict[str, Any]:
        turns = [{"from": "system", "value": safe(system)}] if system else []
        for user, answer in self.turns(pairs, answers, include_context):
            turns += [{"from": "human", "value": user}, {"from": "gpt", "value": answer}]
        return {"conversations": turns}

    def llama_factory(self, system_prompt: str | None) -> dict[str, Any]:
        return {
            "formatting": "sharegpt", "columns": {"messages": "conversations"},
            "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt", "system_tag": "system"},
        }

    def axolotl(self, path: str) -> list[str]:
        return [
            f"  - path: ./{path}", "    ds_type: json", "    type: chat_template", "    field_messages: conversations",
            "    message_property_mappings:", "      role: from", "      content: value",
            "    roles:", "      system: [system]", "      user: [human]", "      assistant: [gpt]",
        ]
