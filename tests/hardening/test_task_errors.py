"""An unexpected error in a task is retried a few times, then dead-lettered with its reason — never dropped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import redis

from alertfleet import log
from tests.conftest import INGEST_TOKEN, fleet_env, running_fleet
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub
from workers.failures import UNEXPECTED_MAX_RETRIES, failure_reason

AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}


def _no_choices(_messages: list[dict[str, Any]], _tools: list[dict[str, Any]]) -> dict[str, Any]:
    """What a content-filtering proxy sends: a well-formed completion with no choice in it."""
    usage = {"prompt_tokens": 1, "completion_tokens": 0, "total_tokens": 1}
    return {"id": "c1", "object": "chat.completion", "created": 1, "model": "stub-model", "choices": [], "usage": usage}


def test_an_investigation_that_raises_ends_failed_and_dead_lettered(
    redis_url: str, redis_client: redis.Redis, slack_stub: SlackStub, tmp_path: Path
) -> None:
    with ModelStub(api_key="sk-test", responder=_no_choices) as model:
        env = fleet_env(redis_url, slack_stub, model, ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN)
        with running_fleet(env, tmp_path) as fleet:
            response = httpx.post(
                f"{fleet.ingest_url}/api/webhooks/alertmanager", json=webhook("NoChoices"), headers=AUTH, timeout=10
            )
            assert response.status_code == 202
            [investigation_id] = response.json()["investigation_ids"]

            def view() -> dict[str, Any]:
                url = f"{fleet.ingest_url}/api/v1/investigations/{investigation_id}"
                data: dict[str, Any] = httpx.get(url, headers=AUTH, timeout=5).json()
                return data

            assert wait_for(lambda: view()["status"] == "failed", 90, 0.5), fleet.logs()
            failed = view()
            assert len(model.completions) == UNEXPECTED_MAX_RETRIES + 1  # bounded: the first try and 3 retries
    assert failed["error"].startswith("IndexError: list index out of range")
    assert failed["result"] is None and slack_stub.post_count() == 0
    listed = subprocess.run(
        [sys.executable, "-m", "alertfleet.cli", "dlq", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    [letter] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (letter["task"], letter["args"], letter["attempts"]) == (
        "alertfleet.investigate",
        [investigation_id],
        UNEXPECTED_MAX_RETRIES + 1,
    )
    assert letter["reason"] == failed["error"]


def test_the_reason_is_masked_and_bounded() -> None:
    log.register_secrets(["xoxb-reason-secret-0001"])
    reason = failure_reason(ValueError("token xoxb-reason-secret-0001 refused\n" + "x" * 2000))
    assert reason.startswith("ValueError: token *** refused x")
    assert "xoxb-reason-secret-0001" not in reason and len(reason) <= 500
