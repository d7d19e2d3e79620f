"""The generation strategies, by name. A strategy is one module here and one line in STRATEGIES
(docs/architecture.md, "Add a strategy")."""

from __future__ import annotations

from .base import WRITTEN_BY_CODE, GenerationResult, GenerationSettings, LargestPrompt, Strategy, title_for_check
from .fact_first import FactFirst
from .free_form import FreeForm

STRATEGIES: dict[str, type[Strategy]] = {strategy.name: strategy for strategy in (FreeForm, FactFirst)}
AUTO = "auto"


def strategy_for(settings: GenerationSettings) -> Strategy:
    """The strategy that `settings.strategy` names (already resolved from "auto")."""
    try:
        return STRATEGIES[settings.strategy](settings)
    except KeyError:
        raise ValueError(f"no generation strategy {settings.strategy!r}; choose from {', '.join([AUTO, *STRATEGIES])}") from None


__all__ = [
    "AUTO", "STRATEGIES", "WRITTEN_BY_CODE", "GenerationResult", "GenerationSettings", "LargestPrompt", "Strategy", "strategy_for",
    "title_for_check",
]
