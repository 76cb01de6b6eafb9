"""The first tool: the full alert group as the source sent it."""

from __future__ import annotations

import json
from typing import Any

from alertfleet.models import Event
from workers.investigator.toolsets import Tool


def alert_group(event: Event, _arguments: dict[str, Any]) -> str:
    group = {
        "title": event.title,
        "status": event.status,
        "source": event.source,
        "group_key": event.group_key,
        "common_labels": event.labels,
        "common_annotations": event.annotations,
        "external_url": event.external_url,
        "alerts": [
            {
                "status": alert.status,
                "labels": alert.labels,
                "annotations": alert.annotations,
                "startsAt": alert.startsAt.isoformat() if alert.startsAt else None,
                "endsAt": alert.endsAt,
                "generatorURL": alert.generatorURL,
                "fingerprint": alert.fingerprint,
            }
            for alert in event.alerts
        ],
        "subject": event.subject,
        "context": event.context,
    }
    return json.dumps(group, indent=1, default=str)


ALERT_GROUP_TOOL = Tool(
    name="get_alert_group",
    description="Return the full alert group under investigation: every alert's labels, annotations, "
    "start/end times and generatorURL.",
    parameters={"type": "object", "properties": {}, "additionalProperties": False},
    run=alert_group,
)
