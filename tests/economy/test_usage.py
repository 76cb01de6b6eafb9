"""Usage and cost: the API, the Slack footer, the webhook payload and /metrics carry the same numbers;
a model litellm has no price for shows "cost unknown" / null, never an error."""

from __future__ import annotations

from typing import Any

import pytest

from tests.economy.conftest import Economy, alert
from tests.harness.processes import wait_for
from tests.stubs.slack import SlackStub
from tests.stubs.webhook import WebhookStub


def _footer(slack_stub: SlackStub) -> str:
    blocks = slack_stub.messages_in("#alerts")[0]["blocks"]
    return str(next(block for block in blocks if block["type"] == "context")["elements"][0]["text"])


def _finished(economy: Economy, slack_stub: SlackStub, webhook_receiver: WebhookStub, name: str) -> dict[str, Any]:
    economy.start_ingest()
    economy.start_worker()
    data = economy.wait_status(economy.post(alert(name)), "completed", "failed")
    assert data["status"] == "completed", data
    assert wait_for(lambda: slack_stub.post_count() == 1 and len(webhook_receiver.deliveries) == 1, 60), economy.logs()
    return data


def test_priced_model_shows_the_same_usage_everywhere(
    economy: Economy, slack_stub: SlackStub, webhook_receiver: WebhookStub
) -> None:
    model = "openai/gpt-4o-mini"  # priced in litellm's local map; served by the stub
    economy.env["MODEL"] = model
    economy.env["ALERTFLEET_INVESTIGATION_VERDICT"] = "true"  # the verdict's call is metered like the rest
    data = _finished(economy, slack_stub, webhook_receiver, "PricedUsage")
    usage = data["usage"]
    assert usage["model_calls"] == 3  # one tool step, the answer, the verdict
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    assert usage["cost_usd"] is not None and usage["cost_usd"] > 0
    assert data["result"]["token_count"] == usage["total_tokens"]

    seconds = round(data["result"]["duration_seconds"])
    expected = (
        f"{model} · 3 calls · {usage['total_tokens']:,} tokens · ${usage['cost_usd']:.4f} · {seconds} s"
    )
    assert expected in _footer(slack_stub)

    payload = webhook_receiver.deliveries[0].json["data"]
    assert payload["token_count"] == usage["total_tokens"]
    assert payload["usage"] == usage

    metrics = economy.metrics()
    assert metrics[("alertfleet_llm_calls_total", (("model", model),))] == usage["model_calls"]
    prompt = metrics[("alertfleet_llm_tokens_total", (("kind", "prompt"), ("model", model)))]
    completion = metrics[("alertfleet_llm_tokens_total", (("kind", "completion"), ("model", model)))]
    assert (prompt, completion) == (usage["prompt_tokens"], usage["completion_tokens"])
    assert metrics[("alertfleet_llm_cost_usd_total", (("model", model),))] == pytest.approx(usage["cost_usd"], rel=1e-9)


def test_unpriced_model_has_cost_unknown_not_an_error(
    economy: Economy, slack_stub: SlackStub, webhook_receiver: WebhookStub
) -> None:
    data = _finished(economy, slack_stub, webhook_receiver, "UnpricedUsage")  # MODEL openai/stub-model
    usage = data["usage"]
    assert usage["model_calls"] == 2 and usage["total_tokens"] > 0  # a tool step and the answer; no verdict
    assert usage["cost_usd"] is None
    assert data["result"]["mode"] == "llm" and data["result"]["degraded_reason"] is None
    footer = _footer(slack_stub)
    assert f"openai/stub-model · 2 calls · {usage['total_tokens']:,} tokens · cost unknown · " in footer
    assert webhook_receiver.deliveries[0].json["data"]["usage"]["cost_usd"] is None
    metrics = economy.metrics()
    assert metrics[("alertfleet_llm_calls_total", (("model", "openai/stub-model"),))] == 2
    assert ("alertfleet_llm_cost_usd_total", (("model", "openai/stub-model"),)) not in metrics
