"""The chat tool loop: a conversation in, events out as it goes, an answer (or pending approvals) at the end.

Bounded like investigations (max steps, a timeout on every model call) and running tools through the
investigator's own seam. A tool named in `tools: {name: {approval: true}}` is not run when the model
asks for it: the loop stops with `approval_required`, and the client's `tool_decisions` resume it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from alertfleet.api_models import PendingApproval, ToolCallView, answer_schema
from alertfleet.model_limits import ModelWaitTooLong
from alertfleet.models import Event
from alertfleet.redaction import error_text
from workers.chat.events import error_event, token_count_event
from workers.chat.tokens import token_metadata
from workers.investigator.loop import LoopLimits, execute_tool_call
from workers.investigator.model_calls import limited_completion
from workers.investigator.tool_calls import fence_result
from workers.investigator.toolsets import Tool

Emit = Callable[[str, dict[str, Any]], None]
DENIED = "The user denied running this tool; do not retry it."


class ChatFailed(Exception):
    """The model failed or misbehaved; carries HolmesGPT's error event payload."""

    def __init__(self, message: str, *, rate_limited: bool = False) -> None:
        super().__init__(message)
        self.event = error_event(message, rate_limited=rate_limited)


@dataclass
class Conversation:
    messages: list[dict[str, Any]]
    event: Event  # what tools see (the alert, or the chat's subject)
    tools: list[Tool]
    approval_tools: frozenset[str] = frozenset()
    decisions: dict[str, bool] = field(default_factory=dict)
    response_format: dict[str, Any] | None = None


@dataclass
class ToolRun:
    tool_call_id: str
    name: str
    params: dict[str, Any]
    status: str
    data: str | None = None
    error: str | None = None

    @property
    def description(self) -> str:
        return f"{self.name} {json.dumps(self.params, sort_keys=True)}" if self.params else self.name

    def result(self) -> dict[str, Any]:
        return {"status": self.status, "data": self.data, "error": self.error, "params": self.params}

    def event(self) -> dict[str, Any]:
        """`tool_calling_result` (HolmesGPT's fields; Robusta reads the same ones)."""
        return {
            "tool_call_id": self.tool_call_id,
            "role": "tool",
            "description": self.description,
            "name": self.name,
            "result": self.result(),
        }

    def view(self, with_result: bool) -> ToolCallView:
        return ToolCallView(
            tool_call_id=self.tool_call_id,
            tool_name=self.name,
            description=self.description,
            result=self.result() if with_result else None,
        )


@dataclass
class Outcome:
    answer: str | None
    messages: list[dict[str, Any]]
    tool_runs: list[ToolRun]
    tokens: int
    metadata: dict[str, Any]
    pending: list[PendingApproval] = field(default_factory=list)


def _complete(model: str, messages: list[dict[str, Any]], limits: LoopLimits, **kwargs: Any) -> Any:
    """A chat's model call under the fleet's model limits and usage meter, like an investigation's; a
    provider 429 (after pausing the model fleet-wide) or no turn in time is HolmesGPT's rate-limit error."""
    from litellm.exceptions import RateLimitError

    try:
        return limited_completion(model, messages, limits.call_timeout, retry_rate_limited=False, **kwargs)
    except (RateLimitError, ModelWaitTooLong) as exc:
        raise ChatFailed(f"Rate limit exceeded: {error_text(exc, 200)}", rate_limited=True) from None
    except Exception as exc:  # litellm maps every provider error to its own exception types
        raise ChatFailed(f"model call failed: {error_text(exc, 300)}") from None  # redacted: it reaches the API


def _run(conversation: Conversation, call_id: str, name: str, raw_arguments: str) -> ToolRun:
    text, failed, params = execute_tool_call(conversation.tools, name, raw_arguments, conversation.event)
    if failed:
        return ToolRun(call_id, name, params, "error", error=text)
    return ToolRun(call_id, name, params, "success", data=text)


def _tool_message(run: ToolRun) -> dict[str, Any]:
    """The model hears the result fenced as untrusted data; the caller's view (run.event()) stays plain.
    A denial is alertfleet's own word, not the tool's output: it stands unfenced."""
    text = str(run.data or run.error or "")
    content = text if run.data is None and run.error == DENIED else fence_result(run.name, text)
    return {"role": "tool", "tool_call_id": run.tool_call_id, "name": run.name, "content": content}


