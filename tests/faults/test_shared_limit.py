"""Four worker processes share one limit: the vendor never sees more than it allows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import SLACK_TOKEN
from tests.faults.conftest import FleetFactory
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.slack_quota import QuotaSlackStub

MESSAGES = 16


@pytest.fixture
def quota_stub() -> Iterator[QuotaSlackStub]:
    with QuotaSlackStub(limit=3, per_seconds=2.0, token=SLACK_TOKEN, channels=("#alerts",)) as stub:
        yield stub


@pytest.mark.slow
def test_four_workers_never_exceed_the_vendor_quota(
    fleet_factory: FleetFactory, redis_url: str, quota_stub: QuotaSlackStub
) -> None:
    fleet_factory.configure(redis_url, quota_stub, None, ALERTFLEET_RATE_LIMITS="slack=3 per 2 seconds")
    fleet_factory.ingest()
    for n in range(4):
        fleet_factory.worker(f"w{n}")
    for n in range(MESSAGES):
        assert fleet_factory.post(webhook(f"Quota{n}")).status_code == 202
    assert wait_for(lambda: quota_stub.post_count() == MESSAGES, 60, 0.2), fleet_factory.logs()
    assert quota_stub.over_quota == 0, quota_stub.violations
    assert quota_stub.violations == []
