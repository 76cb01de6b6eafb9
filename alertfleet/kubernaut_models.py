"""Kubernaut's session API bodies, as its published OpenAPI (holmesgpt-api/api/openapi.json) has them.

Kubernaut's generated Go client validates both directions, so field names, required fields, enums
and bounds follow that document; tests/contract checks these models against it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["critical", "high", "medium", "low", "unknown"]
SessionStatus = Literal["pending", "investigating", "completed", "failed"]

INCIDENT_EXAMPLE: dict[str, Any] = {
    "incident_id": "inc-2025-11-27-001",
    "remediation_id": "req-2025-11-27-abc123",
    "signal_name": "OOMKilled",
    "severity": "high",
    "signal_source": "prometheus",
    "resource_namespace": "production",
    "resource_kind": "Pod",
    "resource_name": "api-server-7d4b9c-x2k4p",
    "error_message": "Container api-server was OOMKilled (memory limit 512Mi)",
    "environment": "production",
    "priority": "P1",
    "risk_tolerance": "medium",
    "business_category": "payments",
    "cluster_name": "prod-us-east-1",
}


class BusinessClassification(BaseModel):
    model_config = ConfigDict(extra="allow")

    businessUnit: str | None = None
    serviceOwner: str | None = None
    criticality: str | None = None
    slaRequirement: str | None = None


class EnrichmentResults(BaseModel):
    model_config = ConfigDict(extra="allow")

    kubernetesContext: dict[str, Any] | None = None
    customLabels: dict[str, list[str]] | None = None
    businessClassification: BusinessClassification | None = None


class IncidentRequest(BaseModel):
    """`POST /api/v1/incident/analyze`: the 14 required fields and the schema's optional ones."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [INCIDENT_EXAMPLE]})

    incident_id: str
    remediation_id: str = Field(min_length=1)
    signal_name: str
    severity: Severity
    signal_source: str
    resource_namespace: str
    resource_kind: str
    resource_name: str
    error_message: str
    description: str | None = None
    environment: str
    priority: str
    risk_tolerance: str
    business_category: str
    cluster_name: str
    is_duplicate: bool | None = False
    occurrence_count: int | None = 0
    deduplication_window_minutes: int | None = None
    firing_time: str | None = None
    received_time: str | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    signal_labels: dict[str, str] | None = None
    enrichment_results: EnrichmentResults | None = None
    signal_mode: Literal["reactive", "proactive"] | None = None


class IncidentAccepted(BaseModel):
    session_id: str = Field(json_schema_extra={"examples": ["550e8400-e29b-41d4-a716-446655440000"]})


class IncidentSession(BaseModel):
    status: SessionStatus
    progress: str = Field(json_schema_extra={"examples": ["Analyzing pod logs..."]})


class IncidentResponse(BaseModel):
    """The session's result; alertfleet selects no remediation workflow (`selected_workflow` is null)."""

    incident_id: str
    analysis: str
    root_cause_analysis: dict[str, Any]
    selected_workflow: dict[str, Any] | None = None
    confidence: float = Field(ge=0.0, le=1.0)
    timestamp: str
    needs_human_review: bool = False
    is_actionable: bool | None = None
    warnings: list[str] = Field(default_factory=list)
    alternative_workflows: list[dict[str, Any]] = Field(default_factory=list)
    validation_attempts_history: list[dict[str, Any]] = Field(default_factory=list)
    detected_labels: dict[str, Any] | None = None
    root_cause: str
    investigation_outcome: str
    actionable: bool
