"""A vendor is one folder and one line: the throwaway TicketDesk integration (ticketdesk/, built only
from alertfleet.integration) is loaded by ingest and worker through ALERTFLEET_INTEGRATIONS alone.

Real processes: redis-server, `alertfleet ingest` (which runs TicketDesk's poller) and a worker
(which runs its writer), against a real HTTP TicketDesk stub.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from alertfleet import registry
from tests.conftest import INGEST_TOKEN, fleet_env, running_fleet
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.integration_shape.ticketdesk_stub import TicketDeskStub
from tests.stubs.slack import SlackStub

# The one line that registers the vendor (for every process that reads the environment).
REGISTRATION = {"ALERTFLEET_INTEGRATIONS": "tests.integration_shape.ticketdesk:integration"}
AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}
ROUTES = """
destinations:
  desk: {type: ticketdesk, queue: triage}
route:
  destinations: [desk]
"""
REPO = Path(__file__).resolve().parents[2]


def _env(redis_url: str, slack: SlackStub, desk: TicketDeskStub, config: Path, **extra: str) -> dict[str, str]:
    config.write_text(ROUTES)
    return fleet_env(
        redis_url,
        slack,
        None,
        ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN,
        ALERTFLEET_CONFIG=str(config),
        TICKETDESK_URL=desk.base_url,
        PYTHONPATH=str(REPO),
        **REGISTRATION,
        **extra,
    )


@pytest.fixture
def desk() -> Iterator[TicketDeskStub]:
    with TicketDeskStub() as stub:
        yield stub


def test_the_vendor_is_not_in_the_repository_registry() -> None:
    assert "ticketdesk" not in registry.INTEGRATIONS, "it must arrive through its one line only"


def test_alert_and_polled_ticket_are_both_written_to_the_new_vendor(
    redis_url: str, slack_stub: SlackStub, desk: TicketDeskStub, tmp_path: Path
) -> None:
    desk.add_ticket("T-17", "Checkout latency over SLO")
    env = _env(redis_url, slack_stub, desk, tmp_path / "alertfleet.yaml")
    with running_fleet(env, tmp_path) as fleet:
        response = httpx.post(
            fleet.ingest_url + "/api/webhooks/alertmanager", json=webhook("DiskFull"), headers=AUTH, timeout=10
        )
        assert response.status_code == 202, response.text
        both = wait_for(lambda: len(desk.comments) >= 2, 60, 0.1)
        assert both, f"comments: {desk.comments}\n{fleet.logs()[-4000:]}"
    assert {comment["queue"] for comment in desk.comments} == {"triage"}
    texts = sorted(comment["text"].splitlines()[0] for comment in desk.comments)
    assert texts == ["Checkout latency over SLO", "DiskFull"]
    assert len({comment["investigation_id"] for comment in desk.comments}) == 2
    assert slack_stub.requests == [], "the route sends nothing to the environment's Slack channel"
    assert desk.violations == []


def test_poller_and_writer_in_two_processes_share_the_vendor_limit(
    redis_url: str, slack_stub: SlackStub, tmp_path: Path
) -> None:
    """Ingest polls (one request per ticket) while the worker writes (one per investigation); the
    stub counts any request over its quota, and the fleet's one limiter keeps both under it.

    The limiter allows 6 requests in 4 s; the stub refuses a 7th within 2 s of the first of six: the
    2 s between them absorb how late a permitted request may reach the stub on a busy machine,
    while a poller and a writer budgeting apart would burst twelve at once."""
    with TicketDeskStub(limit=6, per_seconds=4.0, tolerance=2.0) as desk:
        for number in range(6):
            desk.add_ticket(f"T-{number}", f"Ticket {number}")
        config = tmp_path / "alertfleet.yaml"
        limits = {"ALERTFLEET_RATE_LIMITS": "ticketdesk=6 per 4 seconds", "TICKETDESK_POLL_INTERVAL": "2"}
        env = _env(redis_url, slack_stub, desk, config, **limits)
        with running_fleet(env, tmp_path) as fleet:
            for name in ("A", "B", "C", "D"):
                body = webhook(f"Alert{name}")
                url = fleet.ingest_url + "/api/webhooks/alertmanager"
                assert httpx.post(url, json=body, headers=AUTH, timeout=10).status_code == 202
            done = wait_for(lambda: len(desk.comments) >= 10, 180, 0.2)
            assert done, f"{len(desk.comments)} comments\n{fleet.logs()[-4000:]}"
        polls = [r for r in desk.requests if r.method == "GET"]
        writes = [r for r in desk.requests if r.method == "POST"]
        assert len(polls) >= 6 and len(writes) >= 10, "both the poller and the writer used the vendor"
        assert len(desk.requests) > 2 * desk.limit, "more traffic than two windows: the limiter had to act"
        assert desk.violations == []
