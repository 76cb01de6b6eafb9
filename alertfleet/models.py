"""The shared vocabulary: vendor payloads in, one Event through the fleet, one Investigation out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alertfleet.usage import Usage

EventStatus = Literal["firing", "resolved"]
# resolved-before-investigation: its resolution arrived before a worker started it (0 model calls, nothing posted).
InvestigationStatus = Literal["queued", "running", "completed", "failed", "resolved-before-investigation"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class AlertmanagerAlert(BaseModel):
    """One alert of an Alertmanager webhook (version 4)."""

    model_config = ConfigDict(extra="allow")

    status: EventStatus = "firing"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime | None = None
    # Alertmanager sends 0001-01-01T00:00:00Z for firing alerts; keep it as text, not a datetime.
    endsAt: str | None = None
    generatorURL: str = ""
    fingerprint: str = ""


class AlertmanagerWebhook(BaseModel):
    """Alertmanager's webhook body; unknown fields are kept, not refused."""

    model_config = ConfigDict(extra="allow")

    version: str = "4"
    groupKey: str = ""
    truncatedAlerts: int = 0
    status: EventStatus = "firing"
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[AlertmanagerAlert] = Field(min_length=1)


class InvestigateRequest(BaseModel):
    """HolmesGPT's `/api/investigate` body."""

    model_config = ConfigDict(extra="allow")

    source: str
    title: str
    description: str
    subject: dict[str, Any]
    context: dict[str, Any]
    source_instance_id: str = "ApiRequest"
    include_tool_calls: bool = False
    include_tool_call_results: bool = False
    prompt_template: str | None = None
    sections: dict[str, str] | None = None
    model: str | None = None


class WriteTarget(BaseModel):
    """A destination type and its target (a channel, an incident or alert id, a URL)."""

    model_config = ConfigDict(frozen=True)

    type: str
    target: str
    # Per-destination writer options from the routing config (token_env, mode, headers); never secrets.
    options: dict[str, Any] = Field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.type, self.target, json.dumps(self.options, sort_keys=True)))


class Event(BaseModel):
    """A source event normalised for the fleet: whatever came in, workers see only this."""

    source: str
    status: EventStatus = "firing"
    title: str
    description: str = ""
    group_key: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    alerts: list[AlertmanagerAlert] = Field(default_factory=list)
    # Alerts of the problem beyond ALERTFLEET_MAX_ALERTS_PER_PROBLEM: counted, not kept (see workers/tasks.py).
    omitted_alerts: int = 0
    subject: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    external_url: str = ""
    source_ref: str = ""
    model: str | None = None
    # Where the source itself wants the result written back (e.g. the incident it came from).
    writeback: list[WriteTarget] = Field(default_factory=list)
    received_at: datetime = Field(default_factory=utcnow)


def alert_key(alert: AlertmanagerAlert) -> str:
    """One alert across notifications: Alertmanager's fingerprint, or its labels when a body has none."""
    return alert.fingerprint or str(sorted(alert.labels.items()))


def cap_alerts(alerts: list[AlertmanagerAlert], limit: int) -> tuple[list[AlertmanagerAlert], int]:
    """At most `limit` alerts, firing before resolved and newest first (later in the list wins a tie);
    the second value is how many were left out."""
    if len(alerts) <= limit:
        return alerts, 0

    def rank(item: tuple[int, AlertmanagerAlert]) -> tuple[bool, float, int]:
        index, alert = item
        started = alert.startsAt
        newest = started.replace(tzinfo=started.tzinfo or UTC).timestamp() if started else float("-inf")
        return alert.status != "firing", -newest, -index

    ranked = sorted(enumerate(alerts), key=rank)
    return [alert for _, alert in ranked[:limit]], len(alerts) - limit


class Sections(BaseModel):
    """The four HolmesGPT headings, plus whatever other headings the model wrote."""

    alert_explanation: str = ""
    key_findings: str = ""
    root_causes: str = ""
    next_steps: str = ""
    extra: dict[str, str] = Field(default_factory=dict)

    def as_holmes(self) -> dict[str, str]:
        """The HolmesGPT API's spelling of the sections."""
        named = {
            "Alert Explanation": self.alert_explanation,
            "Key Findings": self.key_findings,
            "Conclusions and Possible Root Causes": self.root_causes,
            "Next Steps": self.next_steps,
        }
        return {**named, **self.extra}


class ToolCallRecord(BaseModel):
    """One tool call of an investigation, as the API shows it and the message footers count it."""

    tool_call_id: str
    tool_name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    result: str = ""  # the start of what the model received (an excerpt: the full text went to the model)
    error: str | None = None  # why the call failed (timeout, HTTP error, bad arguments); None when it worked
    duration: float = 0.0  # seconds
    result_chars: int = 0  # the length of what the model received

    @field_validator("error", mode="before")
    @classmethod
    def _legacy_flag(cls, value: Any) -> Any:
        # Records stored before the reason was kept said only true/false.
        if isinstance(value, bool):
            return "error" if value else None
        return value


class InvestigationResult(BaseModel):
    analysis: str
    sections: Sections
    model: str | None = None
    mode: Literal["llm", "enrich"] = "enrich"
    token_count: int = 0  # HolmesGPT's field: usage.total_tokens
    usage: Usage = Field(default_factory=Usage)
    duration_seconds: float = 0.0  # wall time of the investigation (the footer's `14 s`)
    # Ended by a limit (max_steps, deadline, token_budget) with one final call without tools.
    partial: bool = False
    partial_reason: str | None = None
    steps: int = 0
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    degraded_reason: str | None = None
    # The model's structured verdict (workers/investigator/verdict.py); None without a model.
    confidence: float | None = None
    investigation_outcome: str | None = None
    actionable: bool | None = None
    root_cause: str | None = None


InvestigateMode = Literal["llm", "enrich", "skip"]


class RouteDecision(BaseModel):
    """Which routes an event matched and what they decided; stored so every later step does exactly that."""

    routes: list[str]
    investigate: InvestigateMode
    model: str | None = None
    max_steps: int | None = None
    max_tokens: int | None = None
    timeout: float | None = None
    destinations: list[str] = Field(default_factory=list)
    targets: list[WriteTarget] = Field(default_factory=list)
    toolsets: list[str] | None = None  # the route's `toolsets:`; None offers every enabled toolset


class Feedback(BaseModel):
    """One person's rating of an investigation's findings (the latest per person counts)."""

    value: Literal["helpful", "not_helpful"]
    user: str
    at: datetime = Field(default_factory=utcnow)
    source: str = ""  # where it was given (the integration's name)


class Investigation(BaseModel):
    """What Redis holds for one problem: the event, its state and (once done) its result."""

    id: str
    problem_key: str
    status: InvestigationStatus = "queued"
    event: Event
    result: InvestigationResult | None = None
    resolved: bool = False
    notifications: int = 1
    error: str | None = None
    route: RouteDecision | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    feedback: list[Feedback] = Field(default_factory=list)
    runs: int = 1  # how many times it was investigated (a re-investigation counts one more)


class WriteRecord(BaseModel):
    """Proof that a destination accepted a write; stored only after the vendor confirmed it."""

    destination: str
    target: str
    external_id: str
    content_hash: str
    details: dict[str, Any] = Field(default_factory=dict)
    writes: int = 1
    updated_at: datetime = Field(default_factory=utcnow)
