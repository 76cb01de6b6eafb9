"""What an investigation cost: model calls, tokens and USD, and the one way every output spells it.

The numbers come from each model response's `usage` (workers/investigator/usage_meter.py adds them
up); the API, the message footers, the webhook payload and /metrics all read this one record, so
they can never disagree. A model litellm has no price for has `cost_usd` None: "cost unknown", never
an error and never a made-up 0.
"""

from __future__ import annotations

from pydantic import BaseModel


class Usage(BaseModel):
    """`usage: {model_calls, prompt_tokens, completion_tokens, total_tokens, cost_usd}` of one investigation."""

    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = 0.0  # None once any call had no price (the whole sum is then unknown)

    def add(self, prompt: int, completion: int, total: int, cost: float | None) -> None:
        self.model_calls += 1
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        self.total_tokens += total
        self.cost_usd = None if cost is None or self.cost_usd is None else self.cost_usd + cost


def format_cost(cost: float | None) -> str:
    """`$0.0123` (four decimals: one investigation is usually cents), `cost unknown` without a price."""
    return "cost unknown" if cost is None else f"${cost:.4f}"


def usage_footer(model: str, usage: Usage, seconds: float) -> str:
    """`model · N calls · T tokens · $0.0123 · 14 s` — the footer line of a posted investigation."""
    calls = f"{usage.model_calls} call{'s' if usage.model_calls != 1 else ''}"
    return " · ".join([model, calls, f"{usage.total_tokens:,} tokens", format_cost(usage.cost_usd), f"{round(seconds)} s"])


def budget_spent_note(spent: int, limit: int) -> str:
    """The visible note of a problem degraded because the fleet's hourly token budget is spent."""
    return f"token budget for this hour spent: {spent:,} of {limit:,}"
