"""Routing end to end: real webhook, real worker, two Slack channels, a skipped alertname, live reloads."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import INGEST_TOKEN, SLACK_TOKEN, fleet_env, running_fleet
from tests.harness.alerts import webhook
from tests.harness.processes import AlertfleetProcess, wait_for
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}
CONFIG = """
models:
  stub: openai/stub-model
destinations:
  team-a: {{type: slack, channel: "#team-a", token_env: TEAM_A_SLACK_TOKEN}}
  oncall: {{type: slack, channel: "{oncall}"}}
route:
  investigate: llm
  model: stub
  destinations: [oncall]
  routes:
    - name: silenced
      matchers: ['alertname=~"Watchdog|InfoInhibitor"']
      investigate: skip
    - name: team-a
      matchers: ['team="a"']
      investigate: enrich
      destinations: [team-a]
"""


@dataclass
class RoutedFleet:
    url: str
    config: Path
    ingest: AlertfleetProcess
    worker: AlertfleetProcess

    def logs(self) -> str:
        return self.ingest.output() + self.worker.output()

    def post(self, name: str, **labels: str) -> str:
        body = webhook(name)
        body["commonLabels"].update(labels)
        for alert in body["alerts"]:
            alert["labels"].update(labels)
        response = httpx.post(f"{self.url}/api/webhooks/alertmanager", json=body, headers=AUTH, timeout=10)
        assert response.status_code == 202, response.text
        investigation_id: str = response.json()["investigation_ids"][0]
        return investigation_id

    def view(self, investigation_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/api/v1/investigations/{investigation_id}", headers=AUTH, timeout=5)
        assert response.status_code == 200
        data: dict[str, Any] = response.json()
        return data


@pytest.fixture
def slack() -> Iterator[SlackStub]:
    with SlackStub(token=SLACK_TOKEN, channels=("#alerts", "#oncall", "#team-a", "#team-b")) as stub:
        yield stub


@pytest.fixture
def routed(redis_url: str, slack: SlackStub, model_stub: ModelStub, tmp_path: Path) -> Iterator[RoutedFleet]:
    config = tmp_path / "alertfleet.yaml"
    config.write_text(CONFIG.format(oncall="#oncall"))
    env = fleet_env(
        redis_url,
        slack,
        model_stub,
        ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN,
        ALERTFLEET_CONFIG=str(config),
        TEAM_A_SLACK_TOKEN=SLACK_TOKEN,
    )
    with running_fleet(env, tmp_path) as running:
        yield RoutedFleet(running.ingest_url, config, running.ingest, running.worker)


def _texts(slack: SlackStub, channel: str) -> list[str]:
    return [message["text"] for message in slack.messages_in(channel)]


def test_routes_pick_the_channel_and_watchdog_is_never_investigated(routed: RoutedFleet, slack: SlackStub) -> None:
    payments = routed.post("PaymentsDown", team="a")
    disk = routed.post("DiskFull")
    watchdog = routed.post("Watchdog")

    assert wait_for(lambda: routed.view(watchdog)["status"] == "completed", 30), routed.logs()
    assert wait_for(lambda: slack.post_count() == 2, 30), routed.logs()
    assert len(_texts(slack, "#team-a")) == 1 and "*Alert:* PaymentsDown" in _texts(slack, "#team-a")[0]
    assert len(_texts(slack, "#oncall")) == 1 and "*Alert:* DiskFull" in _texts(slack, "#oncall")[0]
    assert _texts(slack, "#alerts") == [], "with a config file, SLACK_CHANNEL is not a destination"

    team_view, disk_view, watchdog_view = (routed.view(i) for i in (payments, disk, watchdog))
    assert (team_view["route"]["routes"], team_view["result"]["mode"]) == (["team-a"], "enrich")
    assert (disk_view["route"]["routes"], disk_view["result"]["mode"]) == (["route"], "llm")
    assert disk_view["result"]["model"] == "openai/stub-model"
    assert watchdog_view["result"] is None
    assert watchdog_view["route"]["skipped"] == "skipped by route silenced"
    assert "Watchdog" not in "".join(_texts(slack, "#oncall") + _texts(slack, "#team-a"))

    metrics = httpx.get(f"{routed.url}/metrics", timeout=5).text.splitlines()
    assert 'alertfleet_investigations_total{investigate="skip",route="silenced"} 1.0' in metrics
    assert 'alertfleet_investigations_total{investigate="enrich",route="team-a"} 1.0' in metrics
    assert 'alertfleet_investigations_total{investigate="llm",route="route"} 1.0' in metrics
    assert slack.violations == []


def test_reload_moves_the_next_alert_and_a_broken_file_keeps_the_old_route(
    routed: RoutedFleet, slack: SlackStub
) -> None:
    routed.post("First")
    assert wait_for(lambda: len(_texts(slack, "#oncall")) == 1, 30), routed.logs()

    routed.config.write_text(CONFIG.format(oncall="#team-b"))
    assert wait_for(lambda: "config_reloaded" in routed.worker.output(), 15), routed.logs()
    routed.post("Second")
    assert wait_for(lambda: len(_texts(slack, "#team-b")) == 1, 30), routed.logs()
    assert "*Alert:* Second" in _texts(slack, "#team-b")[0]

    routed.config.write_text(CONFIG.format(oncall="#team-b") + "      routes: [{destinations: [pagerduty-eu]}]\n")
    assert wait_for(lambda: "config_rejected" in routed.worker.output(), 15), routed.logs()
    assert "unknown destination 'pagerduty-eu'" in routed.worker.output()
    routed.post("Third")
    assert wait_for(lambda: len(_texts(slack, "#team-b")) == 2, 30), routed.logs()
    assert "*Alert:* Third" in _texts(slack, "#team-b")[1]
    assert len(_texts(slack, "#oncall")) == 1
    assert "config_rejected" in routed.ingest.output(), "ingest refuses the same file on its own"


def test_sighup_reloads_in_place_without_restarting(routed: RoutedFleet, slack: SlackStub) -> None:
    for process in (routed.ingest, routed.worker):
        assert process.process is not None
        os.kill(process.process.pid, signal.SIGHUP)
    assert wait_for(lambda: routed.logs().count("config_unchanged") == 2, 15), routed.logs()
    assert routed.ingest.process is not None and routed.ingest.process.poll() is None
    assert routed.worker.process is not None and routed.worker.process.poll() is None
    assert "Restarting celery worker" not in routed.worker.output()
    routed.post("AfterHangup")
    assert wait_for(lambda: len(_texts(slack, "#oncall")) == 1, 30), routed.logs()
