"""The LLM tool-calling loop: bounded steps, a timeout on every call, tool errors fed back as results.

No runaway: the same tool with the same arguments runs once per investigation (a repeat is told it has
the result), and reaching max_steps, the deadline or the token budget ends with one final call without
tools that answers from the evidence: a `partial` result with its reason, never "no answer" and nothing.

Running the tools of a step (parallel, timeouts, caps, records) is workers/investigator/tool_calls.py.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import structlog

from alertfleet.models import Event, InvestigationResult, ToolCallRecord
from alertfleet.redaction import error_text
from workers.investigator.model_calls import limited_completion
from workers.investigator.prompt import SYSTEM_PROMPT, user_prompt
from workers.investigator.result_cap import result_token_cap
from workers.investigator.sections import parse_sections
from workers.investigator.tool_calls import ToolCall, ToolRunLimits, run_tool_calls, run_unfenced
from workers.investigator.toolsets import Tool
from workers.investigator.usage_meter import current_usage, metered

log = structlog.get_logger("worker")


class ModelUnavailable(Exception):
    """The model could not be reached or refused the request; the caller decides to retry or degrade."""


@dataclass(frozen=True)
class LoopLimits:
    max_steps: int
    call_timeout: float
    tool_timeout: float = 30.0
    tool_concurrency: int = 4
    max_tokens: int | None = None  # tokens the investigation may spend before it must answer
    seconds: float | None = None  # its whole deadline (ALERTFLEET_INVESTIGATION_TIMEOUT)


# Reaching a limit ends the loop with one call without tools, told why (partial_reason -> these words).
REASONS = {
    "max_steps": "the step limit is reached",
    "deadline": "the investigation's time is nearly up",
    "token_budget": "the investigation's token budget is spent",
}
FINAL_PROMPT = (
    "Stop investigating: {why}. No more tools can be called. Answer now, from the evidence gathered above "
    "only, in the sections asked for, and say what remains unknown."
)
ALREADY_RUN = (
    "not run again: {name} was already called with exactly these arguments in this investigation "
    "(tool call {first}); its result is above. Use that result instead of asking for it again."
)


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


def investigate_with_model(
    event: Event, model: str, tools: list[Tool], limits: LoopLimits, prompt_lines: list[str] | None = None
) -> InvestigationResult:
    """The loop, its model calls metered (a caller that meters already, run_investigation, keeps counting)."""
    if current_usage() is None:
        with metered():
            return investigate_with_model(event, model, tools, limits, prompt_lines)
    run = _Run(event, model, tools, limits)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user_prompt(event, prompt_lines or [])},
    ]
    for step in range(1, limits.max_steps + 1):
        reason = stop_reason(step, limits, _spent(), time.monotonic() - run.started)
        final = reason is not None or step == limits.max_steps
        if reason is not None:
            messages.append({"role": "user", "content": FINAL_PROMPT.format(why=REASONS[reason])})
        offer_tools = not final and bool(tools)
        kwargs: dict[str, Any] = {"tools": [tool.spec() for tool in tools]} if offer_tools else {}
        response = _complete(model, messages, limits, **kwargs)
        message = response.choices[0].message
        calls = getattr(message, "tool_calls", None) or []
        if final or not calls:
            content = message.content or ""
            if not content.strip() and calls:  # it still wants tools: what it gathered is the answer
                reason = reason or "max_steps"
            return run.result(content, step, reason)
        messages.append(message.model_dump(exclude_none=True))
        step_calls = [ToolCall(call.id, call.function.name, call.function.arguments) for call in calls]
        messages += run.tool_messages(step_calls)
    raise AssertionError("unreachable: the last step always answers")  # pragma: no cover


def stop_reason(step: int, limits: LoopLimits, spent: int, elapsed: float) -> str | None:
    """Why the investigation must answer now without more tools, or None to go on.
    A one-step investigation is not cut short: it was never offered tools."""
    if limits.max_tokens is not None and spent >= limits.max_tokens:
        return "token_budget"
    if limits.seconds is not None and elapsed >= tool_time(limits):
        return "deadline"
    if step >= limits.max_steps and step > 1:
        return "max_steps"
    return None


def tool_time(limits: LoopLimits) -> float:
    """Seconds the tool steps may use: the total deadline less room for the final call and the verdict."""
    total = limits.seconds or 0.0
    return max(total / 2, total - 2 * limits.call_timeout)


def _spent() -> int:
    usage = current_usage()
    return usage.total_tokens if usage is not None else 0


class _Run:
    """One investigation's tool calls: each distinct (tool, arguments) runs once; the records kept."""

    def __init__(self, event: Event, model: str, tools: list[Tool], limits: LoopLimits) -> None:
        self.event = event
        self.model = model
        self.by_name = {tool.name: tool for tool in tools}
        self.limits = ToolRunLimits(limits.tool_timeout, limits.tool_concurrency, result_token_cap(model), model)
        self.records: list[ToolCallRecord] = []
        self.seen: dict[str, str] = {}  # call identity -> the id of the call that ran it
        self.started = time.monotonic()

    def tool_messages(self, calls: list[ToolCall]) -> list[dict[str, Any]]:
        """The tool message answering each call, in order; a repeat is answered without running it."""
        fresh: list[ToolCall] = []
        first_of: list[str | None] = []
        for call in calls:
            identity = call_identity(call)
            first_of.append(self.seen.get(identity))
            if identity not in self.seen:
                self.seen[identity] = call.id
                fresh.append(call)
        results = iter(run_tool_calls(fresh, self.by_name, self.event, self.limits) if fresh else [])
        messages = []
        for call, first in zip(calls, first_of, strict=True):
            if first is None:
                content, record = next(results)
                self.records.append(record)
            else:
                log.info("tool_call_repeated", tool=call.name, first_call=first)
                content = ALREADY_RUN.format(name=call.name, first=first)
            messages.append({"role": "tool", "tool_call_id": call.id, "name": call.name, "content": content})
        return messages

    def result(self, content: str, steps: int, reason: str | None) -> InvestigationResult:
        if not content.strip():
            content = gathered_only(self.event, self.records, reason or "max_steps")
        return InvestigationResult(
            analysis=content,
            sections=parse_sections(content),
            model=self.model,
            mode="llm",
            steps=steps,
            tool_calls=self.records,
            partial=reason is not None,
            partial_reason=reason,
        )


def call_identity(call: ToolCall) -> str:
    """The tool and its arguments, canonical: `{"a":1,"b":2}` and `{"b":2,"a":1}` are one call."""
    try:
        arguments: Any = json.loads(call.raw_arguments or "{}")
    except ValueError:
        arguments = call.raw_arguments
    return json.dumps([call.name, arguments], sort_keys=True, separators=(",", ":"), default=str)


def gathered_only(event: Event, records: list[ToolCallRecord], reason: str) -> str:
    """The answer when the model gave none in its final call: what was asked, and what came back."""
    findings = [
        f"- {record.tool_name}: {'error: ' + record.error if record.error else record.result[:200]}" for record in records
    ]
    return "\n\n".join(
        [
            f"# Alert Explanation\n{event.title}",
            "# Key Findings\n" + ("\n".join(findings) or "- No tool result was gathered."),
            f"# Conclusions and Possible Root Causes\nThe model gave no answer before {REASONS[reason]}.",
            "# Next Steps\n1. Read the tool results above and the alert's source.",
        ]
    )
