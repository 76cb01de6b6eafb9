"""Every model call's usage, counted once where it happens (workers/investigator/model_calls.py).

Each response's `usage` is priced with litellm's local cost map and added to the investigation that is
metering (a context variable: the loop, the final answer and the verdict call all count, whichever
function made the call), and — in a worker — to the fleet: the /metrics counters and the hourly token
budget, both in Redis. The investigation's record and /metrics therefore add up the same calls.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import redis
import structlog

from alertfleet import fleet_metrics
from alertfleet.token_budget import TokenBudget
from alertfleet.usage import Usage

log = structlog.get_logger("worker")
_meter: contextvars.ContextVar[Usage | None] = contextvars.ContextVar("alertfleet_usage", default=None)


class UsageSink(Protocol):
    def spent(self, model: str, prompt: int, completion: int, cost: float | None) -> None: ...


class FleetUsage:
    """The worker's sink: fleet-wide counters on ingest's /metrics, and the hourly budget's window."""

    def __init__(self, client: redis.Redis, budget: TokenBudget) -> None:
        self.client = client
        self.budget = budget

    def spent(self, model: str, prompt: int, completion: int, cost: float | None) -> None:
        fleet_metrics.record(self.client, fleet_metrics.LLM_CALLS, {"model": model})
        fleet_metrics.record(self.client, fleet_metrics.LLM_TOKENS, {"model": model, "kind": "prompt"}, prompt)
        fleet_metrics.record(self.client, fleet_metrics.LLM_TOKENS, {"model": model, "kind": "completion"}, completion)
        if cost is not None:
            fleet_metrics.record(self.client, fleet_metrics.LLM_COST, {"model": model}, cost)
        try:
            self.budget.spend(prompt + completion)
        except (redis.RedisError, OSError) as exc:  # the budget is best effort; the answer is not lost over it
            log.warning("token_budget_not_recorded", error=type(exc).__name__)


_sink: UsageSink | None = None


def install_usage_sink(sink: UsageSink | None) -> None:
    global _sink
    _sink = sink


def install_fleet_usage(client: redis.Redis, hourly_limit: int | None) -> TokenBudget:
    """Count this process's model calls for the fleet (workers; the CLI when REDIS_URL is set): the
    /metrics counters and ALERTFLEET_TOKEN_BUDGET_PER_HOUR's window. Returns that budget to check."""
    budget = TokenBudget(client, hourly_limit)
    install_usage_sink(FleetUsage(client, budget))
    return budget


@contextmanager
def metered() -> Iterator[Usage]:
    """Count the model calls made inside the block (in this thread) into the Usage it yields."""
    usage = Usage()
    token = _meter.set(usage)
    try:
        yield usage
    finally:
        _meter.reset(token)


def current_usage() -> Usage | None:
    return _meter.get()


def price(model: str, prompt: int, completion: int) -> float | None:
    """USD by litellm's local cost map; None for a model it has no price for (self-hosted, stubs)."""
    import litellm  # loaded by the call that gave the usage; a write-only worker never imports it

    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model, prompt_tokens=prompt, completion_tokens=completion
        )
    except Exception:  # litellm raises for unmapped models: cost unknown is not an investigation failure
        return None
    return float(prompt_cost) + float(completion_cost)


def record_call(model: str, response: Any) -> None:
    """Add one response's usage to the metering investigation and to the fleet."""
    usage = getattr(response, "usage", None)
    prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
    completion = int(getattr(usage, "completion_tokens", 0) or 0)
    total = int(getattr(usage, "total_tokens", 0) or 0) or prompt + completion
    cost = price(model, prompt, completion)
    meter = _meter.get()
    if meter is not None:
        meter.add(prompt, completion, total, cost)
    if _sink is not None:
        _sink.spent(model, prompt, completion, cost)
