"""No runaway loops: a model asking for the same tool call forever ends in at most max_steps model calls,
the repeated call runs once, and a partial result is posted, not "no answer after N steps"."""

from __future__ import annotations

from tests.economy.conftest import Economy, PrometheusApiStub, alert, runaway
from tests.harness.processes import wait_for
from tests.stubs.model import ModelStub, ScriptedTools
from tests.stubs.slack import SlackStub


def test_runaway_model_ends_with_a_partial_answer_posted(
    economy: Economy, model_stub: ModelStub, slack_stub: SlackStub, prometheus_api: PrometheusApiStub
) -> None:
    model_stub.responder = runaway
    economy.env["ALERTFLEET_MAX_STEPS"] = "8"
    economy.start_ingest()
    economy.start_worker()
    investigation_id = economy.post(alert("RunawayLoop"))

    data = economy.wait_status(investigation_id, "completed", "failed")
    assert data["status"] == "completed", data
    assert wait_for(lambda: slack_stub.post_count() == 1, 60), economy.logs()
    assert data["partial"] is True and data["partial_reason"] == "max_steps"
    assert len(model_stub.completions) <= 8  # the loop's steps, the last without tools; no verdict call
    assert data["usage"]["model_calls"] == len(model_stub.completions)
    assert prometheus_api.queries == 1  # the same query with the same arguments ran once
    assert [call["tool_name"] for call in data["result"]["tool_calls"]] == ["execute_prometheus_instant_query"]
    # The repeats were told they already had the result, and the last call was offered no tools.
    told = [m["content"] for m in model_stub.completions[-1]["messages"] if m.get("role") == "tool"]
    assert len(told) == 7 and all(text.startswith("not run again") for text in told[1:])
    assert "tools" not in model_stub.completions[-1]
    assert "Stop investigating" in model_stub.completions[-1]["messages"][-1]["content"]
    message = slack_stub.messages_in("#alerts")[0]
    assert "partial answer (max_steps)" in str(message["blocks"])
    assert "no answer after" not in economy.logs()


def test_token_budget_of_one_investigation_ends_it_with_one_final_call(
    economy: Economy, model_stub: ModelStub, slack_stub: SlackStub, prometheus_api: PrometheusApiStub
) -> None:
    script = ScriptedTools([[("execute_prometheus_instant_query", {"query": f"up{{job='{n}'}}"})] for n in range(6)])
    model_stub.responder = script
    economy.env["ALERTFLEET_MAX_TOKENS_PER_INVESTIGATION"] = "1"  # spent by the first call
    economy.start_ingest()
    economy.start_worker()
    investigation_id = economy.post(alert("TokenHungry"))

    data = economy.wait_status(investigation_id, "completed", "failed")
    assert wait_for(lambda: slack_stub.post_count() == 1, 60), economy.logs()
    assert data["partial"] is True and data["partial_reason"] == "token_budget"
    assert len(model_stub.completions) == 2  # the first step, then the final answer without tools
    assert script.offered[-1] == []
    assert prometheus_api.queries == 1
    assert "Key Findings" in data["result"]["sections"] and data["result"]["analysis"]
