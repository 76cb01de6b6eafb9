"""Run the tool calls of one model step: in parallel (bounded), each with its own timeout, never raising.

Whatever happens to a call — bad JSON, unknown tool, HTTP error, a hung server — the model gets that
call's answer as text (an error says why), and the investigation records name, arguments, an excerpt,
the error and the duration.

This is the one place tool output is made safe for the model: secrets masked (alertfleet/redaction.py)
and the text fenced as untrusted data (workers/investigator/fencing.py) — for investigations and chat alike.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from alertfleet.models import Event, ToolCallRecord
from alertfleet.redaction import redact
from workers.investigator.fencing import fence
from workers.investigator.result_cap import cap_result
from workers.investigator.toolsets import Tool, ToolError

EXCERPT_CHARS = 500


@dataclass(frozen=True)
class ToolRunLimits:
    timeout: float  # per call, unless the tool brings its own
    concurrency: int
    result_tokens: int
    model: str


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    raw_arguments: str


def _parse(raw: str) -> dict[str, Any]:
    try:
        arguments = json.loads(raw or "{}")
    except ValueError as exc:
        raise ToolError(f"arguments are not valid JSON ({exc})") from None
    if not isinstance(arguments, dict):
        raise ToolError("arguments must be a JSON object")
    return arguments


def _with_timeout(tool: Tool, event: Event, arguments: dict[str, Any], timeout: float) -> str:
    """The tool in its own daemon thread: past `timeout` the caller moves on and the thread is abandoned
    (every tool also bounds its own I/O, so an abandoned thread ends soon after)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["text"] = tool.run(event, arguments)
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=target, name=f"tool-{tool.name}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise ToolError(f"timed out after {timeout:g}s")
    if "error" in outcome:
        raise outcome["error"]
    return str(outcome.get("text", ""))


def fence_result(tool_name: str, text: str) -> str:
    """A tool's (already redacted) result as the model receives it: fenced as untrusted data."""
    return fence(f"tool:{tool_name}", text)


def run_one(call: ToolCall, tool: Tool | None, event: Event, limits: ToolRunLimits) -> tuple[str, ToolCallRecord]:
    """One call: (what the model receives — redacted and fenced, the record)."""
    content, record = run_unfenced(call, tool, event, limits)
    return fence_result(call.name, content), record


def run_unfenced(
    call: ToolCall, tool: Tool | None, event: Event, limits: ToolRunLimits
) -> tuple[str, ToolCallRecord]:
    """One call: (its redacted result text, the record); a caller that shows the text to a person takes
    this, and fences it with `fence_result` for the model."""
    started = time.monotonic()
    arguments: dict[str, Any] = {}
    error: str | None = None
    try:
        arguments = _parse(call.raw_arguments)
        if tool is None:
            raise ToolError(f"no tool named {call.name!r}")
        text = _with_timeout(tool, event, arguments, tool.timeout or limits.timeout)
    except ToolError as exc:
        error = str(exc)
    except Exception as exc:  # the model hears about a failed tool; the investigation goes on
        error = f"{type(exc).__name__}: {str(exc)[:500]}"
    content = redact(
        f"error: {error}"
        if error is not None
        else cap_result(text, limits.model, limits.result_tokens, keep_tail=bool(tool and tool.keep_tail))
    )
    record = ToolCallRecord(
        tool_call_id=call.id,
        tool_name=call.name,
        arguments=arguments,
        result=content[:EXCERPT_CHARS],
        error=redact(error) if error is not None else None,
        duration=round(time.monotonic() - started, 4),
        result_chars=len(content),
    )
    return content, record


def run_tool_calls(
    calls: list[ToolCall], tools: dict[str, Tool], event: Event, limits: ToolRunLimits
) -> list[tuple[str, ToolCallRecord]]:
    """Results in the order of `calls` (the model matches them by id, the record reads in order)."""
    if len(calls) == 1:
        return [run_one(calls[0], tools.get(calls[0].name), event, limits)]
    with ThreadPoolExecutor(max_workers=min(limits.concurrency, len(calls)), thread_name_prefix="tools") as pool:
        futures = [pool.submit(run_one, call, tools.get(call.name), event, limits) for call in calls]
        return [future.result() for future in futures]
