"""OpenAI-compatible chat-completions stub with a scripted tool loop, for litellm-driven tests.

By default it asks for one tool call, then answers with the four HolmesGPT sections naming the
alert found in the last tool result, so a test can prove the tool output reached the model.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.stubs.http import RecordedRequest, StubResponse, StubServer

Messages = list[dict[str, Any]]
Tools = list[dict[str, Any]]
Responder = Callable[[Messages, Tools], dict[str, Any]]

COMPLETION_PATHS = frozenset({"/v1/chat/completions", "/chat/completions"})
SECTION_HEADINGS = (
    "# Alert Explanation",
    "# Key Findings",
    "# Conclusions and Possible Root Causes",
    "# Next Steps",
)
_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_ALERTNAME = re.compile(r"""alertname["']?\s*[:=]\s*["']?([A-Za-z_:][A-Za-z0-9_:.\-]*)""")


class InvalidRequest(Exception):
    """An OpenAI `invalid_request_error`; answered as HTTP 400 and recorded as a violation."""


def message_text(message: dict[str, Any]) -> str:
    """Content as text, whether a string or a list of content parts."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def first_alertname(text: str) -> str | None:
    """First `alertname` label value in JSON or `alertname=...` text."""
    match = _ALERTNAME.search(text)
    return match.group(1) if match else None


def requested_headings(messages: Messages) -> tuple[str, ...]:
    """The `# Heading` lines the system prompt asks for (alertfleet lists the sections it wants), else the four."""
    system = next((message_text(m) for m in messages if m.get("role") == "system"), "")
    headings = tuple(line.strip() for line in system.splitlines() if line.startswith("# "))
    return headings or SECTION_HEADINGS


def schema_instance(schema: dict[str, Any]) -> Any:
    """A small value valid against a JSON schema (objects, arrays, enums, bounded numbers, strings)."""
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return schema_instance(schema[key][0])
    kind = schema.get("type", "object")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: schema_instance(sub) for name, sub in properties.items()}
    if kind == "array":
        return [schema_instance(schema.get("items", {"type": "string"}))] * int(schema.get("minItems", 0))
    if kind in ("number", "integer"):
        low, high = schema.get("minimum", 0), schema.get("maximum", max(1, schema.get("minimum", 0)))
        value = (low + high) * 0.8 if high != low else low
        return int(value) if kind == "integer" else round(float(value), 3)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return "x" * int(schema.get("minLength", 0)) or "stub"


def json_answer(response_format: dict[str, Any]) -> str:
    """An answer to a `response_format: json_schema` request, valid against its schema."""
    schema = (response_format.get("json_schema") or {}).get("schema") or {}
    return json.dumps(schema_instance(schema))


def sectioned_answer(messages: Messages) -> str:
    """The final markdown answer with the requested headings, quoting what the last tool message said."""
    tool_results = [message_text(m) for m in messages if m.get("role") == "tool"]
    last = tool_results[-1] if tool_results else ""
    alertname = first_alertname(last)
    subject = f"`{alertname}`" if alertname else "the alert"
    if alertname:
        evidence = f"The tool result names alert `{alertname}`."
    elif last:
        evidence = f"The tool result says: {' '.join(last.split())[:120]}"
    else:
        evidence = "No tool result was available."
    bodies = {
        SECTION_HEADINGS[0]: f"{subject} is firing. This explanation comes from the alertfleet model stub.",
        SECTION_HEADINGS[1]: "\n".join(
            [f"- {evidence}", f"- {len(tool_results)} tool result(s) reached the model.", "- No live system was inspected."]
        ),
        SECTION_HEADINGS[2]: f"The stub cannot know why {subject} fired; a recent change is the usual suspect.",
        SECTION_HEADINGS[3]: "\n".join(
            [
                f"1. Check recent events for {subject}.",
                "2. Compare with the previous deployment.",
                "3. Escalate to the owning team if it persists.",
            ]
        ),
    }
    parts = [f"{heading}\n{bodies.get(heading, f'Stub notes for {heading[2:]}.')}" for heading in requested_headings(messages)]
    return "\n\n".join(parts)


def _check_tool_sequence(messages: Messages) -> None:
    """Reject tool messages that answer no pending tool call, as OpenAI does."""
    pending: set[str] = set()
    for message in messages:
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in pending:
                raise InvalidRequest(
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    f"preceding message with 'tool_calls' (tool_call_id {call_id!r})."
                )
            pending.discard(call_id)
            continue
        if pending:
            raise InvalidRequest(
                "An assistant message with 'tool_calls' must be followed by tool messages responding "
                f"to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
                f"{', '.join(sorted(pending))}"
            )
        if role == "assistant":
            pending = {str(call.get("id")) for call in message.get("tool_calls") or []}


def _validate(body: Any) -> tuple[Messages, Tools]:
    if not isinstance(body, dict):
        raise InvalidRequest("We could not parse the JSON body of your request.")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise InvalidRequest("you must provide a model parameter")
    if body.get("stream"):
        raise InvalidRequest("stream=true is not supported by ModelStub")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("'messages' must be a non-empty array")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            raise InvalidRequest(f"messages[{index}] has no valid role")
    tools = body.get("tools") or []
    if not isinstance(tools, list) or not all(
        isinstance(t, dict)
        and t.get("type") == "function"
        and isinstance(t.get("function"), dict)
        and t["function"].get("name")
        for t in tools
    ):
        raise InvalidRequest("'tools' must be an array of {type: function, function: {name, ...}}")
    _check_tool_sequence(messages)
    return messages, tools


def _error(status: int, message: str, kind: str, code: str | None = None) -> StubResponse:
    return StubResponse(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})


class ModelStub(StubServer):
    """`POST /v1/chat/completions` (non-streaming) behind `Authorization: Bearer <api_key>`.

    `responder(messages, tools)` returns an assistant message dict ({"content"?, "tool_calls"?})
    or a whole chat.completion (a dict with "choices"), which is then sent as is.
    """

    def __init__(
        self,
        api_key: str = "sk-test",
        *,
        tool_name: str | None = None,
        tool_arguments: dict[str, Any] | None = None,
        responder: Responder | None = None,
        delay_seconds: float = 0.0,
    ) -> None:
        super().__init__(delay_seconds=delay_seconds)
        self.api_key = api_key
        self.tool_name = tool_name
        self.tool_arguments = dict(tool_arguments or {})
        self.responder: Responder = responder or self.default_reply
        self._completions: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    @property
    def api_base(self) -> str:
        """What litellm's `api_base` (or OpenAI's `base_url`) expects."""
        return f"{self.base_url}/v1"

    @property
    def completions(self) -> list[dict[str, Any]]:
        """JSON bodies received on the completions path, oldest first (rejected ones included)."""
        with self._lock:
            return list(self._completions)

    def reset(self) -> None:
        """Forget recordings and received completions."""
        with self._lock:
            super().reset()
            self._completions.clear()

    def fault_body(self, status: int) -> Any:
        """OpenAI-style error bodies for injected faults."""
        if status == 429:
            return {
                "error": {
                    "message": "Rate limit reached (stub)",
                    "type": "requests",
                    "param": None,
                    "code": "rate_limit_exceeded",
                }
            }
        return {
            "error": {
                "message": f"The server had an error ({status}, stub)",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        }

    def default_reply(self, messages: Messages, tools: Tools) -> dict[str, Any]:
        """One tool call while tools are offered and none has answered yet, then the sections."""
        has_tool_result = any(m.get("role") == "tool" for m in messages)
        if tools and not has_tool_result:
            name = self.tool_name or str(tools[0]["function"]["name"])
            call = {"name": name, "arguments": json.dumps(self.tool_arguments)}
            tool_call = {"id": f"call_stub{next(self._ids):04d}", "type": "function", "function": call}
            return {"role": "assistant", "content": None, "tool_calls": [tool_call]}
        return {"role": "assistant", "content": sectioned_answer(messages)}

    def handle(self, req: RecordedRequest) -> StubResponse:
        """Authenticate, validate like OpenAI, then answer from the responder."""
        if req.method != "POST" or req.path not in COMPLETION_PATHS:
            self.record_violation(f"{req.method} {req.path}: not a chat completions endpoint")
            return _error(404, f"Invalid URL ({req.method} {req.path})", "invalid_request_error")
        if isinstance(req.json, dict):
            with self._lock:
                self._completions.append(req.json)
        scheme, _, key = req.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            self.record_violation(f"{req.path}: no bearer API key")
            return _error(401, "You didn't provide an API key.", "invalid_request_error")
        if key.strip() != self.api_key:
            self.record_violation(f"{req.path}: wrong API key")
            return _error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        try:
            messages, tools = _validate(req.json)
        except InvalidRequest as exc:
            self.record_violation(f"{req.path}: {exc}")
            return _error(400, str(exc), "invalid_request_error")
        if req.json.get("tool_choice") == "none":
            tools = []
        reply = self.responder(messages, tools)
        response_format = req.json.get("response_format")
        if isinstance(response_format, dict) and response_format.get("type") == "json_schema" and not (
            "choices" in reply or reply.get("tool_calls")
        ):
            reply = {"role": "assistant", "content": json_answer(response_format)}
        if "choices" in reply:
            return StubResponse(200, reply)
        return StubResponse(200, self._completion(req.json, messages, reply))

    def _completion(self, body: dict[str, Any], messages: Messages, reply: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": None, **reply}
        if not message.get("tool_calls"):
            message.pop("tool_calls", None)
        prompt_tokens = max(1, len(json.dumps(messages)) // 4)
        completion_tokens = max(1, len(json.dumps(message)) // 4)
        return {
            "id": f"chatcmpl-stub{next(self._ids):04d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


ToolStep = list[tuple[str, dict[str, Any] | str]]


class ScriptedTools:
    """A responder that calls the named tools with the given arguments, one list of calls per model step,
    then answers with the sections quoting every tool result (so a test sees what reached the model)."""

    def __init__(self, steps: list[ToolStep]) -> None:
        self.steps = steps
        self._ids = itertools.count(1)
        self.offered: list[list[str]] = []

    def __call__(self, messages: Messages, tools: Tools) -> dict[str, Any]:
        self.offered.append([str(t["function"]["name"]) for t in tools])
        done = sum(1 for m in messages if m.get("role") == "assistant" and m.get("tool_calls"))
        if tools and done < len(self.steps):
            calls = [
                {
                    "id": f"call_{next(self._ids):04d}",
                    "type": "function",
                    # A string is sent as is (to script malformed arguments).
                    "function": {"name": name, "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)},
                }
                for name, arguments in self.steps[done]
            ]
            return {"role": "assistant", "content": None, "tool_calls": calls}
        return {"role": "assistant", "content": sectioned_answer(messages)}


def tool_results(completions: list[dict[str, Any]]) -> dict[str, str]:
    """tool_call_id -> the content the model received, across every request a stub got."""
    return {
        str(m.get("tool_call_id")): message_text(m)
        for body in completions
        for m in body.get("messages", [])
        if m.get("role") == "tool"
    }


class GatedModelStub(ModelStub):
    """Answers like the default stub, but holds every call while `gate` is closed: a test (or a
    benchmark) decides when the model answers, so "while N calls are waiting" is a fact, not a race."""

    def __init__(self, api_key: str = "sk-test") -> None:
        super().__init__(api_key=api_key)
        self.gate = threading.Event()
        self.gate.set()
        self.responder = self._gated

    def _gated(self, messages: Messages, tools: Tools) -> dict[str, Any]:
        self.gate.wait(300)
        return self.default_reply(messages, tools)
