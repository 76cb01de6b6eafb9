"""The request examples of the reference documents (../shared/seeds/001-004), verbatim, for replay."""

from __future__ import annotations

from typing import Any

SYSTEM = {"role": "system", "content": "You are a helpful assistant."}

# seed 001 / 002: HolmesGPT's API reference
CHAT: dict[str, Any] = {"ask": "What is the status of my cluster?", "conversation_history": [SYSTEM]}
CHAT_MODEL_LIST: dict[str, Any] = {"ask": "list pods", "model": "fast-model"}
INVESTIGATE: dict[str, Any] = {
    "source": "prometheus",
    "title": "Pod CrashLoopBackOff",
    "description": "Pod is crashing repeatedly",
    "subject": {"namespace": "default", "pod": "my-pod"},
    "context": {},
    "include_tool_calls": True,
    "model": "gpt-4o",
}
INVESTIGATE_002 = INVESTIGATE | {"model": "gpt-4.1"}
ISSUE_CHAT: dict[str, Any] = {
    "ask": "How do I fix this issue?",
    "investigation_result": {"result": "Pod crashed due to OOM.", "tools": []},
    "issue_type": "CrashLoopBackOff",
    "conversation_history": [SYSTEM],
}
WORKLOAD_HEALTH_CHECK: dict[str, Any] = {
    "ask": "Why is my deployment unhealthy?",
    "resource": {"name": "my-deployment", "kind": "Deployment"},
    "alert_history_since_hours": 12,
}
WORKLOAD_HEALTH_CHAT: dict[str, Any] = {
    "ask": "Check the workload health.",
    "workload_health_result": {"analysis": "Previous health check: all good.", "tools": []},
    "resource": {"name": "my-deployment", "kind": "Deployment"},
    "conversation_history": [SYSTEM],
}
DEFAULT_SECTIONS = (
    "Alert Explanation",
    "Key Findings",
    "Conclusions and Possible Root Causes",
    "Next Steps",
    "App or Infra?",
    "External links",
)
SSE_EVENTS = frozenset(
    {
        "start_tool_calling",
        "tool_calling_result",
        "ai_message",
        "ai_answer_end",
        "approval_required",
        "token_count",
        "conversation_history_compacted",
        "error",
    }
)

# seed 004: Robusta's Holmes chat API
ROBUSTA_CHAT: dict[str, Any] = {
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
ROBUSTA_STREAM: dict[str, Any] = {
    "cluster_id": "my-cluster",
    "ask": "Which pods are failing in the cluster?",
    "stream": True,
    "payload": {
        "alertname": "KubeContainerWaiting",
        "container": "frontend",
        "namespace": "production",
        "pod": "frontend-59fbcd7965-drx6w",
    },
}
