"""A follow-up question in an investigation's thread, answered by the chat engine (workers/chat) with
what the investigation had: its toolsets, its route's model and budgets (steps, model timeout), its
event (what the tools see), its findings and the thread's earlier questions and answers as context."""

from __future__ import annotations

import re
from typing import Any

from alertfleet.config import RoutingConfig
from alertfleet.log import redact
from alertfleet.models import Investigation
from alertfleet.settings import FleetSettings
from workers.chat.engine import ChatFailed, Conversation, run_conversation
from workers.chat.prompts import CHAT_SYSTEM_PROMPT
from workers.investigator.loop import LoopLimits
from workers.investigator.model_calls import limited_completion
from workers.investigator.toolsets.registry import Toolbox

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
FINDINGS_CHARS = 12_000

THREAD_PROMPT = """You are answering a follow-up question in the Slack thread of an investigation you wrote.
Answer the question asked; use the tools when the findings do not already hold the answer.
Slack shows your answer: keep it short (a few sentences or bullets)."""


def question_text(text: str) -> str:
    """The question without the bot's mention (`<@U123> why ...` -> `why ...`)."""
    return " ".join(_MENTION.sub(" ", text).split())


def findings(investigation: Investigation) -> str:
    event = investigation.event
    labels = ", ".join(f"{k}={v}" for k, v in sorted(event.labels.items()))
    result = investigation.result
    analysis = result.analysis if result is not None else "(the investigation has not finished)"
    return f"Alert: {event.title}\nLabels: {labels}\n\nThe investigation's findings:\n{analysis[:FINDINGS_CHARS]}"


def thread_messages(investigation: Investigation, history: list[dict[str, str]], question: str) -> list[dict[str, Any]]:
    system = f"{CHAT_SYSTEM_PROMPT}\n\n{THREAD_PROMPT}\n\n{findings(investigation)}"
    return [{"role": "system", "content": system}, *history, {"role": "user", "content": question}]


def limited_complete(model: str, messages: list[dict[str, Any]], limits: LoopLimits, **kwargs: Any) -> Any:
    """A model call under the fleet's model limits (slots, tokens per minute, the provider's pauses), as
    an investigation's are: a thread's questions spend the same budget as the alerts."""
    try:
        return limited_completion(model, messages, limits.call_timeout, **kwargs)
    except Exception as exc:  # litellm maps every provider error to its own exception types
        raise ChatFailed(f"model call failed: {type(exc).__name__}: {str(exc)[:300]}") from None


def answer_question(
    investigation: Investigation,
    history: list[dict[str, str]],
    question: str,
    settings: FleetSettings,
    config: RoutingConfig,
    toolbox: Toolbox,
) -> str:
    """The model's answer in markdown; the reason instead when no answer could be had."""
    route = investigation.route
    model = investigation.event.model or (route.model if route else None) or settings.model
    if not model:
        return "No model is configured (MODEL or `models:` in ALERTFLEET_CONFIG), so I cannot answer questions."
    limits = LoopLimits(
        max_steps=(route.max_steps if route else None) or settings.max_steps,
        call_timeout=(route.timeout if route else None) or settings.llm_timeout,
        tool_timeout=settings.tool_timeout,
        tool_concurrency=settings.tool_concurrency,
    )
    # Nobody can approve a tool from a thread: tools that need approval are not offered.
    tools = [
        tool for tool in toolbox.tools(route.toolsets if route else None) if tool.name not in config.approval_tools
    ]
    conversation = Conversation(thread_messages(investigation, history, question), investigation.event, tools)
    try:
        outcome = run_conversation(conversation, model, limits, lambda _name, _data: None, limited_complete)
    except ChatFailed as failure:
        return f"I could not answer that: {redact(str(failure.event['msg']))}"
    return outcome.answer or "(no answer)"
