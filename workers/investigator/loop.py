"""The LLM tool-calling loop: bounded steps, a timeout on every call, tool errors fed back as results."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from alertfleet.models import Event, InvestigationResult, ToolCallRecord
from workers.investigator.model_calls import limited_completion
from workers.investigator.prompt import SYSTEM_PROMPT, user_prompt
from workers.investigator.sections import parse_sections
from workers.investigator.toolsets import Tool

TOOL_RESULT_LIMIT = 20_000


class ModelUnavailable(Exception):
    """The model could not be reached or refused the request; the caller decides to retry or degrade."""


@dataclass(frozen=True)
class LoopLimits:
    max_steps: int
    call_timeout: float


def _run_tool(tool: Tool | None, name: str, raw_arguments: str, event: Event) -> tuple[str, bool, dict[str, Any]]:
    try:
        arguments = json.loads(raw_arguments or "{}")
    except ValueError as exc:
        return f"error: arguments are not valid JSON ({exc})", True, {}
    if tool is None:
        return f"error: no tool named {name!r}", True, arguments
    try:
        return tool.run(event, arguments)[:TOOL_RESULT_LIMIT], False, arguments
    except Exception as exc:  # the model hears about a failed tool; the investigation goes on
        return f"error: {type(exc).__name__}: {exc}", True, arguments


def execute_tool_call(tools: list[Tool], name: str, raw_arguments: str, event: Event) -> tuple[str, bool, dict[str, Any]]:
    """Run one tool call the model asked for: (result text, failed, parsed arguments).

    The one seam chat (workers/chat/) runs tools through, so it runs them exactly as investigations do."""
    return _run_tool(next((tool for tool in tools if tool.name == name), None), name, raw_arguments, event)


def _complete(model: str, messages: list[dict[str, Any]], limits: LoopLimits, **kwargs: Any) -> Any:
    try:
        return limited_completion(model, messages, limits.call_timeout, **kwargs)
    except Exception as exc:  # litellm maps every provider error to its own exception types; limits too
        raise ModelUnavailable(f"{type(exc).__name__}: {str(exc)[:300]}") from None


def _cost(response: Any) -> float:
    """USD by litellm's local cost map; a model it does not price (self-hosted, stubs) costs 0."""
    import litellm  # already loaded by the call that gave `response`; a write-only worker never imports it

    try:
        return float(litellm.completion_cost(completion_response=response) or 0.0)
    except Exception:  # litellm raises for unmapped models: cost unknown is not an investigation failure
        return 0.0


def investigate_with_model(event: Event, model: str, tools: list[Tool], limits: LoopLimits) -> InvestigationResult:
    by_name = {tool.name: tool for tool in tools}
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user_prompt(event)},
    ]
    records: list[ToolCallRecord] = []
    tokens = 0
    cost = 0.0
    for step in range(1, limits.max_steps + 1):
        # On the last step the model must answer: no more tools.
        offer_tools = step < limits.max_steps and bool(tools)
        kwargs: dict[str, Any] = {"tools": [tool.spec() for tool in tools]} if offer_tools else {}
        response = _complete(model, messages, limits, **kwargs)
        usage = getattr(response, "usage", None)
        tokens += int(getattr(usage, "total_tokens", 0) or 0)
        cost += _cost(response)
        message = response.choices[0].message
        calls = getattr(message, "tool_calls", None) or []
        if not calls:
            content = message.content or ""
            return InvestigationResult(
                analysis=content,
                sections=parse_sections(content),
                model=model,
                mode="llm",
                token_count=tokens,
                cost_usd=cost,
                steps=step,
                tool_calls=records,
            )
        messages.append(message.model_dump(exclude_none=True))
        for call in calls:
            name = call.function.name
            result, failed, arguments = _run_tool(by_name.get(name), name, call.function.arguments, event)
            records.append(
                ToolCallRecord(tool_call_id=call.id, tool_name=name, arguments=arguments, result=result, error=failed)
            )
            messages.append({"role": "tool", "tool_call_id": call.id, "name": name, "content": result})
    raise ModelUnavailable(f"no answer after {limits.max_steps} steps")
