"""The PagerDuty poller against a real Redis and the spec-checking stub."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
import redis
import redis.asyncio as aioredis

from alertfleet.keys import problem_key
from alertfleet.models import AlertmanagerWebhook
from alertfleet.settings import Settings
from ingest.intake import Intake
from ingest.outbox import Outbox
from ingest.pagerduty_poller import OVERLAP, PagerDutyPoller
from ingest.pollers import PollCursor, PollerRunner
from ingest.sources import build_pollers
from integrations.pagerduty.client import PagerDutyApi, PagerDutyError
from tests.conftest import PAGERDUTY_FROM, PAGERDUTY_KEY
from tests.harness.alerts import webhook
from tests.harness.stream import stream_entries
from tests.stubs.pagerduty import PagerDutyStub

T = TypeVar("T")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _run(redis_url: str, body: Callable[[aioredis.Redis, Intake], Awaitable[T]]) -> T:
    async def main() -> T:
        client = aioredis.Redis.from_url(redis_url)
        try:
            return await body(client, Intake(Outbox(client, dedup_ttl=3600, problem_window=3600)))
        finally:
            await client.aclose()

    return asyncio.run(main())


def _poller(stub: PagerDutyStub, now: datetime = NOW, page_size: int = 100, **options: Any) -> PagerDutyPoller:
    api = PagerDutyApi(PAGERDUTY_KEY, stub.base_url, PAGERDUTY_FROM, page_size=page_size)
    return PagerDutyPoller(api, interval=1, lookback=24 * 3600, now=lambda: now, **options)


def _poll(redis_url: str, poller: PagerDutyPoller) -> int:
    return _run(redis_url, lambda client, intake: poller.poll_once(intake, PollCursor(client, poller.name)))


def _stream(redis_client: redis.Redis) -> list[dict[str, Any]]:
    return list(stream_entries(redis_client))


def _incident_ids(redis_client: redis.Redis) -> list[str]:
    return [json.loads(entry["event"])["source_ref"] for entry in _stream(redis_client)]


def test_first_start_takes_incidents_still_open_within_the_lookback(
    pagerduty_stub: PagerDutyStub, redis_url: str, redis_client: redis.Redis
) -> None:
    pagerduty_stub.add_incident("open", created_at=NOW - timedelta(hours=2))
    pagerduty_stub.add_incident("acknowledged", status="acknowledged", created_at=NOW - timedelta(hours=23))
    pagerduty_stub.add_incident("resolved", status="resolved", created_at=NOW - timedelta(hours=1))
    pagerduty_stub.add_incident("too old", created_at=NOW - timedelta(hours=25))

    assert _poll(redis_url, _poller(pagerduty_stub)) == 2

    assert _incident_ids(redis_client) == ["PINC001", "PINC002"]
    [listing] = pagerduty_stub.requests_to("/incidents")
    assert listing.query_lists["statuses[]"] == ["triggered", "acknowledged"]
    assert (listing.query["since"], listing.query["until"]) == ("2026-11-28T12:00:00Z", "2026-11-29T12:00:00Z")
    event = json.loads(_stream(redis_client)[0]["event"])
    assert event["source"] == "pagerduty"
    assert [(t["type"], t["target"]) for t in event["writeback"]] == [("pagerduty", "PINC001")]
    assert pagerduty_stub.violations == []


def test_pages_through_every_incident(pagerduty_stub: PagerDutyStub, redis_url: str, redis_client: redis.Redis) -> None:
    for n in range(7):
        pagerduty_stub.add_incident(f"incident {n}", created_at=NOW - timedelta(minutes=30 - n))
    assert _poll(redis_url, _poller(pagerduty_stub, page_size=3)) == 7
    assert [r.query["offset"] for r in pagerduty_stub.requests_to("/incidents")] == ["0", "3", "6"]
    assert len(set(_incident_ids(redis_client))) == 7


def test_restart_resumes_from_the_cursor_and_never_investigates_twice(
    pagerduty_stub: PagerDutyStub, redis_url: str, redis_client: redis.Redis
) -> None:
    pagerduty_stub.add_incident("before", created_at=NOW - timedelta(minutes=10))
    assert _poll(redis_url, _poller(pagerduty_stub)) == 1
    assert redis_client.get("af:cursor:pagerduty") == NOW.isoformat().encode()
    # A new incident, then a new process (new poller, new client) one minute later.
    later = NOW + timedelta(minutes=1)
    pagerduty_stub.add_incident("after", created_at=NOW + timedelta(seconds=30))
    pagerduty_stub.add_incident("late-listed", created_at=NOW - timedelta(minutes=2))

    assert _poll(redis_url, _poller(pagerduty_stub, now=later)) == 2

    second = pagerduty_stub.requests_to("/incidents")[-1]
    assert second.query["since"] == (NOW - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _incident_ids(redis_client) == ["PINC001", "PINC002", "PINC003"]
    assert _poll(redis_url, _poller(pagerduty_stub, now=later + timedelta(minutes=1))) == 0
    assert len(_stream(redis_client)) == 3


def test_failed_poll_keeps_the_cursor(pagerduty_stub: PagerDutyStub, redis_url: str, redis_client: redis.Redis) -> None:
    pagerduty_stub.fail_next(1, 503, path="/incidents")
    with pytest.raises(PagerDutyError) as caught:
        _poll(redis_url, _poller(pagerduty_stub))
    assert caught.value.status == 503
    assert redis_client.get("af:cursor:pagerduty") is None


def test_two_pollers_one_polls(pagerduty_stub: PagerDutyStub, redis_url: str) -> None:
    pagerduty_stub.add_incident("open", created_at=NOW - timedelta(minutes=5))

    async def both(client: aioredis.Redis, intake: Intake) -> list[int | None]:
        other = aioredis.Redis.from_url(redis_url)
        try:
            runners = [PollerRunner(client, intake, []), PollerRunner(other, intake, [])]
            return list(await asyncio.gather(*(r.run_once(_poller(pagerduty_stub)) for r in runners)))
        finally:
            await other.aclose()

    results = _run(redis_url, both)
    assert sorted(results, key=lambda r: r is None) == [1, None]
    assert len(pagerduty_stub.requests_to("/incidents")) == 1


def test_service_and_urgency_filters_are_sent_to_pagerduty(
    pagerduty_stub: PagerDutyStub, redis_url: str, redis_client: redis.Redis
) -> None:
    when = NOW - timedelta(minutes=5)
    pagerduty_stub.add_incident("mine, high", service_id="PSVCA", created_at=when)
    pagerduty_stub.add_incident("mine, low", service_id="PSVCA", urgency="low", created_at=when)
    pagerduty_stub.add_incident("theirs", service_id="PSVCB", created_at=when)

    assert _poll(redis_url, _poller(pagerduty_stub, service_ids=["PSVCA"], urgencies=["high"])) == 1

    [listing] = pagerduty_stub.requests_to("/incidents")
    assert (listing.query_lists["service_ids[]"], listing.query_lists["urgencies[]"]) == (["PSVCA"], ["high"])
    assert _incident_ids(redis_client) == ["PINC001"]


def test_incident_from_an_investigated_alertmanager_group_attaches_to_it(
    pagerduty_stub: PagerDutyStub, redis_url: str, redis_client: redis.Redis
) -> None:
    body = AlertmanagerWebhook.model_validate(webhook("KubePodCrashLooping"))
    am_key = hashlib.sha256(body.groupKey.encode()).hexdigest()
    when = NOW - timedelta(minutes=1)
    pagerduty_stub.add_incident("[FIRING:1] KubePodCrashLooping", incident_key=am_key, created_at=when)
    pagerduty_stub.add_incident("grouped alerts", incident_key=None, alert_key=am_key, created_at=when)

    async def am_then_poll(client: aioredis.Redis, intake: Intake) -> tuple[str, int]:
        stored = await intake.alertmanager(body)
        return stored.investigation_id, await _poller(pagerduty_stub).poll_once(intake, PollCursor(client, "pagerduty"))

    investigation_id, stored = _run(redis_url, am_then_poll)

    assert stored == 2
    entries = _stream(redis_client)
    assert [(e["inv"], e["action"]) for e in entries] == [(investigation_id, "investigate")] + [
        (investigation_id, "attach")
    ] * 2
    assert redis_client.get(f"af:problem:{problem_key(body.groupKey)}") == investigation_id.encode()
    assert len(pagerduty_stub.requests_to("/incidents/PINC002/alerts")) == 1, "alert key read only when needed"
    assert pagerduty_stub.requests_to("/incidents/PINC001/alerts") == []


def test_poller_is_built_only_when_the_api_key_is_set() -> None:
    assert [p.name for p in build_pollers(Settings())] == []
    settings = Settings(PAGERDUTY_API_KEY="k", PAGERDUTY_MODE="read-only", PAGERDUTY_POLL_INTERVAL="30")  # type: ignore[call-arg]
    [poller] = build_pollers(settings)
    assert (poller.name, poller.interval) == ("pagerduty", 30)
