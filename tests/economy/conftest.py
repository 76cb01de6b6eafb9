"""The economy tests' fleet: real Redis, ingest and a Celery worker, the model/Slack/webhook stubs, and a
Prometheus API stub whose requests count how often a tool really ran.

The worker is started by the test (`Economy.start_worker`), so "resolved before a worker picked it up"
is a fact the test makes true, not a race it hopes to win.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import INGEST_TOKEN, fleet_env
from tests.harness.alerts import webhook
from tests.harness.processes import AlertfleetProcess, start_ingest, start_worker, wait_for
from tests.stubs.http import RecordedRequest, StubResponse, StubServer
from tests.stubs.model import Messages, ModelStub, Tools
from tests.stubs.slack import SlackStub
from tests.stubs.webhook import WebhookStub

AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}
QUERY_TOOL = "execute_prometheus_instant_query"


class PrometheusApiStub(StubServer):
    """Answers the Prometheus HTTP API with one `up` series; `queries` counts the instant queries run."""

    def handle(self, req: RecordedRequest) -> StubResponse:
        vector = [{"metric": {"__name__": "up", "job": "api"}, "value": [1700000000, "1"]}]
        if req.path == "/api/v1/query":
            return StubResponse(200, {"status": "success", "data": {"resultType": "vector", "result": vector}})
        return StubResponse(200, {"status": "success", "data": []})

    @property
    def queries(self) -> int:
        return sum(1 for req in self.requests if req.path == "/api/v1/query")


def runaway(messages: Messages, tools: Tools) -> dict[str, Any]:
    """A model that asks for the same tool call forever, offered tools or not, and never answers."""
    call = {"name": QUERY_TOOL, "arguments": json.dumps({"query": "up"})}
    ident = f"call_{len(messages):04d}"
    return {"role": "assistant", "content": None, "tool_calls": [{"id": ident, "type": "function", "function": call}]}


@dataclass
class Economy:
    env: dict[str, str]
    log_dir: Path
    ingest_url: str = ""
    processes: list[AlertfleetProcess] = field(default_factory=list)

    def start_ingest(self) -> None:
        ingest, self.ingest_url = start_ingest(self.env, self.log_dir)
        self.processes.append(ingest)

    def start_worker(self) -> None:
        self.processes.append(start_worker(self.env, self.log_dir))

    def logs(self) -> str:
        return "".join(process.output() for process in self.processes)

    def post(self, body: dict[str, Any]) -> str:
        response = httpx.post(f"{self.ingest_url}/api/webhooks/alertmanager", json=body, headers=AUTH, timeout=10)
        assert response.status_code == 202, response.text
        return str(response.json()["investigation_ids"][0])

    def investigation(self, investigation_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.ingest_url}/api/v1/investigations/{investigation_id}", headers=AUTH, timeout=5)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def wait_status(self, investigation_id: str, *statuses: str, timeout: float = 90) -> dict[str, Any]:
        assert wait_for(lambda: self.investigation(investigation_id)["status"] in statuses, timeout, 0.2), self.logs()
        return self.investigation(investigation_id)

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        text = httpx.get(f"{self.ingest_url}/metrics", timeout=10).text
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


@pytest.fixture
def prometheus_api() -> Iterator[PrometheusApiStub]:
    with PrometheusApiStub() as stub:
        yield stub


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookStub]:
    with WebhookStub() as stub:
        yield stub


@pytest.fixture
def economy_env(
    redis_url: str,
    slack_stub: SlackStub,
    model_stub: ModelStub,
    webhook_receiver: WebhookStub,
    prometheus_api: PrometheusApiStub,
) -> dict[str, str]:
    """Slack and the webhook as destinations, the stub model, Prometheus tools on the counting stub.
    A test adds or overrides settings before starting the processes."""
    return fleet_env(
        redis_url,
        slack_stub,
        model_stub,
        ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN,
        WEBHOOK_URL=webhook_receiver.url,
        PROMETHEUS_URL=prometheus_api.base_url,
    )


@pytest.fixture
def economy(economy_env: dict[str, str], tmp_path: Path) -> Iterator[Economy]:
    fleet = Economy(economy_env, tmp_path)
    try:
        yield fleet
    finally:
        fleet.stop()


def alert(name: str, status: str = "firing") -> dict[str, Any]:
    return webhook(name, instances=1, status=status)
