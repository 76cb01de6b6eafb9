"""One API session, start to finish: its kind's conversation through the engine, then its kind's answer.

Every kind answers with the body its route returns and the terminal event its stream ends with
(`ai_answer_end`, or `approval_required` for a chat waiting on the client's tool decisions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alertfleet.api_models import (
    ChatRequest,
    ChatResponse,
    InvestigateResponse,
    IssueChatRequest,
    RobustaChatRequest,
    RobustaChatResponse,
    WorkloadHealthChatRequest,
    WorkloadHealthChatResponse,
    WorkloadHealthRequest,
)
from alertfleet.config import RoutingConfig
from alertfleet.kubernaut_models import IncidentRequest, IncidentResponse
from alertfleet.models import InvestigateRequest, utcnow
from alertfleet.sessions import Session
from alertfleet.settings import Settings
from workers.chat import prompts
from workers.chat.engine import Conversation, Emit, Outcome, resume_decisions, run_conversation
from workers.investigator.enrich import enrich
from workers.investigator.loop import LoopLimits
from workers.investigator.sections import named_sections, parse_sections
from workers.investigator.toolsets import default_tools
from workers.investigator.verdict import INCONCLUSIVE, Verdict, ask_verdict

INTERACTIVE = frozenset({"chat", "issue_chat", "workload_health_chat", "robusta"})


@dataclass
class Answer:
    body: dict[str, Any]
    event: str
    data: dict[str, Any]


@dataclass
class Runner:
    """What every kind shares: the model, the limits, the toolsets and the approval policy."""

    session: Session
    settings: Settings
    config: RoutingConfig
    emit: Emit

    @property
    def limits(self) -> LoopLimits:
        root = self.config.route
        return LoopLimits(
            max_steps=root.max_steps or self.settings.max_steps, call_timeout=root.timeout or self.settings.llm_timeout
        )

    def conversation(self, messages: list[dict[str, Any]], event: Any, **extra: Any) -> Conversation:
        tools = default_tools()
        approvals = self.config.approval_tools
        if self.session.kind not in INTERACTIVE:  # nobody is there to approve: such tools are not offered
            tools, approvals = [tool for tool in tools if tool.name not in approvals], frozenset()
        return Conversation(messages, event, tools, approvals, **extra)

    def run(self, conversation: Conversation) -> Outcome:
        resumed = resume_decisions(conversation, self.emit) if conversation.decisions else []
        outcome = run_conversation(conversation, str(self.session.model), self.limits, self.emit)
        outcome.tool_runs[:0] = resumed
        return outcome


def _chat_answer(outcome: Outcome, body_type: type[ChatResponse] | type[WorkloadHealthChatResponse]) -> Answer:
    views = [run.view(with_result=True) for run in outcome.tool_runs]
    if outcome.pending:
        pending = [p.model_dump() for p in outcome.pending]
        waiting = ChatResponse(
            analysis=None,
            conversation_history=outcome.messages,
            tool_calls=views,
            requires_approval=True,
            pending_approvals=outcome.pending,
        ).model_dump(mode="json")
        data: dict[str, Any] = {
            "content": None,
            "conversation_history": outcome.messages,
            "follow_up_actions": [],
            "requires_approval": True,
            "pending_approvals": pending,
        }
        return Answer(waiting, "approval_required", data)
    body = body_type(analysis=outcome.answer, conversation_history=outcome.messages, tool_calls=views)
    data = {
        "analysis": outcome.answer,
        "conversation_history": outcome.messages,
        "follow_up_actions": [],
        "metadata": outcome.metadata,
    }
    return Answer(body.model_dump(mode="json"), "ai_answer_end", data)


def _chat(runner: Runner) -> Answer:
    body = ChatRequest.model_validate(runner.session.request)
    messages, event = prompts.chat_messages(body)
    decisions = {d.tool_call_id: d.approved for d in body.tool_decisions or []}
    conversation = runner.conversation(messages, event, decisions=decisions, response_format=body.response_format)
    return _chat_answer(runner.run(conversation), ChatResponse)


def _issue_chat(runner: Runner) -> Answer:
    messages, event = prompts.issue_chat_messages(IssueChatRequest.model_validate(runner.session.request))
    return _chat_answer(runner.run(runner.conversation(messages, event)), ChatResponse)


def _workload_chat(runner: Runner) -> Answer:
    messages, event = prompts.workload_chat_messages(WorkloadHealthChatRequest.model_validate(runner.session.request))
    return _chat_answer(runner.run(runner.conversation(messages, event)), WorkloadHealthChatResponse)


def _robusta(runner: Runner) -> Answer:
    body = RobustaChatRequest.model_validate(runner.session.request)
    messages, event = prompts.robusta_messages(body)
    answer = _chat_answer(runner.run(runner.conversation(messages, event)), ChatResponse)
    if answer.event == "ai_answer_end":
        answer.body = RobustaChatResponse(
            cluster_id=body.cluster_id or "", analysis=answer.data["analysis"] or ""
        ).model_dump()
    return answer


def _investigation_answer(
    analysis: str,
    sections: dict[str, str | None] | None,
    outcome: Outcome | None = None,
    *,
    body: InvestigateRequest | WorkloadHealthRequest | None = None,
    instructions: list[str] | None = None,
) -> Answer:
    """HolmesGPT's investigate answer; tool calls (and their results) only when the request asked for them."""
    instructions = instructions or []
    shown = outcome is not None and body is not None and body.include_tool_calls
    with_results = body is not None and body.include_tool_call_results
    views = [run.view(with_result=with_results) for run in outcome.tool_runs] if outcome and shown else []
    response = InvestigateResponse(analysis=analysis, sections=sections, tool_calls=views, instructions=instructions)
    data = {
        "sections": sections,
        "analysis": analysis,
        "instructions": instructions,
        "metadata": outcome.metadata if outcome else {},
    }
    return Answer(response.model_dump(mode="json"), "ai_answer_end", data)


