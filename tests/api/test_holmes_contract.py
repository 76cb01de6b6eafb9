"""Seeds 001/002 replayed verbatim against the real ingest and worker (stub model): documented fields,
documented SSE event names in a valid order, ending with ai_answer_end."""

from __future__ import annotations

import json

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api import seed_examples as seeds
from tests.api.conftest import API_AUTH, SEED_MODELS, SseEvent, post_sse, read_sse
from tests.conftest import Fleet
from tests.harness.processes import wait_for
from tests.stubs.model import ModelStub


def _post(fleet: Fleet, path: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(fleet.ingest_url + path, json=body, headers=API_AUTH, timeout=60)


def _assert_valid_order(events: list[SseEvent]) -> None:
    names = [event.event for event in events]
    assert names, "an empty stream"
    assert set(names) <= seeds.SSE_EVENTS, names
    assert names[-1] in ("ai_answer_end", "error", "approval_required"), names
    assert names.count(names[-1]) == 1, "the terminal event comes once, last"
    started: set[str] = set()
    for event in events:
        if event.event == "start_tool_calling":
            started.add(event.data["id"])
        if event.event == "tool_calling_result":
            assert event.data["tool_call_id"] in started, "a result follows its start_tool_calling"
    ids = [event.id for event in events]
    assert all(ids) and len(set(ids)) == len(ids), "every event has its own id (Last-Event-ID)"


def test_chat_example_answers_with_the_documented_fields(api_fleet: Fleet) -> None:
    response = _post(api_fleet, "/api/chat", seeds.CHAT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"analysis", "conversation_history", "tool_calls", "follow_up_actions"} <= set(body)
    history = body["conversation_history"]
    assert history[0] == seeds.SYSTEM
    assert history[1] == {"role": "user", "content": seeds.CHAT["ask"]}
    assert history[-1] == {"role": "assistant", "content": body["analysis"]}
    assert body["tool_calls"][0]["tool_name"] == "get_alert_group"
    assert "Alert Explanation" in body["analysis"]


def test_model_list_example_uses_a_configured_name(api_fleet: Fleet) -> None:
    response = _post(api_fleet, "/api/chat", seeds.CHAT_MODEL_LIST)
    assert response.status_code == 200, response.text
    assert response.json()["analysis"]


def test_api_model_lists_the_configured_names(api_fleet: Fleet) -> None:
    response = httpx.get(api_fleet.ingest_url + "/api/model", headers=API_AUTH, timeout=10)
    assert response.status_code == 200
    assert response.json() == {"model_name": sorted(SEED_MODELS)}


def test_unknown_model_is_400_naming_the_allowed_ones(api_fleet: Fleet) -> None:
    response = _post(api_fleet, "/api/chat", seeds.CHAT | {"model": "openai/gpt-4.1"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["allowed"] == sorted(SEED_MODELS)
    assert "fast-model" in response.json()["detail"]


@pytest.mark.parametrize("example", [seeds.INVESTIGATE, seeds.INVESTIGATE_002])
def test_investigate_example_answers_200_with_the_six_sections(api_fleet: Fleet, example: dict[str, object]) -> None:
    response = _post(api_fleet, "/api/investigate", example)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"analysis", "sections", "tool_calls", "instructions"}
    assert list(body["sections"]) == list(seeds.DEFAULT_SECTIONS)
    assert all(body["sections"].values()), "the stub answers every requested section"
    call = body["tool_calls"][0]
    assert {"tool_call_id", "tool_name", "description"} <= set(call)
    assert call["result"] is None, "include_tool_call_results was not asked for"


def test_investigate_with_custom_sections_and_results(api_fleet: Fleet) -> None:
    body = seeds.INVESTIGATE | {
        "sections": {"Summary": "one line", "Fix": "commands"},
        "include_tool_call_results": True,
    }
    answer = _post(api_fleet, "/api/investigate", body).json()
    assert list(answer["sections"]) == ["Summary", "Fix"]
    assert answer["sections"]["Summary"].startswith("Stub notes")
    assert answer["tool_calls"][0]["result"]["status"] == "success"
    assert "Pod CrashLoopBackOff" in answer["tool_calls"][0]["result"]["data"]


def test_stream_investigate_example_streams_in_order(api_fleet: Fleet) -> None:
    response, events = post_sse(api_fleet.ingest_url + "/api/stream/investigate", seeds.INVESTIGATE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    _assert_valid_order(events)
    names = [event.event for event in events]
    assert names == ["token_count", "start_tool_calling", "tool_calling_result", "token_count", "ai_answer_end"]
    start, result, end = events[1].data, events[2].data, events[-1].data
    assert set(start) >= {"tool_name", "id"}
    assert result["role"] == "tool" and set(result) >= {"tool_call_id", "description", "name", "result"}
    assert set(result["result"]) == {"status", "data", "error", "params"}
    assert set(events[0].data["metadata"]) == {"usage", "tokens", "max_tokens", "max_output_tokens"}
    assert list(end["sections"]) == list(seeds.DEFAULT_SECTIONS)
    assert {"analysis", "instructions", "metadata"} <= set(end)


def test_chat_stream_ends_with_ai_answer_end(api_fleet: Fleet) -> None:
    response, events = post_sse(api_fleet.ingest_url + "/api/chat", seeds.CHAT | {"stream": True})
    assert response.status_code == 200
    _assert_valid_order(events)
    end = events[-1]
    assert end.event == "ai_answer_end"
    assert {"analysis", "conversation_history", "follow_up_actions"} <= set(end.data)


def test_replay_and_resume_with_last_event_id(api_fleet: Fleet) -> None:
    response, events = post_sse(api_fleet.ingest_url + "/api/chat", seeds.CHAT | {"stream": True})
    session_id = response.headers["x-session-id"]
    url = f"{api_fleet.ingest_url}/api/v1/investigations/{session_id}/events"
    with httpx.stream("GET", url, headers=API_AUTH, timeout=30) as replay:
        replayed = read_sse(replay)
    assert [(e.event, e.id) for e in replayed] == [(e.event, e.id) for e in events]
    with httpx.stream("GET", url, headers=API_AUTH | {"Last-Event-ID": str(events[1].id)}, timeout=30) as resumed:
        rest = read_sse(resumed)
    assert [e.id for e in rest] == [e.id for e in events[2:]]
    unknown = httpx.get(f"{api_fleet.ingest_url}/api/v1/investigations/nope/events", headers=API_AUTH, timeout=10)
    assert unknown.status_code == 404


def test_issue_chat_example(api_fleet: Fleet, api_model: ModelStub) -> None:
    response = _post(api_fleet, "/api/issue_chat", seeds.ISSUE_CHAT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"analysis", "conversation_history", "tool_calls", "follow_up_actions"} <= set(body)
    system = api_model.completions[0]["messages"][0]["content"]
    assert "Pod crashed due to OOM." in system and "CrashLoopBackOff" in system


def test_workload_health_check_example(api_fleet: Fleet) -> None:
    response = _post(api_fleet, "/api/workload_health_check", seeds.WORKLOAD_HEALTH_CHECK)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"analysis", "sections", "tool_calls", "instructions"}
    assert body["sections"] is None
    assert body["analysis"]


def test_workload_health_chat_example(api_fleet: Fleet) -> None:
    response = _post(api_fleet, "/api/workload_health_chat", seeds.WORKLOAD_HEALTH_CHAT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"analysis", "conversation_history", "tool_calls"}
    assert body["conversation_history"][-1]["role"] == "assistant"


def test_response_format_answer_validates(api_fleet: Fleet, api_model: ModelStub) -> None:
    schema = {
        "type": "object",
        "properties": {"healthy": {"type": "boolean"}, "pods": {"type": "integer"}},
        "required": ["healthy", "pods"],
    }
    response = _post(api_fleet, "/api/chat", seeds.CHAT | {"response_format": schema})
    assert response.status_code == 200, response.text
    answer = json.loads(response.json()["analysis"])
    assert set(answer) == {"healthy", "pods"}
    sent = api_model.completions[-1]["response_format"]
    assert sent["json_schema"]["schema"] == schema


def test_model_rate_limit_ends_the_stream_with_error_5204(api_fleet: Fleet, api_model: ModelStub) -> None:
    api_model.fail_next(1, 429, headers={"Retry-After": "1"})
    _response, events = post_sse(api_fleet.ingest_url + "/api/chat", seeds.CHAT | {"stream": True})
    assert [event.event for event in events] == ["error"]
    assert events[0].data["error_code"] == 5204 and events[0].data["success"] is False
    assert {"description", "msg"} <= set(events[0].data)
    api_model.fail_next(1, 429, headers={"Retry-After": "1"})
    plain = _post(api_fleet, "/api/chat", seeds.CHAT)
    assert plain.status_code == 429
    assert plain.headers["content-type"] == "application/problem+json"
    assert plain.json()["session_id"]


def _llm_calls(fleet: Fleet) -> float:
    text = httpx.get(fleet.ingest_url + "/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "alertfleet_llm_calls_total" and sample.labels.get("model") == "openai/stub-model"
    )


def test_chat_model_calls_go_through_the_fleet_limits_and_meter(api_fleet: Fleet, api_model: ModelStub) -> None:
    """A chat is a model user like an investigation: its calls are counted fleet-wide (and so waited for
    under the same per-model limits), which a direct litellm call would skip."""
    before = _llm_calls(api_fleet)
    response = _post(api_fleet, "/api/chat", seeds.CHAT)
    assert response.status_code == 200, response.text
    calls = len(api_model.completions)
    assert calls >= 1
    assert wait_for(lambda: _llm_calls(api_fleet) - before == calls, 30), (_llm_calls(api_fleet), before, calls)
