"""A fleet whose processes a test can kill, restart and multiply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import INGEST_TOKEN, fleet_env
from tests.harness.processes import AlertfleetProcess, start_ingest, start_worker
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}


class FleetFactory:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: list[AlertfleetProcess] = []
        self.env: dict[str, str] = {}
        self.ingest_url = ""

    def configure(self, redis_url: str, slack: SlackStub, model: ModelStub | None, **extra: str) -> None:
        self.env = fleet_env(redis_url, slack, model, ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN, **extra)

    def ingest(self) -> AlertfleetProcess:
        proc, self.ingest_url = start_ingest(self.env, self.log_dir)
        self.processes.append(proc)
        return proc

    def worker(self, name: str, concurrency: int = 2) -> AlertfleetProcess:
        proc = start_worker(self.env, self.log_dir, name=name, concurrency=concurrency)
        self.processes.append(proc)
        return proc

    def post(self, body: dict[str, object], timeout: float = 10) -> httpx.Response:
        return httpx.post(f"{self.ingest_url}/api/webhooks/alertmanager", json=body, headers=AUTH, timeout=timeout)

    def logs(self) -> str:
        return "\n".join(proc.output()[-20000:] for proc in self.processes)

    def stop(self) -> None:
        for proc in self.processes:
            proc.stop()


@pytest.fixture
def fleet_factory(tmp_path: Path) -> Iterator[FleetFactory]:
    factory = FleetFactory(tmp_path)
    yield factory
    factory.stop()
