"""The OpsGenie poller against the stub and a real Redis: lookback, cursor, filters, once per alert, links."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import redis
import redis.asyncio as aioredis

from alertfleet.keys import problem_key
from alertfleet.models import AlertmanagerWebhook
from alertfleet.settings import Settings
from ingest.intake import Intake
from ingest.opsgenie_poller import OpsGeniePoller
from ingest.outbox import Outbox
from ingest.pollers import PollCursor, PollerRunner
from ingest.sources import build_pollers
from integrations.base import RateLimited
from integrations.opsgenie.client import OpsGenieClient
from tests.conftest import OPSGENIE_KEY
from tests.harness.alerts import webhook
from tests.harness.stream import stream_entries
from tests.stubs.opsgenie import OpsGenieStub

T = TypeVar("T")
NOW = datetime.now(UTC)


def _settings(**env: str) -> Settings:
    """Settings from these variables only (the test process's environment is not read)."""
    return Settings.model_validate(env)


def _poller(
    stub: OpsGenieStub, priorities: Sequence[str] = (), tags: Sequence[str] = (), teams: Sequence[str] = ()
) -> OpsGeniePoller:
    client = OpsGenieClient(OPSGENIE_KEY, stub.base_url)
    return OpsGeniePoller(client, interval=1.0, lookback=3600.0, priorities=priorities, tags=tags, teams=teams)


def _run(redis_url: str, body: Callable[[Intake, aioredis.Redis], Awaitable[T]]) -> T:
    async def main() -> T:
        client = aioredis.Redis.from_url(redis_url)
        try:
            return await body(Intake(Outbox(client, 3600, 3600)), client)
        finally:
            await client.aclose()

    return asyncio.run(main())


def _poll(redis_url: str, poller: OpsGeniePoller, times: int = 1) -> list[int]:
    async def body(intake: Intake, client: aioredis.Redis) -> list[int]:
        return [await poller.poll_once(intake, PollCursor(client, poller.name)) for _ in range(times)]

    return _run(redis_url, body)


def _stream(redis_client: redis.Redis) -> list[dict[str, str]]:
    return stream_entries(redis_client)


def test_first_poll_takes_open_alerts_within_the_lookback_once(
    opsgenie_stub: OpsGenieStub, redis_url: str, redis_client: redis.Redis
) -> None:
    recent = opsgenie_stub.add_alert("recent", priority="P1", description="details here", created_at=NOW)
    opsgenie_stub.add_alert("too old", priority="P1", created_at=NOW - timedelta(hours=2))
    opsgenie_stub.add_alert("closed", priority="P1", status="closed", created_at=NOW)
    poller = _poller(opsgenie_stub)
    assert _poll(redis_url, poller, times=3) == [1, 0, 0]
    [entry] = _stream(redis_client)
    event = json.loads(entry["event"])
    assert entry["action"] == "investigate"
    assert (event["title"], event["description"]) == ("recent", "details here"), "details come from getAlert"
    assert [(w["type"], w["target"]) for w in event["writeback"]] == [("opsgenie", recent)]
    first_query = opsgenie_stub.requests_to("/v2/alerts")[0].query
    assert first_query["query"].startswith("status: open AND createdAt > ")
    assert (first_query["sort"], first_query["order"]) == ("createdAt", "asc")
    gets = [r for r in opsgenie_stub.requests if r.path == f"/v2/alerts/{recent}"]
    assert len(gets) == 1, "a re-listed alert is skipped by the cursor, not fetched again"
    assert opsgenie_stub.violations == []


def test_cursor_advances_and_a_new_alert_is_stored_on_the_next_poll(
    opsgenie_stub: OpsGenieStub, redis_url: str, redis_client: redis.Redis
) -> None:
    opsgenie_stub.add_alert("first", created_at=NOW - timedelta(minutes=2))
    poller = _poller(opsgenie_stub)
    assert _poll(redis_url, poller) == [1]
    cursor = json.loads(redis_client.get("af:cursor:opsgenie") or b"{}")
    second = opsgenie_stub.add_alert("second", created_at=NOW - timedelta(minutes=1))
    assert _poll(redis_url, poller) == [1]
    since = opsgenie_stub.requests_to("/v2/alerts")[-1].query["query"].split("createdAt > ")[1].split(" ")[0]
    assert int(since) == cursor["created_after_ms"] - 1
    assert json.loads(_stream(redis_client)[-1]["event"])["writeback"][0]["target"] == second


def test_priority_tag_and_team_filters(opsgenie_stub: OpsGenieStub, redis_url: str, redis_client: redis.Redis) -> None:
    wanted = opsgenie_stub.add_alert("p1 db sre", priority="P1", tags=["db"], teams=["sre"], created_at=NOW)
    opsgenie_stub.add_alert("p3", priority="P3", tags=["db"], teams=["sre"], created_at=NOW)
    opsgenie_stub.add_alert("p2 web", priority="P2", tags=["web"], teams=["sre"], created_at=NOW)
    opsgenie_stub.add_alert("p2 other team", priority="P2", tags=["db"], teams=["web"], created_at=NOW)
    poller = _poller(opsgenie_stub, priorities=["P1", "P2"], tags=["db"], teams=["sre"])
    assert _poll(redis_url, poller) == [1]
    assert json.loads(_stream(redis_client)[0]["event"])["writeback"][0]["target"] == wanted


def test_alert_with_an_alertmanager_group_alias_joins_that_investigation(
    opsgenie_stub: OpsGenieStub, redis_url: str, redis_client: redis.Redis
) -> None:
    body = webhook("KubePodCrashLooping")
    alert_id = opsgenie_stub.add_alert("KubePodCrashLooping", alias=problem_key(body["groupKey"]), created_at=NOW)

    async def scenario(intake: Intake, client: aioredis.Redis) -> tuple[str, int]:
        stored = await intake.alertmanager(AlertmanagerWebhook.model_validate(body))
        poller = _poller(opsgenie_stub)
        return stored.investigation_id, await poller.poll_once(intake, PollCursor(client, poller.name))

    investigation_id, polled = _run(redis_url, scenario)
    assert polled == 1
    entries = _stream(redis_client)
    assert [(e["action"], e["inv"]) for e in entries] == [
        ("investigate", investigation_id),
        ("attach", investigation_id),
    ]
    writeback = json.loads(entries[1]["event"])["writeback"]
    assert [(w["type"], w["target"]) for w in writeback] == [("opsgenie", alert_id)]


def test_get_alert_failure_falls_back_to_the_listed_fields(
    opsgenie_stub: OpsGenieStub, redis_url: str, redis_client: redis.Redis
) -> None:
    alert_id = opsgenie_stub.add_alert("flaky details", created_at=NOW)
    opsgenie_stub.fail_next(1, 500, path=f"/v2/alerts/{alert_id}")
    assert _poll(redis_url, _poller(opsgenie_stub)) == [1]
    assert json.loads(_stream(redis_client)[0]["event"])["title"] == "flaky details"


def test_list_failure_keeps_the_cursor_so_nothing_is_lost(
    opsgenie_stub: OpsGenieStub, redis_url: str, redis_client: redis.Redis
) -> None:
    opsgenie_stub.add_alert("after outage", created_at=NOW)
    opsgenie_stub.fail_next(1, 503, path="/v2/alerts")
    poller = _poller(opsgenie_stub)

    async def body(intake: Intake, client: aioredis.Redis) -> list[int | None]:
        runner = PollerRunner(client, intake, [poller])
        results: list[int | None] = []
        for _ in range(2):
            try:
                results.append(await runner.run_once(poller))
            except Exception:
                results.append(-1)
            await client.delete("af:lease:poller:opsgenie")  # the next interval's lease
        return results

    assert _run(redis_url, body) == [-1, 1]
    assert len(_stream(redis_client)) == 1


def test_spent_budget_mid_poll_keeps_what_was_stored_and_resumes_after_it(
    opsgenie_stub: OpsGenieStub, redis_url: str, redis_client: redis.Redis
) -> None:
    ids = [opsgenie_stub.add_alert(f"a{i}", created_at=NOW - timedelta(minutes=10 - i)) for i in range(4)]
    allowance = [4]  # list + get, get, get: the third alert's details do not fit

    def throttle() -> float:
        allowance[0] -= 1
        return 0.0 if allowance[0] >= 0 else 30.0

    client = OpsGenieClient(OPSGENIE_KEY, opsgenie_stub.base_url, throttle=throttle)
    poller = OpsGeniePoller(client, interval=1.0, lookback=3600.0)

    async def body(intake: Intake, client: aioredis.Redis) -> list[int | str]:
        results: list[int | str] = []
        for refill in (0, 100):
            allowance[0] += refill
            try:
                results.append(await poller.poll_once(intake, PollCursor(client, poller.name)))
            except RateLimited as err:
                results.append(f"rate-limited {err.retry_after}")
        return results

    assert _run(redis_url, body) == ["rate-limited 30.0", 1]
    stored = [json.loads(e["event"])["writeback"][0]["target"] for e in _stream(redis_client)]
    assert stored == ids, "each alert once, in creation order"
    gets = [r.path.rsplit("/", 1)[-1] for r in opsgenie_stub.requests if r.path.count("/") == 3]
    assert gets == ids, "no alert's details were fetched twice"


def test_runner_lease_makes_two_replicas_poll_once(opsgenie_stub: OpsGenieStub, redis_url: str) -> None:
    opsgenie_stub.add_alert("one", created_at=NOW)

    async def body(intake: Intake, client: aioredis.Redis) -> list[int | None]:
        replicas = [PollerRunner(client, intake, [_poller(opsgenie_stub)]) for _ in range(2)]
        return list(await asyncio.gather(*(r.run_once(r.pollers[0]) for r in replicas)))

    assert sorted(_run(redis_url, body), key=str) == [1, None]
    assert len(opsgenie_stub.requests_to("/v2/alerts")) == 1


def test_build_pollers_adds_opsgenie_only_with_a_key(opsgenie_stub: OpsGenieStub) -> None:
    assert build_pollers(_settings()) == []
    settings = _settings(
        OPSGENIE_API_KEY=OPSGENIE_KEY, OPSGENIE_API_URL=opsgenie_stub.base_url, OPSGENIE_POLL_INTERVAL="2m"
    )
    [poller] = build_pollers(settings)
    assert isinstance(poller, OpsGeniePoller) and poller.interval == 120 and poller.lookback == 86400
