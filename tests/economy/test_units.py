"""The economy's parts on their own: the sliding-hour budget in a real Redis, `max_tokens:` inherited
like `max_steps`, the loop's stop rule, and the footer's spelling."""

from __future__ import annotations

import time

import pytest
import redis

from alertfleet.config import ConfigError
from alertfleet.keys import TOKEN_BUDGET
from alertfleet.models import Event
from alertfleet.routing import decide
from alertfleet.token_budget import TokenBudget, minute
from alertfleet.usage import Usage, budget_spent_note, usage_footer
from tests.routing.conftest import config
from workers.investigator.loop import LoopLimits, stop_reason

TREE = """
destinations:
  oncall: {type: slack, channel: "#oncall"}
route:
  model: openai/gpt-4.1-mini
  max_tokens: 50000
  destinations: [oncall]
  routes:
    - name: inherits
      matchers: ['team="a"']
    - name: own
      matchers: ['team="b"']
      max_tokens: 9000
"""


def test_max_tokens_is_inherited_like_max_steps() -> None:
    routing = config(TREE)

    def budget(team: str) -> int | None:
        return decide(routing, Event(source="alertmanager", title="t", labels={"team": team})).max_tokens

    assert (budget("a"), budget("b"), budget("c")) == (50000, 9000, 50000)


def test_a_bad_max_tokens_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError, match=r"route\.routes\[1\]\.max_tokens"):
        config(TREE.replace("max_tokens: 9000", "max_tokens: 0"))


def test_the_budget_slides_a_minute_at_a_time(redis_client: redis.Redis) -> None:
    budget = TokenBudget(redis_client, 1000)
    now = time.time()
    budget.spend(600, now - 59 * 60)  # the hour's oldest live minute
    budget.spend(400, now)
    state = budget.state(now)
    assert state is not None and (state.spent, state.exhausted, state.remaining) == (1000, True, 0)
    later = budget.state(now + 60)  # the oldest minute left the hour
    assert later is not None and (later.spent, later.exhausted) == (400, False)
    assert redis_client.hlen(TOKEN_BUDGET) == 1  # and its counter was dropped


def test_without_a_limit_nothing_is_kept(redis_client: redis.Redis) -> None:
    budget = TokenBudget(redis_client, None)
    budget.spend(10_000)
    assert budget.state() is None and not redis_client.exists(TOKEN_BUDGET)
    assert minute(120.5) == 2


def test_the_loop_stops_for_tokens_deadline_and_steps() -> None:
    limits = LoopLimits(max_steps=8, call_timeout=10, max_tokens=100, seconds=60)
    assert stop_reason(2, limits, spent=99, elapsed=0) is None
    assert stop_reason(2, limits, spent=100, elapsed=0) == "token_budget"
    assert stop_reason(2, limits, spent=0, elapsed=40) == "deadline"  # 60 s less room for two calls
    assert stop_reason(8, limits, spent=0, elapsed=0) == "max_steps"
    one_step = LoopLimits(max_steps=1, call_timeout=10)
    assert stop_reason(1, one_step, spent=0, elapsed=0) is None  # never offered tools: not cut short


def test_footer_and_note_spelling() -> None:
    usage = Usage()
    usage.add(1200, 34, 1234, 0.0123)
    assert usage_footer("openai/gpt-4.1-mini", usage, 14.2) == "openai/gpt-4.1-mini · 1 call · 1,234 tokens · $0.0123 · 14 s"
    usage.add(10, 1, 11, None)
    assert usage.cost_usd is None and usage.model_calls == 2
    assert "· cost unknown ·" in usage_footer("m", usage, 1)
    assert budget_spent_note(1_000_000, 1_000_000) == "token budget for this hour spent: 1,000,000 of 1,000,000"
