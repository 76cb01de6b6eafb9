"""Investigation -> the HolmesGPT webhook payload, with alertfleet's ids so receivers can deduplicate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alertfleet.models import Investigation
from alertfleet.usage import Usage

SOURCE = "alertfleet"


def iso_timestamp(moment: datetime) -> str:
    """`2024-01-15T10:30:00Z`, as in the HolmesGPT docs."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def render_payload(investigation: Investigation, timestamp: datetime) -> dict[str, Any]:
    """`{timestamp, source, type, data: {query, analysis, sections, model, token_count,
    usage, partial, partial_reason}}` plus
    `investigation_id` and `dedup_key` (the problem key: sha256(groupKey), also the PD dedup_key
    and the OpsGenie alias), identical on every delivery of the same investigation."""
    result = investigation.result
    sections = result.sections if result is not None else None
    return {
        "timestamp": iso_timestamp(timestamp),
        "source": SOURCE,
        "type": "investigation",
        "investigation_id": investigation.id,
        "dedup_key": investigation.problem_key,
        "data": {
            "query": investigation.event.title,
            "analysis": result.analysis if result is not None else "",
            "sections": {
                "alert_explanation": sections.alert_explanation if sections else "",
                "key_findings": sections.key_findings if sections else "",
                "root_causes": sections.root_causes if sections else "",
                "next_steps": sections.next_steps if sections else "",
            },
            "model": result.model if result is not None else None,
            "token_count": result.token_count if result is not None else 0,
            # alertfleet's addition: {model_calls, prompt_tokens, completion_tokens, total_tokens, cost_usd}
            "usage": (result.usage if result is not None else Usage()).model_dump(),
            "partial": result.partial if result is not None else False,
            "partial_reason": result.partial_reason if result is not None else None,
        },
    }


def delivery_identity(payload: dict[str, Any]) -> dict[str, Any]:
    """What makes two deliveries the same: everything but the timestamp."""
    return {key: value for key, value in payload.items() if key != "timestamp"}
