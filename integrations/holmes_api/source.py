"""HolmesGPT's `/api/investigate` body -> Event."""

from __future__ import annotations

from alertfleet.keys import request_group_key
from alertfleet.models import Event, InvestigateRequest


def event_from_request(body: InvestigateRequest) -> Event:
    labels = {k: str(v) for k, v in body.subject.items() if isinstance(v, str | int | float)}
    return Event(
        source=body.source or "api",
        status="firing",
        title=body.title,
        description=body.description,
        group_key=request_group_key(body),
        labels=labels,
        subject=body.subject,
        context=body.context,
        source_ref=body.source_instance_id,
        model=body.model,
    )
