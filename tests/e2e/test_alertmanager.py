"""The real Alertmanager binary in front of the fleet: grouping, re-sends, resolution, and the CLI pull."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import INGEST_TOKEN, SLACK_TOKEN, Fleet
from tests.harness.alertmanager import Alertmanager
from tests.harness.processes import base_env, wait_for
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub


@pytest.fixture
def alertmanager(fleet: Fleet, tmp_path: Path) -> Iterator[Alertmanager]:
    am = Alertmanager(f"{fleet.ingest_url}/api/webhooks/alertmanager", INGEST_TOKEN, tmp_path).start()
    yield am
    am.stop()


def _metric(fleet: Fleet, name: str) -> float:
    text = httpx.get(f"{fleet.ingest_url}/metrics", timeout=5).text
    return sum(float(m) for m in re.findall(rf'^{name}{{[^}}]*source="alertmanager"[^}}]*}} (\S+)$', text, re.M))


def test_alertmanager_group_becomes_one_message_and_resolution_updates_it(
    fleet: Fleet, alertmanager: Alertmanager, slack_stub: SlackStub
) -> None:
    alertmanager.post_alerts("KubePodCrashLooping", ["pod-a", "pod-b"])
    assert wait_for(lambda: slack_stub.post_count() == 1, 45), fleet.logs()
    message = slack_stub.messages_in("#alerts")[0]
    assert "*Alert:* KubePodCrashLooping" in message["text"]

    # repeat_interval is 3s: Alertmanager re-sends the same notification, which must change nothing.
    assert wait_for(lambda: _metric(fleet, "alertfleet_notifications_deduplicated_total") >= 1, 30), fleet.logs()
    assert slack_stub.post_count() == 1
    assert slack_stub.update_count() == 0

    alertmanager.post_alerts("KubePodCrashLooping", ["pod-a", "pod-b"], resolved=True)
    assert wait_for(lambda: slack_stub.update_count() >= 1, 45), fleet.logs()
    assert wait_for(lambda: "Resolved" in slack_stub.messages_in("#alerts")[0]["text"], 10)
    assert slack_stub.post_count() == 1
    assert len(slack_stub.messages_in("#alerts")) == 1
    assert slack_stub.violations == []


def test_cli_investigate_alertmanager_pulls_firing_alerts(
    fleet: Fleet, alertmanager: Alertmanager, slack_stub: SlackStub, model_stub: ModelStub
) -> None:
    alertmanager.post_alerts("DiskFull", ["node-1"])
    alertmanager.post_alerts("Watchdog", ["node-1"])
    env = base_env(
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_API_URL=slack_stub.api_url,
        MODEL="openai/stub-model",
        OPENAI_API_BASE=model_stub.api_base,
        OPENAI_API_KEY="sk-test",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "alertfleet.cli",
            "investigate",
            "alertmanager",
            "--alertmanager-url",
            alertmanager.url,
            "--alertname",
            "Disk.*",
            "--destination",
            "slack",
            "--slack-channel",
            "#oncall",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "# Key Findings" in done.stdout
    posted = slack_stub.messages_in("#oncall")
    assert len(posted) == 1
    assert "*Alert:* DiskFull" in posted[0]["text"]
    assert "Watchdog" not in done.stdout
