"""Unrecoverable errors land in the dead letters with the vendor's reason; replay works after the fix."""

from __future__ import annotations

import subprocess
import sys

import httpx
import redis

from tests.faults.conftest import FleetFactory
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.slack import SlackStub
from workers.dlq import DeadLetters


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alertfleet.cli", "dlq", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_channel_not_found_is_dead_lettered_then_replayed(
    fleet_factory: FleetFactory, redis_url: str, redis_client: redis.Redis, slack_stub: SlackStub
) -> None:
    fleet_factory.configure(redis_url, slack_stub, None, SLACK_CHANNEL="#missing")
    fleet_factory.ingest()
    fleet_factory.worker("w1")
    assert fleet_factory.post(webhook("DiskFull")).status_code == 202

    letters = DeadLetters(redis_client)
    assert wait_for(lambda: letters.count() == 1, 30), fleet_factory.logs()
    letter = letters.list()[0]
    assert letter.reason == "slack: channel_not_found"
    assert letter.task == "alertfleet.write"
    assert slack_stub.post_count() == 0
    listed = _cli(fleet_factory.env, "list")
    assert listed.returncode == 0
    assert letter.id in listed.stdout
    assert "channel_not_found" in listed.stdout
    metrics = httpx.get(f"{fleet_factory.ingest_url}/metrics", timeout=5).text
    assert "alertfleet_dead_letters 1.0" in metrics

    slack_stub.add_channel("#missing")  # the fix: the channel now exists
    replayed = _cli(fleet_factory.env, "replay", "--all")
    assert replayed.returncode == 0, replayed.stderr
    assert wait_for(lambda: slack_stub.post_count() == 1, 30), fleet_factory.logs()
    assert slack_stub.messages_in("#missing")[0]["text"].startswith(":mag:")
    assert letters.count() == 0


def test_unknown_dead_letter_id_is_a_clear_error(fleet_factory: FleetFactory, redis_url: str, slack_stub: SlackStub) -> None:
    fleet_factory.configure(redis_url, slack_stub, None)
    for args in (("replay", "nope"), ("drop", "nope")):
        done = _cli(fleet_factory.env, *args)
        assert done.returncode == 1
        assert "no dead letter 'nope'" in done.stderr
        assert "Traceback" not in done.stderr
