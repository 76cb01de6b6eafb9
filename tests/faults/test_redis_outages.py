"""Redis restarted mid-storm (AOF on) and Redis stopped under the real Alertmanager: nothing acknowledged is lost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import INGEST_TOKEN
from tests.faults.conftest import FleetFactory
from tests.harness.alertmanager import Alertmanager
from tests.harness.alerts import webhook
from tests.harness.processes import RedisServer, wait_for
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

GROUPS = 30


@pytest.fixture
def aof_redis() -> Iterator[RedisServer]:
    server = RedisServer(appendonly=True).start()
    yield server
    server.stop()


def _post_until_accepted(fleet: FleetFactory, body: dict[str, object], deadline: float) -> bool:
    """What Alertmanager does: re-send on 5xx or no answer, with backoff, until accepted."""
    delay = 0.2
    while time.monotonic() < deadline:
        try:
            if fleet.post(body, timeout=5).status_code == 202:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(delay)
        delay = min(delay * 2, 2.0)
    return False


def _restart(server: RedisServer, down_for: float) -> None:
    assert server.process is not None
    server.process.kill()  # no graceful shutdown: only what AOF (appendfsync always) holds survives
    server.process.wait(timeout=10)
    time.sleep(down_for)
    server.start()


@pytest.mark.slow
def test_redis_restart_mid_storm_loses_nothing_acknowledged(
    fleet_factory: FleetFactory, aof_redis: RedisServer, slack_stub: SlackStub, model_stub: ModelStub
) -> None:
    fleet_factory.configure(aof_redis.url, slack_stub, model_stub, ALERTFLEET_RATE_LIMITS="slack=100/second")
    fleet_factory.ingest()
    fleet_factory.worker("w1")
    deadline = time.monotonic() + 90
    bodies = [webhook(f"Outage{g}", instances=2) for g in range(GROUPS)]
    with ThreadPoolExecutor(4) as pool:
        accepted = pool.map(lambda body: _post_until_accepted(fleet_factory, body, deadline), bodies[: GROUPS // 2])
        first_half = list(accepted)
        _restart(aof_redis, down_for=2.0)
        second_half = list(pool.map(lambda body: _post_until_accepted(fleet_factory, body, deadline), bodies[GROUPS // 2 :]))
    assert all(first_half + second_half)

    def delivered() -> bool:
        names = {m["text"].split("*Alert:* ")[1].split("\n")[0] for m in slack_stub.messages_in("#alerts")}
        return names >= {f"Outage{g}" for g in range(GROUPS)}

    assert wait_for(delivered, 120, 0.5), fleet_factory.logs()
    assert slack_stub.post_count() == GROUPS


@pytest.mark.slow
def test_redis_down_gives_503_and_alertmanager_retries_until_processed(
    fleet_factory: FleetFactory, aof_redis: RedisServer, slack_stub: SlackStub, tmp_path: Path
) -> None:
    fleet_factory.configure(aof_redis.url, slack_stub, None)
    fleet_factory.ingest()
    fleet_factory.worker("w1")
    assert aof_redis.process is not None
    aof_redis.process.terminate()
    aof_redis.process.wait(timeout=10)

    response = fleet_factory.post(webhook("WhileDown"))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert httpx.get(f"{fleet_factory.ingest_url}/readyz", timeout=5).status_code == 503

    am = Alertmanager(f"{fleet_factory.ingest_url}/api/webhooks/alertmanager", INGEST_TOKEN, tmp_path, "1h").start()
    try:
        am.post_alerts("DatabaseDown", ["db-1", "db-2"])
        time.sleep(4)  # Alertmanager has tried and been refused with 503 by now
        assert slack_stub.post_count() == 0
        aof_redis.start()
        assert wait_for(lambda: httpx.get(f"{fleet_factory.ingest_url}/readyz", timeout=5).status_code == 200, 20)
        assert wait_for(lambda: slack_stub.post_count() == 1, 90), fleet_factory.logs()
        assert "*Alert:* DatabaseDown" in slack_stub.messages_in("#alerts")[0]["text"]
    finally:
        am.stop()
