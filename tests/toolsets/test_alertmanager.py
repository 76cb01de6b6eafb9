"""The alertmanager toolset against the real Alertmanager binary: related alerts and matching silences."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from alertfleet.models import AlertmanagerAlert
from alertfleet.toolset_config import AlertmanagerSpec, EffectiveToolsets
from tests.harness.alertmanager import Alertmanager
from tests.harness.processes import wait_for
from tests.stubs.model import ModelStub
from tests.toolsets.helpers import alert_event, investigate, results_by_tool, use_model_stub


def _post(am: Alertmanager, labels: dict[str, str], summary: str) -> None:
    now = datetime.now(UTC)
    body = [{"labels": labels, "annotations": {"summary": summary}, "startsAt": (now - timedelta(minutes=3)).isoformat()}]
    httpx.post(am.url + "/api/v2/alerts", json=body, timeout=5).raise_for_status()


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Alertmanager]:
    # The receiver is never reached in these tests: its URL only has to be valid.
    am = Alertmanager("http://127.0.0.1:9/unused", "token", tmp_path, repeat_interval="1h").start()
    _post(am, {"alertname": "DemoHigh", "instance": "pod-0", "namespace": "production", "severity": "critical"}, "mine")
    _post(am, {"alertname": "KubeDeploymentReplicasMismatch", "namespace": "production", "deployment": "api", "severity": "warning"}, "replicas")
    _post(am, {"alertname": "NodeDiskFull", "namespace": "infra", "instance": "node-9"}, "unrelated")
    silence = {
        "matchers": [{"name": "alertname", "value": "DemoHigh", "isRegex": False, "isEqual": True}],
        "startsAt": datetime.now(UTC).isoformat(),
        "endsAt": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
        "createdBy": "oncall@example.com",
        "comment": "deploy in progress",
    }
    httpx.post(am.url + "/api/v2/silences", json=silence, timeout=5).raise_for_status()
    other = {**silence, "matchers": [{"name": "alertname", "value": "Other.*", "isRegex": True, "isEqual": True}], "comment": "other"}
    httpx.post(am.url + "/api/v2/silences", json=other, timeout=5).raise_for_status()
    assert wait_for(lambda: len(httpx.get(am.url + "/api/v2/alerts", timeout=5).json()) == 3, 10)
    yield am
    am.stop()


def test_related_alerts_and_the_matching_silence_come_back(
    alertmanager: Alertmanager, model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_model_stub(monkeypatch, model_stub)
    event = alert_event("DemoHigh")
    event = event.model_copy(update={"alerts": [AlertmanagerAlert(labels={"alertname": "DemoHigh", "instance": "pod-0", "namespace": "production", "severity": "critical"})]})
    spec = EffectiveToolsets(alertmanager=AlertmanagerSpec(url=alertmanager.url), tool_timeout=10)
    steps = [[("alertmanager_related_alerts", {}), ("alertmanager_silences", {})]]
    result, _ = investigate(model_stub, spec, steps, event)
    got = results_by_tool(model_stub, result)
    related = got["alertmanager_related_alerts"][0]
    assert "KubeDeploymentReplicasMismatch" in related and "shares namespace=production" in related
    assert "NodeDiskFull" not in related, "shares no label"
    assert "DemoHigh" not in related.split("\n", 1)[1], "not the alert itself"
    silences = got["alertmanager_silences"][0]
    assert "1 active silence(s) match this alert" in silences and "deploy in progress" in silences
    assert "oncall@example.com" in silences and "other" not in silences.split("deploy in progress")[1]
