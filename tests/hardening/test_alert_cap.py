"""A problem that keeps receiving alerts keeps at most ALERTFLEET_MAX_ALERTS_PER_PROBLEM of them, and counts the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import redis

from alertfleet.models import AlertmanagerAlert, cap_alerts
from alertfleet.state import InvestigationStore
from tests.conftest import INGEST_TOKEN, fleet_env, running_fleet
from tests.harness.alerts import alert, webhook
from tests.harness.processes import wait_for
from tests.stubs.slack import SlackStub

AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}
START = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def _notification(firing: range, resolved: range = range(0)) -> dict[str, Any]:
    body = webhook("Capped")
    alerts = []
    for index in [*resolved, *firing]:
        item = alert("Capped", f"pod-{index}", "resolved" if index in resolved else "firing")
        item["startsAt"] = (START + timedelta(minutes=index)).isoformat()
        alerts.append(item)
    body["alerts"] = alerts
    return body


def test_cap_keeps_firing_and_newest_first() -> None:
    def item(name: str, status: str, minute: int) -> AlertmanagerAlert:
        starts = START + timedelta(minutes=minute)
        return AlertmanagerAlert(status=status, labels={"n": name}, startsAt=starts, fingerprint=name)  # type: ignore[arg-type]

    alerts = [item("old", "firing", 1), item("done", "resolved", 9), item("new", "firing", 5), item("mid", "firing", 3)]
    kept, omitted = cap_alerts(alerts, 2)
    assert ([a.fingerprint for a in kept], omitted) == (["new", "mid"], 2)
    assert cap_alerts(alerts, 10) == (alerts, 0)


def test_merged_alerts_are_capped_on_the_stored_problem(
    redis_url: str, redis_client: redis.Redis, slack_stub: SlackStub, tmp_path: Path
) -> None:
    env = fleet_env(redis_url, slack_stub, None, ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN)
    env["ALERTFLEET_MAX_ALERTS_PER_PROBLEM"] = "5"
    store = InvestigationStore(redis_client)
    with running_fleet(env, tmp_path) as fleet:

        def post(body: dict[str, Any]) -> str:
            response = httpx.post(f"{fleet.ingest_url}/api/webhooks/alertmanager", json=body, headers=AUTH, timeout=10)
            assert response.status_code == 202, response.text
            investigation_id: str = response.json()["investigation_ids"][0]
            return investigation_id

        investigation_id = post(_notification(range(3)))
        assert wait_for(lambda: getattr(store.load(investigation_id), "status", "") == "completed", 60), fleet.logs()
        # The group grows: pods 0-1 resolved, 2-9 firing (pod-9 the newest): 10 alerts, 5 kept.
        assert post(_notification(range(2, 10), resolved=range(2))) == investigation_id

        def merged() -> bool:
            investigation = store.load(investigation_id)
            return investigation is not None and investigation.event.omitted_alerts > 0

        assert wait_for(merged, 60), fleet.logs()
        posted = lambda: [m["text"] for m in slack_stub.messages_in("#alerts")]  # noqa: E731
        assert wait_for(lambda: any("*Alerts:* 10" in text for text in posted()), 60), fleet.logs()
    event = store.load(investigation_id).event  # type: ignore[union-attr]
    assert [a.labels["instance"] for a in event.alerts] == ["pod-9", "pod-8", "pod-7", "pod-6", "pod-5"]
    assert event.omitted_alerts == 5
