"""A storm through the real webhook while a worker is kill -9ed again and again: nothing lost, nothing twice."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import redis

from alertfleet.state import InvestigationStore
from tests.faults.conftest import FleetFactory
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

GROUPS = 50
ALERTS_PER_GROUP = 10
KILLS = 5
RECOVERY_SECONDS = 60


def _investigations(client: redis.Redis) -> list[str]:
    return sorted(key.decode().rsplit(":", 1)[1] for key in client.scan_iter("af:inv:*"))


def _running_on(store: InvestigationStore, client: redis.Redis, worker: str) -> list[str]:
    held = []
    for investigation_id in _investigations(client):
        raw = client.hget(f"af:inv:{investigation_id}", "worker")
        investigation = store.load(investigation_id)
        if investigation and investigation.status == "running" and raw and raw.decode().startswith(worker):
            held.append(investigation_id)
    return held


@pytest.mark.slow
def test_storm_with_repeated_worker_kills_loses_and_duplicates_nothing(
    fleet_factory: FleetFactory, redis_url: str, redis_client: redis.Redis, slack_stub: SlackStub
) -> None:
    with ModelStub(api_key="sk-test", delay_seconds=0.4) as slow_model:
        fleet_factory.configure(redis_url, slack_stub, slow_model, ALERTFLEET_RATE_LIMITS="slack=100/second")
        fleet_factory.ingest()
        fleet_factory.worker("steady")
        victim = fleet_factory.worker("victim")
        store = InvestigationStore(redis_client)

        # Alertmanager-like: each group's notification grows by one alert at a time (500 alerts, 50 groups).
        bodies = [webhook(f"Storm{g}", instances=n) for n in range(1, ALERTS_PER_GROUP + 1) for g in range(GROUPS)]
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda body: fleet_factory.post(body).status_code, bodies))
        assert statuses.count(202) == len(bodies)

        kills: list[tuple[float, list[str]]] = []
        rng = random.Random(7)
        for _ in range(KILLS):
            assert wait_for(lambda: bool(_running_on(store, redis_client, "victim")), 30), fleet_factory.logs()
            held = _running_on(store, redis_client, "victim")
            victim.kill()
            kills.append((time.time(), held))
            time.sleep(rng.uniform(0.2, 1.0))
            victim = fleet_factory.worker("victim")

        def all_done() -> bool:
            investigations = [store.load(i) for i in _investigations(redis_client)]
            return len(investigations) == GROUPS and all(i and i.status == "completed" for i in investigations)

        assert wait_for(all_done, 180, 0.5), fleet_factory.logs()
        assert wait_for(lambda: slack_stub.post_count() >= GROUPS, 60), fleet_factory.logs()
        time.sleep(2)  # let late duplicates (if any) arrive before counting

    titles = sorted(m["text"].split("*Alert:* ")[1].split("\n")[0] for m in slack_stub.messages_in("#alerts"))
    assert titles == sorted(f"Storm{g}" for g in range(GROUPS)), "exactly one message per group"
    assert slack_stub.post_count() == GROUPS
    assert sum(len(held) for _, held in kills) >= KILLS, "the kills did hit in-flight investigations"
    recoveries = []
    for killed_at, held in kills:
        for investigation_id in held:
            investigation = store.load(investigation_id)
            assert investigation is not None
            finished = datetime.fromisoformat(str(investigation.updated_at)).timestamp()
            assert investigation.status == "completed"
            recoveries.append(finished - killed_at)
    print(f"in flight at kills: {len(recoveries)}; recovered after (s): {sorted(round(r, 1) for r in recoveries)}")
    assert max(recoveries) < RECOVERY_SECONDS
    assert slack_stub.violations == []
