"""The LLM tool-calling loop: bounded steps, a timeout on every call, tool errors fed back as results.

Running the tools of a step (parallel, timeouts, caps, records) is workers/investigator/tool_calls.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alertfleet.models import Event, InvestigationResult, ToolCallRecord
from alertfleet.redaction import error_text
from workers.investigator.model_calls import limited_completion
from workers.investigator.prompt import SYSTEM_PROMPT, user_prompt
from workers.investigator.result_cap import result_token_cap
from workers.investigator.sections import parse_sections
from workers.investigator.tool_calls import ToolCall, ToolRunLimits, run_tool_calls, run_unfenced
from workers.investigator.toolsets import Tool


class ModelUnavailable(Exception):
    """The model could not be reached or refused the request; the caller decides to retry or degrade."""


@dataclass(frozen=True)
class LoopLimits:
    max_steps: int
    call_timeout: float
    tool_timeout: float = 30.0
    tool_concurrency: int = 4


def execute_tool_call(
    tools: list[Tool], name: str, raw_arguments: str, event: Event, model: str = "", timeout: float = 30.0
) -> tuple[str, bool, dict[str, Any]]:
    """Run one tool call the model asked for: (result text, failed, parsed arguments).

    The one seam chat (workers/chat/) runs tools through, so it runs them exactly as investigations do."""
    limits = ToolRunLimits(timeout, 1, result_token_cap(model), model)
    tool = next((tool for tool in tools if tool.name == name), None)
    content, record = run_unfenced(ToolCall("", name, raw_arguments), tool, event, limits)  # chat fences it
    return content, record.error is not None, dict(record.arguments)


def _complete(model: str, messages: list[dict[str, Any]], limits: LoopLimits, **kwargs: Any) -> Any:
    try:
        return limited_completion(model, messages, limits.call_timeout, **kwargs)
    except Exception as exc:  # litellm maps every provider error to its own exception types; limits too
        raise ModelUnavailable(error_text(exc, 300)) from None  # provider text can quote keys and hosts


def _cost(response: Any) -> float:
    """USD by litellm's local cost map; a model it does not price (self-hosted, stubs) costs 0."""
    import litellm  # already loaded by the call that gave `response`; a write-only worker never imports it

    try:
        return float(litellm.completion_cost(completion_response=response) or 0.0)
    except Exception:  # litellm raises for unmapped models: cost unknown is not an investigation failure
        return 0.0


def investigate_with_model(
    event: Event, model: str, tools: list[Tool], limits: LoopLimits, prompt_lines: list[str] | None = None
) -> InvestigationResult:
    by_name = {tool.name: tool for tool in tools}
    run_limits = ToolRunLimits(limits.tool_timeout, limits.tool_concurrency, result_token_cap(model), model)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user_prompt(event, prompt_lines or [])},
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
        step_calls = [ToolCall(call.id, call.function.name, call.function.arguments) for call in calls]
        for call, (content, record) in zip(
            step_calls, run_tool_calls(step_calls, by_name, event, run_limits), strict=True
        ):
            records.append(record)
            messages.append({"role": "tool", "tool_call_id": call.id, "name": call.name, "content": content})
    raise ModelUnavailable(f"no answer after {limits.max_steps} steps")
