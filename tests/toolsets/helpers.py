"""Run one investigation in-process: real litellm against the model stub, real toolsets, scripted calls."""

from __future__ import annotations

from typing import Any

import pytest

from alertfleet.models import AlertmanagerWebhook, Event, InvestigationResult
from alertfleet.settings import Settings
from alertfleet.toolset_config import EffectiveToolsets
from integrations.alertmanager.source import event_from_webhook
from tests.harness.alerts import webhook
from tests.stubs.model import ModelStub, ScriptedTools, ToolStep
from workers.investigator.run import run_investigation
from workers.investigator.toolsets.registry import Toolbox, build_toolbox

MODEL = "openai/stub-model"


def use_model_stub(monkeypatch: pytest.MonkeyPatch, stub: ModelStub) -> None:
    monkeypatch.setenv("OPENAI_API_BASE", stub.api_base)
    monkeypatch.setenv("OPENAI_API_KEY", stub.api_key)


def alert_event(name: str = "DemoHigh", **changes: Any) -> Event:
    body = webhook(name)
    for alert in body["alerts"]:
        alert.update(changes)
    return event_from_webhook(AlertmanagerWebhook.model_validate(body))


def investigate(
    stub: ModelStub,
    toolbox: Toolbox | EffectiveToolsets,
    steps: list[ToolStep],
    event: Event | None = None,
    *,
    toolsets: list[str] | None = None,
    **settings: Any,
) -> tuple[InvestigationResult, ScriptedTools]:
    """The stub calls `steps` (a list of calls per step), then answers; returns the result and the script."""
    script = ScriptedTools(steps)
    stub.responder = script
    box = toolbox if isinstance(toolbox, Toolbox) else build_toolbox(toolbox)
    result = run_investigation(
        event or alert_event(),
        Settings(MODEL=MODEL, ALERTFLEET_LLM_TIMEOUT=10, **settings),
        model=MODEL,
        max_steps=len(steps) + 2,
        toolsets=toolsets,
        toolbox=box,
    )
    return result, script


def unfenced(content: str, tool_name: str) -> str:
    """A tool message's content inside its untrusted-data fence (asserted there: every result is fenced)."""
    opening, closing = f'<untrusted-data source="tool:{tool_name}">\n', "\n</untrusted-data>"
    assert content.startswith(opening) and content.endswith(closing), content[:200]
    return content[len(opening) : -len(closing)]


def results_by_tool(stub: ModelStub, result: InvestigationResult) -> dict[str, list[str]]:
    """tool name -> the contents the model received for it (inside their fence), in call order."""
    from tests.stubs.model import tool_results

    received = tool_results(stub.completions)
    found: dict[str, list[str]] = {}
    for record in result.tool_calls:
        found.setdefault(record.tool_name, []).append(unfenced(received[record.tool_call_id], record.tool_name))
    return found