def _investigate(runner: Runner) -> Answer:
    body = InvestigateRequest.model_validate(runner.session.request)
    messages, event, names = prompts.investigate_messages(body)
    if runner.session.model is None:
        result = enrich(event)
        holmes: dict[str, str | None] = dict(result.sections.as_holmes())
        return _investigation_answer(result.analysis, {n: holmes.get(n) for n in names})
    outcome = runner.run(runner.conversation(messages, event))
    answer = outcome.answer or ""
    sections = named_sections(answer, names)
    return _investigation_answer(answer, sections, outcome, body=body)


def _workload_check(runner: Runner) -> Answer:
    body = WorkloadHealthRequest.model_validate(runner.session.request)
    messages, event = prompts.workload_check_messages(body)
    if runner.session.model is None:
        return _investigation_answer(enrich(event).analysis, None, instructions=body.instructions)
    outcome = runner.run(runner.conversation(messages, event))
    return _investigation_answer(outcome.answer or "", None, outcome, body=body, instructions=body.instructions)


def _incident(runner: Runner) -> Answer:
    body = IncidentRequest.model_validate(runner.session.request)
    messages, event = prompts.incident_messages(body)
    verdict: Verdict = INCONCLUSIVE
    if runner.session.model is None:
        analysis = enrich(event).analysis
        outcome = None
    else:
        outcome = runner.run(runner.conversation(messages, event))
        analysis = outcome.answer or ""
        verdict = ask_verdict(runner.session.model, analysis, runner.limits)
    findings = [line.lstrip("-*• ").strip() for line in parse_sections(analysis).key_findings.splitlines()]
    response = IncidentResponse(
        incident_id=body.incident_id,
        analysis=analysis,
        root_cause_analysis={
            "summary": verdict.root_cause or parse_sections(analysis).root_causes,
            "severity": body.severity,
            "contributing_factors": [line for line in findings if line],
        },
        selected_workflow=None,
        confidence=verdict.confidence,
        timestamp=utcnow().isoformat(),
        needs_human_review=verdict.investigation_outcome == "inconclusive",
        is_actionable=verdict.actionable,
        warnings=[] if runner.session.model else ["no model configured: enrichment only, root cause not analysed"],
        detected_labels={},
        root_cause=verdict.root_cause,
        investigation_outcome=verdict.investigation_outcome,
        actionable=verdict.actionable,
    )
    data = {"analysis": analysis, "metadata": outcome.metadata if outcome else {}}
    return Answer(response.model_dump(mode="json"), "ai_answer_end", data)


KINDS = {
    "chat": _chat,
    "issue_chat": _issue_chat,
    "workload_health_chat": _workload_chat,
    "robusta": _robusta,
    "investigate": _investigate,
    "workload_health_check": _workload_check,
    "incident": _incident,
}


def answer_session(session: Session, settings: Settings, config: RoutingConfig, emit: Emit) -> Answer:
    return KINDS[session.kind](Runner(session, settings, config, emit))
