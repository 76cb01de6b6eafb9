"""Bad bodies for every route that takes one: each must get a 4xx problem or a 202 whose work ends."""

from __future__ import annotations

import json
from typing import Any

from tests.harness.alerts import alert, webhook


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _with(**fields: Any) -> bytes:
    body = webhook("Fuzz")
    body.update(fields)
    return _json(body)


def _alert_with(**fields: Any) -> bytes:
    body = webhook("FuzzAlert")
    body["alerts"][0].update(fields)
    return _json(body)


def _many_alerts(count: int) -> bytes:
    body = webhook("TenThousand")
    body["alerts"] = [
        {"status": "firing", "labels": {"alertname": "TenThousand", "i": str(i)}, "fingerprint": f"{i:08x}"}
        for i in range(count)
    ]
    return _json(body)


ALERTMANAGER_BODIES: dict[str, bytes] = {
    "empty": b"",
    "not json": b"{not json",
    "json array": b"[]",
    "json number": b"42",
    "json string": b'"alerts"',
    "json null": b"null",
    "nan": b'{"alerts": [{"labels": {"a": "b"}}], "truncatedAlerts": NaN}',
    "bom": b"\xef\xbb\xbf" + _json(webhook("Bom")),
    "invalid utf-8": b'{"alerts": [{"labels": {"alertname": "\xff\xfe"}}]}',
    "lone surrogate": b'{"alerts": [{"labels": {"alertname": "\\ud800"}}]}',
    "deep nesting": b'{"alerts": [{"labels": {}, "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}]}",
    "deep objects": b'{"alerts": [{"labels": {}, "x": ' + b'{"a":' * 5_000 + b"1" + b"}" * 5_000 + b"}]}",
    "duplicate keys": b'{"alerts": [], "status": "firing", "alerts": [{"labels": {"alertname": "Dup"}}]}',
    "alerts null": _with(alerts=None),
    "alerts string": _with(alerts="firing"),
    "alerts empty": _with(alerts=[]),
    "alert null": _with(alerts=[None]),
    "alert number": _with(alerts=[7]),
    "labels list": _alert_with(labels=["alertname", "x"]),
    "labels null": _alert_with(labels=None),
    "label value number": _alert_with(labels={"alertname": 5}),
    "label value object": _alert_with(labels={"alertname": {"nested": True}}),
    "groupLabels null": _with(groupLabels=None),
    "commonLabels list": _with(commonLabels=[1, 2]),
    "annotations null": _alert_with(annotations=None),
    "groupKey number": _with(groupKey=12345),
    "groupKey object": _with(groupKey={"k": "v"}),
    "truncatedAlerts string": _with(truncatedAlerts="many"),
    "truncatedAlerts huge": _with(truncatedAlerts=10**30),
    "truncatedAlerts negative": _with(truncatedAlerts=-5),
    "unknown status": _with(status="pending"),
    "alert unknown status": _alert_with(status="exploded"),
    "status null": _with(status=None),
    "version number": _with(version=4),
    "huge label value": _alert_with(labels={"alertname": "Huge", "blob": "x" * 600_000}),
    "huge title": _with(commonLabels={"alertname": "T" * 300_000}),
    "many labels": _alert_with(labels={f"l{i}": "v" for i in range(20_000)}),
    "label names not prometheus": _alert_with(labels={"1-bad name": "x", "": "empty", "ünï": "y", "a.b": "c"}),
    "control characters": _alert_with(labels={"alertname": "Ctl\u0000\u0007\r\n"}),
    "starts far future": _alert_with(startsAt="99999-01-01T00:00:00Z"),
    "starts year zero": _alert_with(startsAt="0000-01-01T00:00:00Z"),
    "starts garbage": _alert_with(startsAt="yesterday"),
    "starts number": _alert_with(startsAt=1e300),
    "starts max": _alert_with(startsAt="9999-12-31T23:59:59.999999Z"),
    "starts min": _alert_with(startsAt="0001-01-01T00:00:00Z"),
    "ends object": _alert_with(endsAt={"when": "now"}),
    "fingerprint number": _alert_with(fingerprint=7),
    "generatorURL null": _alert_with(generatorURL=None),
    "ten thousand alerts": _many_alerts(10_000),
    "extra fields": _with(unexpected={"deep": [1, 2, {"x": None}]}, alerts=[alert("Extra", "p0") | {"more": [None]}]),
}

HOLMES_BODIES: dict[str, bytes] = {
    "empty object": b"{}",
    "missing fields": _json({"source": "x", "title": "t"}),
    "subject null": _json({"source": "x", "title": "t", "description": "d", "subject": None, "context": {}}),
    "context list": _json({"source": "x", "title": "t", "description": "d", "subject": {}, "context": []}),
    "title number": _json({"source": "x", "title": 5, "description": "d", "subject": {}, "context": {}}),
    "huge title": _json({"source": "x", "title": "t" * 500_000, "description": "", "subject": {}, "context": {}}),
    "model object": _json({"source": "x", "title": "t", "description": "", "subject": {}, "context": {}, "model": {}}),
    "sections list": _json(
        {"source": "x", "title": "t", "description": "", "subject": {}, "context": {}, "sections": []}
    ),
    "deep context": b'{"source": "x", "title": "t", "description": "", "subject": {}, "context": '
    + b'{"a":' * 5_000
    + b"1"
    + b"}" * 5_000
    + b"}",
    "valid but odd": _json(
        {"source": "\u0000", "title": "\ud7ff", "description": "", "subject": {"a": [None]}, "context": {"b": 1e308}}
    ),
    **{
        f"alertmanager {name}": body for name, body in ALERTMANAGER_BODIES.items() if name.startswith(("alert", "deep"))
    },
}

PAGERDUTY_BODIES: dict[str, bytes] = {
    "empty object": b"{}",
    "event null": _json({"event": None}),
    "event list": _json({"event": []}),
    "data null": _json({"event": {"event_type": "incident.triggered", "data": None}}),
    "data list": _json({"event": {"event_type": "incident.triggered", "data": [1]}}),
    "id number": _json({"event": {"event_type": "incident.triggered", "data": {"id": 5, "title": None}}}),
    "title object": _json({"event": {"event_type": "incident.triggered", "data": {"id": "P1", "title": {"x": 1}}}}),
    "service list": _json(
        {"event": {"event_type": "incident.triggered", "data": {"id": "P2", "title": "t", "service": [None]}}}
    ),
    "created_at garbage": _json(
        {"event": {"event_type": "incident.triggered", "data": {"id": "P3", "title": "t", "created_at": "soon"}}}
    ),
    "unknown event": _json({"event": {"event_type": "incident.exploded", "data": {"id": "P4"}}}),
    "deep nesting": b'{"event": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "invalid utf-8": b'{"event": {"event_type": "incident.triggered", "data": {"id": "\xff"}}}',
}
