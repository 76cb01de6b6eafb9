"""The loop's tool handling: parallel and bounded, a timeout per call, results capped, errors as results."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from alertfleet.models import Event
from alertfleet.toolset_config import EffectiveToolsets
from tests.stubs.model import ModelStub
from tests.toolsets.helpers import MODEL, investigate, results_by_tool, unfenced, use_model_stub
from workers.investigator.result_cap import DEFAULT_CONTEXT_WINDOW, cap_result, count_tokens, result_token_cap
from workers.investigator.toolsets import Tool, Toolset, params
from workers.investigator.toolsets.registry import Toolbox


class Probe:
    """Tools that meet at a barrier (so they can only both succeed when run at once) and count overlap."""

    def __init__(self) -> None:
        self.barrier = threading.Barrier(2, timeout=20)
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.release = threading.Event()

    def run(self, _event: Event, arguments: dict[str, Any]) -> str:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            mode = arguments.get("mode")
            if mode == "meet":
                self.barrier.wait()
            elif mode == "hang":
                self.release.wait(60)
            elif mode == "huge":
                return "\n".join(f"row {i}: " + "x" * 60 for i in range(20_000))
            elif mode == "nap":
                time.sleep(0.05)
            elif mode == "boom":
                raise RuntimeError("backend said no")
            return f"done {arguments.get('id')}"
        finally:
            with self.lock:
                self.active -= 1


def _toolbox(probe: Probe, timeout: float | None = None, keep_tail: bool = False) -> Toolbox:
    schema = params({"mode": {"type": "string"}, "id": {"type": "integer"}})
    tools = (
        Tool("probe", "test probe", schema, probe.run, timeout=timeout),
        Tool("probe_tail", "test probe keeping the end", schema, probe.run, keep_tail=True),
    )
    return Toolbox([Toolset("probe", True, tools)], [], EffectiveToolsets())


def test_calls_of_one_step_run_in_parallel_bounded_by_the_setting(model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch) -> None:
    use_model_stub(monkeypatch, model_stub)
    probe = Probe()
    calls = [("probe", {"mode": "meet", "id": 1}), ("probe", {"mode": "meet", "id": 2})]
    calls += [("probe", {"id": n}) for n in range(3, 7)]
    result, _ = investigate(model_stub, _toolbox(probe), [calls], ALERTFLEET_TOOL_CONCURRENCY=2)
    assert [c.error for c in result.tool_calls] == [None] * 6, "the two meeting calls ran at the same time"
    assert probe.peak <= 2, "never more than ALERTFLEET_TOOL_CONCURRENCY at once"
    assert [c.result for c in result.tool_calls] == [f"done {n}" for n in range(1, 7)], "recorded in call order"


def test_a_hung_tool_times_out_alone_and_the_investigation_completes(model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch) -> None:
    use_model_stub(monkeypatch, model_stub)
    probe = Probe()
    try:
        steps = [[("probe", {"mode": "hang"}), ("probe_tail", {"id": 2})]]
        result, _ = investigate(model_stub, _toolbox(probe, timeout=0.5), steps)
    finally:
        probe.release.set()
    hung, fine = result.tool_calls
    assert hung.error == "timed out after 0.5s"
    assert fine.error is None and fine.result == "done 2"
    assert results_by_tool(model_stub, result)["probe"][0] == "error: timed out after 0.5s"
    assert result.mode == "llm" and result.sections.key_findings


def test_errors_of_every_kind_reach_the_model_as_that_tools_result(model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch) -> None:
    use_model_stub(monkeypatch, model_stub)
    steps = [[("probe", {"mode": "boom"}), ("probe", "{not json"), ("no_such_tool", {}), ("probe", "[1, 2]")]]
    result, _ = investigate(model_stub, _toolbox(Probe()), steps)
    errors = [c.error for c in result.tool_calls]
    assert errors[0] == "RuntimeError: backend said no"
    assert errors[1] is not None and errors[1].startswith("arguments are not valid JSON")
    assert errors[2] == "no tool named 'no_such_tool'"
    assert errors[3] == "arguments must be a JSON object"
    received = model_stub.completions[1]["messages"]
    tool_messages = [m for m in received if m.get("role") == "tool"]
    assert len(tool_messages) == 4 and all(unfenced(m["content"], m["name"]).startswith("error: ") for m in tool_messages)
    assert model_stub.violations == [], "every call was answered, as OpenAI requires"


def test_results_are_capped_to_the_context_window_budget_with_a_marker(model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch) -> None:
    use_model_stub(monkeypatch, model_stub)
    steps = [[("probe", {"mode": "huge"}), ("probe_tail", {"mode": "huge"})]]
    result, _ = investigate(model_stub, _toolbox(Probe()), steps)
    head, tail = (results_by_tool(model_stub, result)[name][0] for name in ("probe", "probe_tail"))
    cap = result_token_cap(MODEL)
    assert cap == int(DEFAULT_CONTEXT_WINDOW * 0.1), "litellm does not know the stub model: the default window"
    for text in (head, tail):
        assert count_tokens(MODEL, text) <= cap
        assert "[truncated: " in text and f"budget of {cap} tokens" in text
    assert head.startswith("row 0: ") and "row 19999" in tail and tail.startswith("[truncated: ")
    assert result.tool_calls[0].result_chars == len(head) and len(result.tool_calls[0].result) == 500


def test_the_cap_follows_the_models_context_window() -> None:
    assert result_token_cap("openai/gpt-4o") == 12_800  # litellm: 128k input tokens
    text = "word " * 100
    assert cap_result(text, "openai/gpt-4o", 1000) == text, "a result under its cap is untouched"


def test_durations_are_recorded(model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch) -> None:
    use_model_stub(monkeypatch, model_stub)
    started = time.monotonic()
    result, _ = investigate(model_stub, _toolbox(Probe()), [[("probe", {"mode": "nap", "id": 1})]])
    [call] = result.tool_calls
    assert 0.05 <= call.duration <= time.monotonic() - started
    assert call.arguments == {"mode": "nap", "id": 1} and call.tool_name == "probe"
