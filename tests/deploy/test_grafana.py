"""deploy/grafana/alertfleet.json: every query is valid PromQL and names only series a real fleet's /metrics exposes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import INGEST_TOKEN, Fleet
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.slack import SlackStub

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "alertfleet.json"
METRIC = re.compile(r"\balertfleet_[a-z_]+\b")


def queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def exposed(text: str) -> set[str]:
    """Sample names, and the names of families declared even before their first sample."""
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}.get(family.type, ())
        names.update(family.name + suffix for suffix in suffixes)
    return names


def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian's prometheus) is needed: make test-tools installs it"
    rules = [{"record": f"dashboard:query_{i}", "expr": expr.replace("$job", ".*")} for i, expr in enumerate(queries())]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dashboard_names_only_metrics_a_running_fleet_exposes(fleet: Fleet, slack_stub: SlackStub) -> None:
    answer = httpx.post(
        fleet.ingest_url + "/api/webhooks/alertmanager",
        json=webhook("DashboardCheck"),
        headers={"Authorization": f"Bearer {INGEST_TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 202
    assert wait_for(lambda: slack_stub.post_count() == 1, 60), fleet.logs()

    def written() -> bool:  # the worker records its write after Slack answered: wait for it in the scrape
        text = httpx.get(fleet.ingest_url + "/metrics").text
        return 'alertfleet_writes_total{outcome="created",vendor="slack"} 1.0' in text

    assert wait_for(written, 30), httpx.get(fleet.ingest_url + "/metrics").text
    text = httpx.get(fleet.ingest_url + "/metrics", timeout=10).text
    names = {name for expr in queries() for name in METRIC.findall(expr)}
    assert len(names) >= 15
    assert names - exposed(text) == set()
    # the series the worker records reached ingest's /metrics with values, not just declarations
    samples = {s.name for family in text_string_to_metric_families(text) for s in family.samples}
    assert {
        "alertfleet_investigations_finished_total",
        "alertfleet_investigation_duration_seconds_bucket",
        "alertfleet_llm_tokens_total",
        "alertfleet_writes_total",
    } <= samples
