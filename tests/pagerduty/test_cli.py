"""`alertfleet investigate pagerduty [--incident-id ID] [--update]`, as HolmesGPT's, against the stub."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PAGERDUTY_FROM, PAGERDUTY_KEY
from tests.harness.processes import base_env
from tests.stubs.pagerduty import PagerDutyStub


def _cli(stub: PagerDutyStub, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = base_env(PAGERDUTY_API_URL=stub.base_url, PAGERDUTY_USER_EMAIL=PAGERDUTY_FROM, **env)
    return subprocess.run(
        [sys.executable, "-m", "alertfleet.cli", "investigate", "pagerduty", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_open_incidents_are_investigated_and_printed_without_writing(pagerduty_stub: PagerDutyStub) -> None:
    pagerduty_stub.add_incident("Disk almost full")
    pagerduty_stub.add_incident("Queue backlog", status="acknowledged")
    pagerduty_stub.add_incident("Old news", status="resolved")

    done = _cli(pagerduty_stub, "--pagerduty-api-key", PAGERDUTY_KEY)

    assert done.returncode == 0, done.stderr
    assert "## Disk almost full" in done.stdout and "## Queue backlog" in done.stdout
    assert "Old news" not in done.stdout
    [listing] = pagerduty_stub.requests_to("/incidents")
    assert (listing.query["date_range"], listing.query_lists["statuses[]"]) == ("all", ["triggered", "acknowledged"])
    assert pagerduty_stub.note_count() == 0
    assert pagerduty_stub.violations == []


def test_update_writes_a_note_to_the_given_incident(pagerduty_stub: PagerDutyStub) -> None:
    pagerduty_stub.add_incident("Disk almost full")
    pagerduty_stub.add_incident("Not this one")

    done = _cli(pagerduty_stub, "--incident-id", "PINC001", "--update", PAGERDUTY_API_KEY=PAGERDUTY_KEY)

    assert done.returncode == 0, done.stderr
    [note] = pagerduty_stub.notes_for("PINC001")
    assert note["content"].startswith("alertfleet investigation: Disk almost full")
    assert f"noted on PagerDuty incident PINC001 (note {note['id']})" in done.stderr
    assert pagerduty_stub.notes_for("PINC002") == []
    assert pagerduty_stub.violations == []


def test_write_failure_is_one_readable_line(pagerduty_stub: PagerDutyStub) -> None:
    pagerduty_stub.add_incident("Disk almost full")
    pagerduty_stub.fail_next(1, 403, path="/incidents/PINC001/notes")
    done = _cli(pagerduty_stub, "--incident-id", "PINC001", "--update", PAGERDUTY_API_KEY=PAGERDUTY_KEY)
    assert done.returncode == 1
    assert "alertfleet: pagerduty write failed: HTTP 403" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_key_or_from_address_is_refused(pagerduty_stub: PagerDutyStub) -> None:
    no_key = _cli(pagerduty_stub)
    no_from = subprocess.run(
        [sys.executable, "-m", "alertfleet.cli", "investigate", "pagerduty", "--update"],
        env=base_env(
            PAGERDUTY_API_KEY=PAGERDUTY_KEY, PAGERDUTY_MODE="read-only", PAGERDUTY_API_URL=pagerduty_stub.base_url
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (no_key.returncode, no_from.returncode) == (2, 2)
    assert "PAGERDUTY_API_KEY" in no_key.stderr
    assert "PAGERDUTY_USER_EMAIL" in no_from.stderr
    assert pagerduty_stub.requests == []
