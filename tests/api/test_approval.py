"""Seed 002's approval flow: a tool marked `approval: true` is not run until the client approves it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api import seed_examples as seeds
from tests.api.conftest import API_AUTH, config_yaml, module_fleet, post_sse
from tests.conftest import Fleet
from tests.harness.processes import RedisServer
from tests.stubs.model import ModelStub, message_text
from workers.chat.engine import DENIED


@pytest.fixture(scope="module")
def approval_fleet(
    redis_server: RedisServer, api_model: ModelStub, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fleet]:
    config = config_yaml(approval_tools=("get_alert_group",))
    with module_fleet(redis_server, api_model, tmp_path_factory.mktemp("approval"), 4, config) as fleet:
        yield fleet


@pytest.fixture
def fleet(approval_fleet: Fleet, api_model: ModelStub) -> Fleet:
    api_model.reset()
    return approval_fleet


def _chat(fleet: Fleet, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{fleet.ingest_url}/api/chat", json=body, headers=API_AUTH, timeout=60)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _tool_messages(model: ModelStub) -> list[str]:
    return [message_text(m) for c in model.completions for m in c["messages"] if m.get("role") == "tool"]


def _ask_for_approval(fleet: Fleet, model: ModelStub) -> dict[str, Any]:
    waiting = _chat(fleet, seeds.CHAT)
    assert waiting["requires_approval"] is True and waiting["analysis"] is None
    (pending,) = waiting["pending_approvals"]
    assert pending["tool_name"] == "get_alert_group"
    assert _tool_messages(model) == [], "nothing ran before the decision"
    return waiting


def test_approval_required_event_ends_the_stream(fleet: Fleet) -> None:
    _response, events = post_sse(f"{fleet.ingest_url}/api/chat", seeds.CHAT | {"stream": True})
    names = [event.event for event in events]
    assert names == ["token_count", "start_tool_calling", "tool_calling_result", "approval_required"]
    assert events[2].data["result"]["status"] == "approval_required"
    end = events[-1].data
    assert end["requires_approval"] is True and end["content"] is None
    assert end["pending_approvals"][0]["tool_call_id"] == events[1].data["id"]
    assistant = [m for m in end["conversation_history"] if m.get("tool_calls")][-1]
    assert assistant["tool_calls"][0]["pending_approval"] is True


def test_approved_tool_runs(fleet: Fleet, api_model: ModelStub) -> None:
    waiting = _ask_for_approval(fleet, api_model)
    call_id = waiting["pending_approvals"][0]["tool_call_id"]
    decisions = [{"tool_call_id": call_id, "approved": True}]
    answer = _chat(fleet, {"conversation_history": waiting["conversation_history"], "tool_decisions": decisions})
    assert answer["requires_approval"] is False and answer["analysis"]
    assert answer["tool_calls"][0]["result"]["status"] == "success"
    (ran,) = _tool_messages(api_model)
    assert '"group_key"' in ran, "the alert group tool's output reached the model"
    sent = api_model.completions[-1]["messages"]
    assert all("pending_approval" not in call for m in sent for call in m.get("tool_calls") or [])


def test_denied_tool_does_not_run(fleet: Fleet, api_model: ModelStub) -> None:
    waiting = _ask_for_approval(fleet, api_model)
    call_id = waiting["pending_approvals"][0]["tool_call_id"]
    decisions = [{"tool_call_id": call_id, "approved": False}]
    answer = _chat(fleet, {"conversation_history": waiting["conversation_history"], "tool_decisions": decisions})
    assert answer["analysis"]
    assert _tool_messages(api_model) == [DENIED]
    assert answer["tool_calls"][0]["result"]["status"] == "error"


def test_investigations_never_wait_for_an_approval(fleet: Fleet, api_model: ModelStub) -> None:
    response = httpx.post(f"{fleet.ingest_url}/api/investigate", json=seeds.INVESTIGATE, headers=API_AUTH, timeout=60)
    assert response.status_code == 200
    assert response.json()["tool_calls"] == []
    assert all(not c.get("tools") for c in api_model.completions), "a tool needing approval is not offered"
