"""Each API request kind as a conversation for the engine: its messages, and the event its tools see."""

from __future__ import annotations

import json
from typing import Any

from alertfleet.api_models import (
    DEFAULT_SECTIONS,
    ChatMessage,
    ChatRequest,
    IssueChatRequest,
    RobustaChatRequest,
    WorkloadHealthChatRequest,
    WorkloadHealthRequest,
    answer_schema,
)
from alertfleet.kubernaut_models import IncidentRequest
from alertfleet.models import Event, InvestigateRequest
from integrations.holmes_api.source import event_from_request
from workers.investigator.fencing import UNTRUSTED_DATA_RULE, fence
from workers.investigator.prompt import SYSTEM_PROMPT, user_prompt

# The caller's own `ask` is the operator speaking; alert payloads, earlier results and tool output are
# fenced as untrusted data (workers/investigator/fencing.py), as the rule at the end of each prompt says.
CHAT_SYSTEM_PROMPT = (
    """You are alertfleet, an on-call assistant for production systems.
Use the tools to gather facts before answering; never invent data a tool did not return.
Answer in markdown, concisely.

"""
    + UNTRUSTED_DATA_RULE
)

WORKLOAD_PROMPT = (
    """You check the health of one workload: find what is wrong with it, if anything, and why.
Use the tools to gather facts; never invent data a tool did not return.

"""
    + UNTRUSTED_DATA_RULE
)

Messages = list[dict[str, Any]]


def _history(history: list[ChatMessage] | None) -> tuple[dict[str, Any] | None, Messages]:
    messages = [message.model_dump(exclude_none=True) for message in history or []]
    return (messages[0], messages[1:]) if messages else (None, [])


def _with_system(system: dict[str, Any] | None, default: str, *additions: str | None) -> dict[str, Any]:
    """The client's system message (or ours), with each addition appended once (a resumed chat re-sends them)."""
    content = str((system or {}).get("content") or default)
    for addition in additions:
        if addition and addition not in content:
            content += "\n\n" + addition
    return {**(system or {}), "role": "system", "content": content}


def _chat_event(title: str, subject: dict[str, Any] | None = None, context: dict[str, Any] | None = None) -> Event:
    labels = {k: str(v) for k, v in (subject or {}).items() if isinstance(v, str | int | float)}
    return Event(source="api", title=title[:200] or "chat", labels=labels, subject=subject or {}, context=context or {})


def _format_instruction(response_format: dict[str, Any] | None) -> str | None:
    if response_format is None:
        return None
    schema = json.dumps(answer_schema(response_format), sort_keys=True)
    return f"Answer with only a JSON document that validates against this JSON schema:\n{schema}"


def chat_messages(body: ChatRequest) -> tuple[Messages, Event]:
    system, rest = _history(body.conversation_history)
    # A client's own system message is returned in conversation_history as sent (HolmesGPT's contract):
    # the rule comes with ours; the tool results it fetches are fenced either way.
    system = _with_system(
        system, CHAT_SYSTEM_PROMPT, body.additional_system_prompt, _format_instruction(body.response_format)
    )
    messages = [system, *rest]
    if body.ask:
        messages.append({"role": "user", "content": body.ask})
    return messages, _chat_event(body.ask or "chat")


def issue_chat_messages(body: IssueChatRequest) -> tuple[Messages, Event]:
    system, rest = _history(body.conversation_history)
    result = body.investigation_result
    found = (
        f"{result.result or '(no analysis)'}\nIts tool results: {json.dumps(result.tools or [], default=str)[:20_000]}"
    )
    context = (
        f"This conversation is about an issue of type {body.issue_type}. A previous investigation found:\n"
        + fence("investigation", found)
    )
    system = _with_system(system, CHAT_SYSTEM_PROMPT, context, body.additional_system_prompt, UNTRUSTED_DATA_RULE)
    event = _chat_event(body.issue_type, context={"investigation_result": result.model_dump()})
    return [system, *rest, {"role": "user", "content": body.ask}], event


def workload_chat_messages(body: WorkloadHealthChatRequest) -> tuple[Messages, Event]:
    system, rest = _history(body.conversation_history)
    previous = body.workload_health_result
    found = (
        f"{previous.analysis or '(no analysis)'}\nIts tool results: {json.dumps(previous.tools or [], default=str)[:20_000]}"
    )
    context = (
        f"This conversation is about the workload {json.dumps(body.resource, sort_keys=True)}. A previous health "
        "check found:\n" + fence("investigation", found)
    )
    system = _with_system(system, CHAT_SYSTEM_PROMPT, context, UNTRUSTED_DATA_RULE)
    event = _chat_event(f"{body.resource.get('kind', 'workload')} {body.resource.get('name', '')}", body.resource)
    return [system, *rest, {"role": "user", "content": body.ask}], event


def sections_prompt(sections: dict[str, str]) -> str:
    headings = "\n".join(f"# {name}\n{description}" for name, description in sections.items())
    return (
        "You are alertfleet, an on-call assistant investigating production alerts.\n"
        "Use the tools to gather facts before concluding; never invent data a tool did not return.\n"
        f"Answer in markdown with exactly these headings, in this order:\n{headings}\n\n{UNTRUSTED_DATA_RULE}"
    )


def investigate_messages(body: InvestigateRequest) -> tuple[Messages, Event, list[str]]:
    sections = body.sections or DEFAULT_SECTIONS
    event = event_from_request(body)
    messages = [
        {"role": "system", "content": sections_prompt(sections)},
        {"role": "user", "content": user_prompt(event)},
    ]
    return messages, event, list(sections)


def workload_check_messages(body: WorkloadHealthRequest) -> tuple[Messages, Event]:
    lines = [body.ask, f"Resource: {json.dumps(body.resource, sort_keys=True)}"]
    if body.alert_history:
        lines.append(f"Take the alerts of the last {body.alert_history_since_hours:g} hours into account.")
    lines += [f"Instruction: {instruction}" for instruction in body.instructions]
    event = _chat_event(f"{body.resource.get('kind', 'workload')} {body.resource.get('name', '')}", body.resource)
    return [{"role": "system", "content": WORKLOAD_PROMPT}, {"role": "user", "content": "\n".join(lines)}], event


def incident_event(body: IncidentRequest) -> Event:
    labels = {
        **(body.signal_labels or {}),
        "alertname": body.signal_name,
        "severity": body.severity,
        "namespace": body.resource_namespace,
        body.resource_kind.lower() or "resource": body.resource_name,
        "cluster": body.cluster_name,
    }
    description = "\n".join(filter(None, [body.error_message, body.description]))
    return Event(
        source=body.signal_source or "kubernaut",
        title=f"{body.signal_name}: {body.resource_kind}/{body.resource_name} in {body.resource_namespace}",
        description=description,
        group_key=f"kubernaut:{body.incident_id}",
        labels=labels,
        subject=body.model_dump(exclude_none=True),
        context={k: getattr(body, k) for k in ("environment", "priority", "risk_tolerance", "business_category")},
        source_ref=body.incident_id,
    )


def incident_messages(body: IncidentRequest) -> tuple[Messages, Event]:
    event = incident_event(body)
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user_prompt(event)}], event


def robusta_messages(body: RobustaChatRequest) -> tuple[Messages, Event]:
    system = _with_system(None, CHAT_SYSTEM_PROMPT, body.additional_system_prompt)
    ask = body.ask
    if body.payload:
        ask += "\n\nAlert payload:\n" + fence("alert", json.dumps(body.payload, sort_keys=True, default=str))
    return [system, {"role": "user", "content": ask}], _chat_event(body.ask, body.payload)
