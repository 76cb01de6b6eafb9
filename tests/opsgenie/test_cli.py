"""`alertfleet investigate opsgenie [--priority] [--update]` and `--destination webhook`, as subprocesses."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import OPSGENIE_KEY
from tests.harness.processes import base_env
from tests.stubs.opsgenie import OpsGenieStub
from tests.stubs.webhook import WebhookStub


def _run(stub: OpsGenieStub, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alertfleet.cli", "investigate", "opsgenie", *args],
        env=base_env(OPSGENIE_API_URL=stub.base_url, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_update_investigates_the_chosen_priorities_and_notes_each_alert(opsgenie_stub: OpsGenieStub) -> None:
    p1 = opsgenie_stub.add_alert("Payment API down", priority="P1", description="5xx on /pay")
    p3 = opsgenie_stub.add_alert("Disk 80%", priority="P3")
    done = _run(opsgenie_stub, "--opsgenie-api-key", OPSGENIE_KEY, "--priority", "P1,P2", "--update")
    assert done.returncode == 0, done.stderr
    assert "## Payment API down" in done.stdout and "Disk 80%" not in done.stdout
    assert "5xx on /pay" in done.stdout, "the alert's description reached the investigation"
    [note] = opsgenie_stub.notes(p1)
    assert note["note"].startswith("alertfleet investigation") and opsgenie_stub.notes(p3) == []
    assert f"noted on OpsGenie alert {p1}" in done.stderr
    assert OPSGENIE_KEY not in done.stdout + done.stderr
    assert opsgenie_stub.violations == []


def test_without_update_nothing_is_written(opsgenie_stub: OpsGenieStub) -> None:
    opsgenie_stub.add_alert("Payment API down", priority="P1")
    done = _run(opsgenie_stub, OPSGENIE_API_KEY=OPSGENIE_KEY)
    assert done.returncode == 0, done.stderr
    assert "## Payment API down" in done.stdout
    assert {r.method for r in opsgenie_stub.requests} == {"GET"}


def test_destination_webhook_posts_each_investigation(opsgenie_stub: OpsGenieStub, webhook_stub: WebhookStub) -> None:
    opsgenie_stub.add_alert("Payment API down", priority="P1")
    args = ("--destination", "webhook", "--webhook-url", webhook_stub.url)
    done = _run(opsgenie_stub, *args, OPSGENIE_API_KEY=OPSGENIE_KEY)
    assert done.returncode == 0, done.stderr
    [delivery] = webhook_stub.deliveries
    assert delivery.json["source"] == "alertfleet" and delivery.json["data"]["query"] == "Payment API down"


def test_bad_input_exits_2_with_one_line(opsgenie_stub: OpsGenieStub) -> None:
    opsgenie_stub.add_alert("Payment API down", priority="P1")
    no_key = _run(opsgenie_stub)
    assert no_key.returncode == 2 and "OPSGENIE_API_KEY" in no_key.stderr
    bad = _run(opsgenie_stub, "--priority", "urgent", OPSGENIE_API_KEY=OPSGENIE_KEY)
    assert bad.returncode == 2 and "--priority takes P1..P5" in bad.stderr
    no_url = _run(opsgenie_stub, "--destination", "webhook", OPSGENIE_API_KEY=OPSGENIE_KEY)
    assert no_url.returncode == 2 and "--webhook-url" in no_url.stderr


def test_wrong_key_is_reported_not_a_traceback(opsgenie_stub: OpsGenieStub) -> None:
    done = _run(opsgenie_stub, OPSGENIE_API_KEY="wrong-key")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot list OpsGenie alerts: opsgenie 401" in done.stderr
