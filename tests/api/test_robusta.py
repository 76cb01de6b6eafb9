"""Seed 004 (Robusta's Holmes chat API) replayed: JSON and SSE answers, and its documented errors."""

from __future__ import annotations

import httpx

from tests.api import seed_examples as seeds
from tests.api.conftest import API_AUTH, API_TOKEN, post_sse
from tests.conftest import Fleet
from tests.stubs.model import ModelStub

PATH = "/api/holmes/ACCOUNT_ID/chat"


def _post(fleet: Fleet, body: dict[str, object], headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(fleet.ingest_url + PATH, json=body, headers=API_AUTH if headers is None else headers, timeout=60)


def test_chat_example_answers_cluster_and_markdown(api_fleet: Fleet, api_model: ModelStub) -> None:
    response = _post(api_fleet, seeds.ROBUSTA_CHAT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cluster_id"] == "my-cluster"
    assert body["analysis"].startswith("# ")
    asked = api_model.completions[0]["messages"][-1]["content"]
    assert "frontend-59fbcd7965-drx6w" in asked, "the payload reached the model"


def test_streaming_example_ends_with_ai_answer_end(api_fleet: Fleet) -> None:
    response, events = post_sse(api_fleet.ingest_url + PATH, seeds.ROBUSTA_STREAM)
    assert response.headers["content-type"].startswith("text/event-stream")
    names = [event.event for event in events]
    assert names[-1] == "ai_answer_end" and "analysis" in events[-1].data
    start = next(event.data for event in events if event.event == "start_tool_calling")
    assert {"tool_call_id", "tool_name", "description"} <= set(start)
    result = next(event.data for event in events if event.event == "tool_calling_result")
    assert result["tool_call_id"] == start["tool_call_id"] and result["result"]["status"] == "success"
    tokens = next(event.data for event in events if event.event == "token_count")
    assert {"input_tokens", "output_tokens"} <= set(tokens)


def test_missing_or_bad_key_is_401(api_fleet: Fleet) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-key"}, {"Authorization": API_TOKEN}):
        response = _post(api_fleet, seeds.ROBUSTA_CHAT, headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


def test_x_api_key_is_accepted(api_fleet: Fleet) -> None:
    assert _post(api_fleet, seeds.ROBUSTA_CHAT, {"X-API-Key": API_TOKEN}).status_code == 200


def test_bad_body_or_model_is_400(api_fleet: Fleet) -> None:
    response = _post(api_fleet, {"cluster_id": "my-cluster"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "ask" in response.json()["detail"]
    assert _post(api_fleet, seeds.ROBUSTA_CHAT | {"model": "nope"}).status_code == 400
