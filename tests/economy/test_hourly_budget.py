"""The fleet's hourly token budget: spent, the next problem gets enrichment with the note (and the
metrics say so); once the spend slides out of the hour, problems get the model again.

The clock is made true, not waited for: the spend is seeded in the Redis window ten minutes ago, then
moved to sixty-one minutes ago (what an hour passing does to it)."""

from __future__ import annotations

import time

import redis

from alertfleet.keys import TOKEN_BUDGET
from alertfleet.token_budget import minute
from tests.economy.conftest import Economy, alert
from tests.harness.processes import wait_for
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

NOTE = "token budget for this hour spent: 1,000,000 of 1,000,000"


def test_spent_hourly_budget_degrades_to_enrichment_then_recovers(
    economy: Economy, redis_client: redis.Redis, model_stub: ModelStub, slack_stub: SlackStub
) -> None:
    economy.env["ALERTFLEET_TOKEN_BUDGET_PER_HOUR"] = "1000000"
    now_minute = minute(time.time())
    redis_client.hset(TOKEN_BUDGET, str(now_minute - 10), 1_000_000)
    economy.start_ingest()
    economy.start_worker()

    spent = economy.wait_status(economy.post(alert("BudgetSpent")), "completed", "failed")
    assert spent["result"]["mode"] == "enrich"
    assert spent["result"]["degraded_reason"] == NOTE
    assert spent["usage"]["model_calls"] == 0 and model_stub.completions == []
    assert wait_for(lambda: slack_stub.post_count() == 1, 60), economy.logs()
    assert NOTE in slack_stub.messages_in("#alerts")[0]["text"]
    metrics = economy.metrics()
    assert metrics[("alertfleet_token_budget_exhausted_total", ())] == 1
    assert metrics[("alertfleet_token_budget_remaining", ())] == 0

    # An hour later: the spend is older than the window.
    redis_client.hdel(TOKEN_BUDGET, str(now_minute - 10))
    redis_client.hset(TOKEN_BUDGET, str(now_minute - 61), 1_000_000)
    recovered = economy.wait_status(economy.post(alert("BudgetBack")), "completed", "failed")
    assert recovered["result"]["mode"] == "llm" and recovered["result"]["degraded_reason"] is None
    assert recovered["usage"]["model_calls"] == len(model_stub.completions) > 0
    # What it spent is in the window now, and the gauge shows what is left.
    remaining = economy.metrics()[("alertfleet_token_budget_remaining", ())]
    assert remaining == 1_000_000 - recovered["usage"]["total_tokens"]
