"""Hypothesis over the Alertmanager payload: the app answers 2xx or 4xx, and the worker ends every accepted one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import INGEST_TOKEN, Fleet, fleet_env, running_fleet
from tests.fuzz.outcome import assert_all_end, assert_answer
from tests.stubs.slack import SlackStub

AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}", "Content-Type": "application/json"}
EXAMPLES = 60  # bounded: the fleet is real, so each example is a real request (and maybe an investigation)

text = st.text(max_size=40)
label_name = st.one_of(st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,15}", fullmatch=True), text)
labels = st.dictionaries(label_name, text, max_size=6)
junk = st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(), text, st.lists(text, max_size=3))
timestamp = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat()),
    st.just("0001-01-01T00:00:00Z"),
    text,
    junk,
)
status = st.one_of(st.sampled_from(["firing", "resolved"]), text, junk)


def _maybe(strategy: st.SearchStrategy[Any], wrong: st.SearchStrategy[Any] = junk) -> st.SearchStrategy[Any]:
    """Mostly the right shape, sometimes the wrong type: both must be answered well."""
    return st.one_of(strategy, strategy, strategy, wrong)


alert = st.fixed_dictionaries(
    {"labels": _maybe(labels)},
    optional={
        "status": status,
        "annotations": _maybe(labels),
        "startsAt": timestamp,
        "endsAt": timestamp,
        "generatorURL": _maybe(text),
        "fingerprint": _maybe(st.from_regex(r"[0-9a-f]{16}", fullmatch=True)),
    },
)
payload = st.fixed_dictionaries(
    {"alerts": _maybe(st.lists(_maybe(alert), min_size=0, max_size=5))},
    optional={
        "version": _maybe(st.just("4")),
        "groupKey": _maybe(text),
        "truncatedAlerts": _maybe(st.integers(min_value=-(2**70), max_value=2**70)),
        "status": status,
        "receiver": _maybe(text),
        "groupLabels": _maybe(labels),
        "commonLabels": _maybe(labels),
        "commonAnnotations": _maybe(labels),
        "externalURL": _maybe(text),
    },
)


@pytest.fixture
def property_fleet(redis_url: str, slack_stub: SlackStub, tmp_path: Path) -> Iterator[Fleet]:
    env = fleet_env(redis_url, slack_stub, None, ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN)
    with running_fleet(env, tmp_path) as fleet:
        yield fleet


def test_any_alertmanager_payload_is_answered_2xx_or_4xx_and_every_accepted_one_ends(property_fleet: Fleet) -> None:
    accepted: list[str] = []
    with httpx.Client(base_url=property_fleet.ingest_url, timeout=30) as client:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,  # the same examples every run: a failure reproduces, the suite's time is stable
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(body=payload)
        def post(body: dict[str, Any]) -> None:
            response = client.post("/api/webhooks/alertmanager", content=json.dumps(body), headers=AUTH)
            accepted.extend(assert_answer(response, json.dumps(body)[:500]))

        post()
        assert accepted, "hypothesis generated some valid payloads"
        assert_all_end(client, property_fleet, accepted)
