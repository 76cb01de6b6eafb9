"""HolmesGPT's and Robusta's HTTP API bodies: what clients send and what alertfleet answers.

Ingest validates requests with these models (unknown fields ignored, as HolmesGPT does); the chat
worker reads the stored request back with the same model. The examples are the seeds' own, so the
OpenAPI document shows what a HolmesGPT or Robusta client already sends.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import jsonschema
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_SECTIONS: dict[str, str] = {
    "Alert Explanation": "1-2 sentences explaining the alert itself - note don't say \"The alert indicates a warning "
    'event related to a Kubernetes pod doing blah" rather just say "The pod XYZ did blah".',
    "Key Findings": "What you checked and found",
    "Conclusions and Possible Root Causes": "What conclusions can you reach based on the data you found? "
    "What are possible root causes (if you have enough conviction to say) or what uncertainty remains?",
    "Next Steps": "What you would do next to troubleshoot this issue, any commands that could be run to fix it, "
    "or other ways to solve it (prefer giving precise bash commands when possible)",
    "App or Infra?": "Explain whether the issue is more likely an infrastructure or an application level issue "
    "and why you think that.",
    "External links": "Provide links to external sources. Where to look for more information, documentation, ...",
}

SYSTEM_EXAMPLE: list[Any] = [{"role": "system", "content": "You are a helpful assistant."}]


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ChatMessage(BaseModel):
    """One OpenAI-style message; tool_calls, tool_call_id, name and the like are kept as sent."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None


def _system_first(history: list[ChatMessage] | None) -> list[ChatMessage] | None:
    if history and history[0].role != "system":
        raise ValueError("the first message of conversation_history must have role 'system'")
    return history


History = Annotated[list[ChatMessage] | None, AfterValidator(_system_first)]


class ToolDecision(BaseModel):
    tool_call_id: str = Field(min_length=1)
    approved: bool


class ChatRequest(_Request):
    """`POST /api/chat`: a question, optionally continuing a conversation or answering an approval."""

    ask: str | None = Field(default=None, description="The user's question (optional only with tool_decisions)")
    conversation_history: History = None
    model: str | None = Field(default=None, description="A name from GET /api/model")
    stream: bool = False
    additional_system_prompt: str | None = None
    conversation_id: str | None = None
    response_format: dict[str, Any] | None = Field(
        default=None,
        description="A JSON schema (or OpenAI's {type: json_schema, json_schema: {schema}}) "
        "the answer must validate against",
    )
    tool_decisions: list[ToolDecision] | None = None

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [{"ask": "What is the status of my cluster?", "conversation_history": SYSTEM_EXAMPLE}]
        },
    )

    @model_validator(mode="after")
    def _ask_or_decisions(self) -> ChatRequest:
        if not self.ask and not self.tool_decisions:
            raise ValueError("ask is required (it may be left out only when sending tool_decisions)")
        if self.tool_decisions and not self.conversation_history:
            raise ValueError("tool_decisions need the conversation_history that asked for approval")
        return self

    @field_validator("response_format")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            try:
                jsonschema.validators.validator_for(answer_schema(value)).check_schema(answer_schema(value))
            except jsonschema.SchemaError as exc:
                raise ValueError(f"response_format is not a valid JSON schema: {exc.message}") from None
        return value


def answer_schema(response_format: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema inside a response_format, whether bare or OpenAI's json_schema wrapper."""
    if response_format.get("type") == "json_schema" and isinstance(response_format.get("json_schema"), dict):
        inner = response_format["json_schema"].get("schema")
        return inner if isinstance(inner, dict) else {}
    return response_format


class InvestigationResultInput(BaseModel):
    model_config = ConfigDict(extra="allow")

    result: str | None = None
    tools: list[Any] | None = None


class WorkloadHealthResultInput(BaseModel):
    model_config = ConfigDict(extra="allow")

    analysis: str | None = None
    tools: list[Any] | None = None


class _FollowUpChat(_Request):
    """What every conversation about earlier findings takes."""

    ask: str = Field(min_length=1)
    conversation_history: History = None
    model: str | None = None
    stream: bool = False


class IssueChatRequest(_FollowUpChat):
    """`POST /api/issue_chat`: questions about an investigation already done."""

    investigation_result: InvestigationResultInput
    issue_type: str
    additional_system_prompt: str | None = None

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "ask": "How do I fix this issue?",
                    "investigation_result": {"result": "Pod crashed due to OOM.", "tools": []},
                    "issue_type": "CrashLoopBackOff",
                    "conversation_history": SYSTEM_EXAMPLE,
                }
            ]
        },
    )


