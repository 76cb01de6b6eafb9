"""A slow model: many investigations per worker, writes on their own capacity, fleet-wide model limits.

The model stub holds calls behind a gate the test opens, so "while the investigations are still
waiting on the model" is a fact the test makes true, not a race it hopes to win.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import redis

from alertfleet.keys import llm_pause_key
from alertfleet.state import InvestigationStore
from tests.faults.conftest import FleetFactory
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.model import GatedModelStub, ModelStub
from tests.stubs.slack import SlackStub
from workers.dlq import DeadLetters
from workers.leases import LEASES


@pytest.fixture
def gated_model() -> Iterator[GatedModelStub]:
    with GatedModelStub() as stub:
        yield stub
        stub.gate.set()


def _titles(slack: SlackStub, channel: str) -> list[str]:
    return [re.search(r"\*Alert:\* (\S+)", m["text"]).group(1) for m in slack.messages_in(channel)]  # type: ignore[union-attr]


def test_ready_write_is_posted_while_32_investigations_wait_on_the_model(
    fleet_factory: FleetFactory,
    redis_url: str,
    redis_client: redis.Redis,
    slack_stub: SlackStub,
    gated_model: GatedModelStub,
) -> None:
    fleet_factory.configure(redis_url, slack_stub, gated_model, SLACK_CHANNEL="#later", ALERTFLEET_LLM_TIMEOUT="120")
    fleet_factory.ingest()
    fleet_factory.worker("w1", concurrency=32)
    # A write that cannot go yet: the channel does not exist, so it is dead-lettered until the fix.
    assert fleet_factory.post(webhook("Early")).status_code == 202
    letters = DeadLetters(redis_client)
    assert wait_for(lambda: letters.count() == 1, 60), fleet_factory.logs()

    gated_model.gate.clear()
    for n in range(32):
        assert fleet_factory.post(webhook(f"Slow{n}")).status_code == 202
    assert wait_for(lambda: gated_model.in_flight == 32, 90), fleet_factory.logs()  # one worker holds all 32

    slack_stub.add_channel("#later")
    replay = subprocess.run(
        [sys.executable, "-m", "alertfleet.cli", "dlq", "replay", "--all"],
        env=fleet_factory.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert replay.returncode == 0, replay.stderr
    assert wait_for(lambda: slack_stub.post_count() == 1, 30), fleet_factory.logs()
    assert gated_model.in_flight == 32, "the write went while every investigation was still waiting on the model"

    gated_model.gate.set()
    assert wait_for(lambda: slack_stub.post_count() == 33, 120), fleet_factory.logs()
    titles = _titles(slack_stub, "#later")
    assert titles[0] == "Early"
    assert sorted(titles[1:]) == sorted(f"Slow{n}" for n in range(32))
    assert [v for v in slack_stub.violations if "channel_not_found" not in v] == []  # only the staged failure
    assert gated_model.violations == []


def test_model_sees_at_most_the_fleet_limit_across_two_workers(
    fleet_factory: FleetFactory,
    redis_url: str,
    redis_client: redis.Redis,
    slack_stub: SlackStub,
    gated_model: GatedModelStub,
) -> None:
    fleet_factory.configure(
        redis_url, slack_stub, gated_model, ALERTFLEET_LLM_CONCURRENCY="3", ALERTFLEET_LLM_TIMEOUT="120"
    )
    fleet_factory.ingest()
    fleet_factory.worker("w1", concurrency=8)
    fleet_factory.worker("w2", concurrency=8)
    gated_model.gate.clear()
    for n in range(12):
        assert fleet_factory.post(webhook(f"Limited{n}")).status_code == 202
    # 12 investigations are running in two processes (16 threads), and only 3 reach the model.
    assert wait_for(lambda: int(redis_client.hlen(LEASES)) == 12 and gated_model.in_flight == 3, 90), (
        fleet_factory.logs()
    )
    assert gated_model.max_in_flight == 3
    assert {"w1", "w2"} <= {worker.split("@")[0] for worker in _running_workers(redis_client)}

    gated_model.gate.set()
    assert wait_for(lambda: slack_stub.post_count() == 12, 120), fleet_factory.logs()
    assert gated_model.max_in_flight == 3
    metrics = httpx.get(f"{fleet_factory.ingest_url}/metrics", timeout=5).text
    waits = re.search(r'^alertfleet_llm_wait_seconds_count\{model="openai/stub-model"\} (\S+)$', metrics, re.M)
    assert waits is not None and float(waits.group(1)) == len(gated_model.completions), "every call's wait is counted"


def _running_workers(client: redis.Redis) -> set[str]:
    """The worker node names that ran investigations (each investigation's hash records its worker)."""
    names = (client.hget(key, "worker") for key in client.scan_iter("af:inv:*"))
    return {name.decode() for name in names if name}


def test_model_429_pauses_every_worker_and_loses_nothing(
    fleet_factory: FleetFactory, redis_url: str, redis_client: redis.Redis, slack_stub: SlackStub, model_stub: ModelStub
) -> None:
    fleet_factory.configure(redis_url, slack_stub, model_stub, ALERTFLEET_RATE_LIMITS="slack=50/second")
    fleet_factory.ingest()
    fleet_factory.worker("w1", concurrency=4)
    fleet_factory.worker("w2", concurrency=4)
    model_stub.fail_next(1, 429, {"Retry-After": "3"})
    first = fleet_factory.post(webhook("Paused0"))
    assert first.status_code == 202
    ids = list(first.json()["investigation_ids"])
    # The fleet took the pause: from now on no worker may call the model before the announced time.
    assert wait_for(lambda: int(redis_client.pttl(llm_pause_key("openai/stub-model"))) > 0, 60), fleet_factory.logs()
    for n in range(1, 8):
        response = fleet_factory.post(webhook(f"Paused{n}"))
        assert response.status_code == 202
        ids += response.json()["investigation_ids"]

    assert wait_for(lambda: slack_stub.post_count() == 8, 90), fleet_factory.logs()
    assert model_stub.early_retries == [], "no model call before the announced time, from either worker"
    assert {"w1", "w2"} <= {worker.split("@")[0] for worker in _running_workers(redis_client)}
    store = InvestigationStore(redis_client)
    results = [store.load(i) for i in ids]
    assert all(r is not None and r.result is not None and r.result.mode == "llm" for r in results), (
        "a 429 is not a failure: no investigation fell back to enrichment"
    )
    answered = sum(r.result.steps for r in results if r is not None and r.result is not None)
    completions = [r for r in model_stub.requests if r.path.endswith("/chat/completions")]
    assert len(completions) >= answered + 1, "every step was answered, and the call that got the 429 made again"