def _unanswered_calls(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tool calls of the last assistant message that no tool message answers (awaiting a decision)."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.get("role") == "assistant" and message.get("tool_calls"):
            answered = {m.get("tool_call_id") for m in messages[index + 1 :] if m.get("role") == "tool"}
            return [call for call in message["tool_calls"] if call.get("id") not in answered]
        if message.get("role") in ("user", "system"):
            return []
    return []


def resume_decisions(conversation: Conversation, emit: Emit) -> list[ToolRun]:
    """Answer the calls awaiting approval: approved ones run now, the others are reported as denied."""
    runs = []
    for call in _unanswered_calls(conversation.messages):
        function = call.get("function") or {}
        name, call_id = str(function.get("name", "")), str(call.get("id", ""))
        if conversation.decisions.get(call_id):
            run = _run(conversation, call_id, name, str(function.get("arguments") or "{}"))
        else:
            params = _arguments(function.get("arguments"))
            run = ToolRun(call_id, name, params, "error", error=DENIED)
        conversation.messages.append(_tool_message(run))
        emit("tool_calling_result", run.event())
        runs.append(run)
    for message in conversation.messages:  # the flag is ours; providers refuse unknown keys
        for call in message.get("tool_calls") or []:
            call.pop("pending_approval", None)
    return runs


def _arguments(raw: Any) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _format_kwargs(response_format: dict[str, Any] | None) -> dict[str, Any]:
    if response_format is None:
        return {}
    schema = answer_schema(response_format)
    return {"response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}}


def _format_problem(content: str, response_format: dict[str, Any] | None) -> str | None:
    """Why the answer does not satisfy response_format (None when it does, or none was asked for)."""
    if response_format is None:
        return None
    try:
        jsonschema.validate(json.loads(content), answer_schema(response_format))
    except ValueError as exc:
        return f"the answer is not JSON ({exc})"
    except jsonschema.ValidationError as exc:
        return f"the answer does not match the schema: {exc.message}"
    return None


Complete = Callable[..., Any]  # (model, messages, limits, **kwargs) -> a litellm response, or ChatFailed


def run_conversation(
    conversation: Conversation, model: str, limits: LoopLimits, emit: Emit, complete: Complete = _complete
) -> Outcome:
    """The loop; raises ChatFailed when the model cannot give a (valid) answer within the limits.
    `complete` makes the model calls (a caller may put them under the fleet's model limits)."""
    messages = conversation.messages
    runs: list[ToolRun] = []
    tokens, metadata, corrected = 0, {}, False
    offered = conversation.tools
    for step in range(1, limits.max_steps + 1):
        kwargs = _format_kwargs(conversation.response_format)
        if step < limits.max_steps and offered:
            kwargs["tools"] = [tool.spec() for tool in offered]
        response = complete(model, messages, limits, **kwargs)
        usage = getattr(response, "usage", None)
        tokens += int(getattr(usage, "total_tokens", 0) or 0)
        metadata = token_metadata(usage, messages, model)
        emit("token_count", token_count_event(metadata))
        message = response.choices[0].message
        calls = getattr(message, "tool_calls", None) or []
        content = message.content or ""
        if not calls:
            messages.append({"role": "assistant", "content": content})
            problem = _format_problem(content, conversation.response_format)
            if problem is None:
                return Outcome(content, messages, runs, tokens, metadata)
            if corrected:
                raise ChatFailed(f"the model's answer does not satisfy response_format: {problem}")
            corrected = True
            messages.append(
                {
                    "role": "user",
                    "content": f"Your answer was refused: {problem}. Answer again "
                    "with only a JSON document that validates against the requested schema.",
                }
            )
            continue
        if content:
            emit("ai_message", {"content": content, "reasoning": None, "metadata": metadata})
        assistant = message.model_dump(exclude_none=True)
        messages.append(assistant)
        pending = _run_calls(conversation, assistant, calls, runs, emit)
        if pending:
            return Outcome(None, messages, runs, tokens, metadata, pending)
    raise ChatFailed(f"no answer after {limits.max_steps} steps")


def _run_calls(
    conversation: Conversation, assistant: dict[str, Any], calls: list[Any], runs: list[ToolRun], emit: Emit
) -> list[PendingApproval]:
    for call in calls:
        emit(
            "start_tool_calling",
            {
                "tool_name": call.function.name,
                "id": call.id,
                "tool_call_id": call.id,
                "description": call.function.name,
            },
        )
    pending: list[PendingApproval] = []
    for call, record in zip(calls, assistant.get("tool_calls") or [], strict=False):
        name = call.function.name
        if name in conversation.approval_tools:
            params = _arguments(call.function.arguments)
            run = ToolRun(call.id, name, params, "approval_required")
            record["pending_approval"] = True
            pending.append(
                PendingApproval(tool_call_id=call.id, tool_name=name, description=run.description, params=params)
            )
        else:
            run = _run(conversation, call.id, name, call.function.arguments)
            conversation.messages.append(_tool_message(run))
        runs.append(run)
        emit("tool_calling_result", run.event())
    return pending