class WorkloadHealthRequest(_Request):
    """`POST /api/workload_health_check`."""

    ask: str = Field(min_length=1)
    resource: dict[str, Any]
    alert_history_since_hours: float = Field(default=24, ge=0)
    alert_history: bool = True
    stored_instructions: bool = True
    instructions: list[str] = Field(default_factory=list)
    include_tool_calls: bool = False
    include_tool_call_results: bool = False
    prompt_template: str = "builtin://kubernetes_workload_ask.jinja2"
    model: str | None = None

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "ask": "Why is my deployment unhealthy?",
                    "resource": {"name": "my-deployment", "kind": "Deployment"},
                    "alert_history_since_hours": 12,
                }
            ]
        },
    )


class WorkloadHealthChatRequest(_FollowUpChat):
    """`POST /api/workload_health_chat`."""

    workload_health_result: WorkloadHealthResultInput
    resource: dict[str, Any]

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "ask": "Check the workload health.",
                    "workload_health_result": {"analysis": "Previous health check: all good.", "tools": []},
                    "resource": {"name": "my-deployment", "kind": "Deployment"},
                    "conversation_history": SYSTEM_EXAMPLE,
                }
            ]
        },
    )


class RobustaChatRequest(_Request):
    """`POST /api/holmes/{account_id}/chat` (Robusta's Holmes chat API)."""

    cluster_id: str | None = None
    ask: str = Field(min_length=1)
    payload: dict[str, Any] | None = None
    additional_system_prompt: str | None = None
    model: str | None = None
    stream: bool = False

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "cluster_id": "my-cluster",
                    "ask": "Which pods are failing in the cluster?",
                    "payload": {
                        "alertname": "KubeContainerWaiting",
                        "container": "frontend",
                        "namespace": "production",
                        "pod": "frontend-59fbcd7965-drx6w",
                        "reason": "ContainerCreating",
                        "severity": "warning",
                    },
                }
            ]
        },
    )


# --- answers ---------------------------------------------------------------------------------------


class ToolCallView(BaseModel):
    """A tool call as HolmesGPT reports it; `result` is left out unless include_tool_call_results."""

    tool_call_id: str
    tool_name: str
    description: str
    result: dict[str, Any] | None = None


class PendingApproval(BaseModel):
    tool_call_id: str
    tool_name: str
    description: str
    params: dict[str, Any] = Field(default_factory=dict)


class ChatResponse(BaseModel):
    analysis: str | None
    conversation_history: list[dict[str, Any]]
    tool_calls: list[ToolCallView] = Field(default_factory=list)
    follow_up_actions: list[dict[str, Any]] = Field(default_factory=list)
    requires_approval: bool = False
    pending_approvals: list[PendingApproval] = Field(default_factory=list)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "analysis": "Your cluster is healthy. All nodes are ready and workloads are running as expected.",
                    "conversation_history": [
                        {"role": "system", "content": "You are a helpful assistant."},
                        {"role": "user", "content": "What is the status of my cluster?"},
                        {"role": "assistant", "content": "Your cluster is healthy."},
                    ],
                    "tool_calls": [],
                    "follow_up_actions": [],
                }
            ]
        }
    )


class InvestigateResponse(BaseModel):
    analysis: str
    sections: dict[str, str | None] | None
    tool_calls: list[ToolCallView] = Field(default_factory=list)
    instructions: list[str] = Field(default_factory=list)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "analysis": "The pod 'my-pod' in namespace 'default' is crashing due to an OOMKilled event.",
                    "sections": dict.fromkeys(DEFAULT_SECTIONS, "..."),
                    "tool_calls": [{"tool_call_id": "1", "tool_name": "kubectl_logs", "description": "Fetch pod logs"}],
                    "instructions": [],
                }
            ]
        }
    )


class WorkloadHealthChatResponse(BaseModel):
    analysis: str | None
    conversation_history: list[dict[str, Any]]
    tool_calls: list[ToolCallView] = Field(default_factory=list)


class ModelList(BaseModel):
    model_name: list[str] = Field(json_schema_extra={"examples": [["gpt-4o", "azure/gpt-4o", "robusta"]]})


class RobustaChatResponse(BaseModel):
    cluster_id: str
    analysis: str


class SessionAccepted(BaseModel):
    """Where to find a request that outlived ALERTFLEET_API_WAIT (sent inside the 504 problem)."""

    session_id: str
