"""The model stub, driven by litellm's OpenAI provider over loopback HTTP."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.stubs.model import SECTION_HEADINGS, Messages, ModelStub, Tools

# Before litellm is imported, or it fetches its price map from the internet.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm
from litellm.exceptions import AuthenticationError, BadRequestError, RateLimitError, Timeout

MODEL = "openai/stub-model"
TOOLS: Tools = [
    {
        "type": "function",
        "function": {
            "name": "fetch_firing_alerts",
            "description": "List firing alerts from Alertmanager.",
            "parameters": {"type": "object", "properties": {}},
        },
    }
]
TOOL_RESULT = json.dumps([{"labels": {"alertname": "KubePodCrashLooping", "namespace": "shop"}}])


@pytest.fixture
def stub() -> Iterator[ModelStub]:
    with ModelStub() as running:
        yield running


def complete(stub: ModelStub, messages: Messages, **kwargs: Any) -> Any:
    kwargs.setdefault("api_key", "sk-test")
    kwargs.setdefault("timeout", 10)
    return litellm.completion(model=MODEL, api_base=stub.api_base, messages=messages, max_retries=0, **kwargs)


def test_tool_call_then_tool_result_yields_the_four_sections(stub: ModelStub) -> None:
    messages: Messages = [
        {"role": "system", "content": "You investigate alerts."},
        {"role": "user", "content": "Why is the shop alert firing?"},
    ]

    first = complete(stub, messages, tools=TOOLS)

    assert first.choices[0].finish_reason == "tool_calls"
    [call] = first.choices[0].message.tool_calls
    assert (call.function.name, json.loads(call.function.arguments)) == ("fetch_firing_alerts", {})

    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": TOOL_RESULT})
    second = complete(stub, messages, tools=TOOLS)

    answer = second.choices[0].message.content
    assert second.choices[0].finish_reason == "stop"
    assert [line for line in answer.splitlines() if line.startswith("# ")] == list(SECTION_HEADINGS)
    assert "KubePodCrashLooping" in answer
    assert second.usage.total_tokens == second.usage.prompt_tokens + second.usage.completion_tokens
    assert len(stub.completions) == 2
    assert stub.violations == []


def test_without_tools_the_model_answers_directly(stub: ModelStub) -> None:
    response = complete(stub, [{"role": "user", "content": "hello"}])
    assert response.choices[0].message.content.startswith("# Alert Explanation")


def test_tool_name_from_the_constructor_is_called() -> None:
    with ModelStub(tool_name="get_logs", tool_arguments={"pod": "web-1"}) as stub:
        response = complete(stub, [{"role": "user", "content": "go"}], tools=TOOLS)
    [call] = response.choices[0].message.tool_calls
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_logs", {"pod": "web-1"})


def test_custom_responder_scripts_the_answer() -> None:
    seen: list[int] = []

    def responder(messages: Messages, tools: Tools) -> dict[str, Any]:
        seen.append(len(messages))
        return {"content": "scripted"}

    with ModelStub(responder=responder) as stub:
        response = complete(stub, [{"role": "user", "content": "go"}])
    assert (response.choices[0].message.content, seen) == ("scripted", [1])


def test_wrong_api_key_raises_authentication_error(stub: ModelStub) -> None:
    with pytest.raises(AuthenticationError):
        complete(stub, [{"role": "user", "content": "x"}], api_key="sk-wrong")
    assert stub.violations == ["/v1/chat/completions: wrong API key"]


def test_tool_result_without_a_preceding_tool_call_is_rejected(stub: ModelStub) -> None:
    messages: Messages = [
        {"role": "user", "content": "x"},
        {"role": "tool", "tool_call_id": "call_nowhere", "content": "{}"},
    ]
    with pytest.raises(BadRequestError):
        complete(stub, messages)
    assert len(stub.violations) == 1


def test_slow_model_hits_the_client_timeout() -> None:
    with ModelStub(delay_seconds=3) as stub:
        started = time.monotonic()
        with pytest.raises(Timeout):
            complete(stub, [{"role": "user", "content": "x"}], timeout=0.5)
        assert time.monotonic() - started < 2.5


def test_injected_rate_limit_surfaces_as_rate_limit_error(stub: ModelStub) -> None:
    stub.fail_next(1, 429, headers={"Retry-After": "1"})
    with pytest.raises(RateLimitError):
        complete(stub, [{"role": "user", "content": "x"}])
