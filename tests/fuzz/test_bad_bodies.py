"""The fuzz corpus against a real fleet: every answer a 4xx problem, a finished 200, or a 202 whose investigation ends."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import INGEST_TOKEN, Fleet, fleet_env, running_fleet
from tests.fuzz.corpus import ALERTMANAGER_BODIES, HOLMES_BODIES, PAGERDUTY_BODIES
from tests.fuzz.outcome import assert_all_end, assert_answer
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}", "Content-Type": "application/json"}
PD_SECRET = "pd-webhook-fuzz-secret"


@pytest.fixture
def fuzz_fleet(redis_url: str, slack_stub: SlackStub, model_stub: ModelStub, tmp_path: Path) -> Iterator[Fleet]:
    env = fleet_env(
        redis_url, slack_stub, model_stub, ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN, PAGERDUTY_WEBHOOK_SECRET=PD_SECRET
    )
    with running_fleet(env, tmp_path) as fleet:
        yield fleet


def _signed(body: bytes) -> dict[str, str]:
    digest = hmac.new(PD_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-PagerDuty-Signature": f"v1={digest}"}


def test_every_bad_body_gets_a_4xx_or_a_202_whose_work_ends(fuzz_fleet: Fleet) -> None:
    accepted: list[str] = []
    with httpx.Client(base_url=fuzz_fleet.ingest_url, timeout=30) as client:
        for route, corpus in (("/api/webhooks/alertmanager", ALERTMANAGER_BODIES), ("/api/investigate", HOLMES_BODIES)):
            for name, body in corpus.items():
                accepted += assert_answer(client.post(route, content=body, headers=AUTH), f"{route} {name}")
        for name, body in PAGERDUTY_BODIES.items():
            response = client.post("/api/webhooks/pagerduty", content=body, headers=_signed(body))
            accepted += assert_answer(response, f"pagerduty {name}")
        assert accepted, "some of the corpus is valid enough to be accepted"
        assert_all_end(client, fuzz_fleet, accepted)
