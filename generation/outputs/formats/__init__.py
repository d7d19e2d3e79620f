"""The training formats, by name, in the order they are listed. A format is one module here and one line
in FORMATS (docs/architecture.md, "Add a format")."""

from __future__ import annotations

from .alpaca import Alpaca
from .base import Format, user_turn
from .chatml import ChatML
from .openai import OpenAI
from .sharegpt import ShareGPT

FORMATS: dict[str, Format] = {fmt.name: fmt for fmt in (Alpaca(), ShareGPT(), OpenAI(), ChatML())}


def get(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown output format {name!r}; choose from {', '.join(FORMATS)}") from None


__all__ = ["FORMATS", "Format", "get", "user_turn"]
