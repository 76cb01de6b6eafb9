"""A whole fleet for benchmarks: private Redis, Slack and model stubs, ingest and N workers."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.harness.processes import AlertfleetProcess, RedisServer, base_env, start_ingest, start_worker
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

TOKEN = "xoxb-bench-token"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class BenchFleet:
    slack: SlackStub
    model: ModelStub | None
    workers: int = 1
    pool: str = "threads"
    concurrency: int = 4
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[AlertfleetProcess] = field(default_factory=list)
    ingest_url: str = ""

    def __enter__(self) -> BenchFleet:
        self.redis = RedisServer().start()
        self.log_dir = Path(tempfile.mkdtemp(prefix="af-bench-"))
        env = base_env(
            REDIS_URL=self.redis.url,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_CHANNEL="#alerts",
            SLACK_API_URL=self.slack.api_url,
            MODEL="openai/bench-model" if self.model else None,
            OPENAI_API_BASE=self.model.api_base if self.model else None,
            OPENAI_API_KEY="sk-test" if self.model else None,
            **self.extra_env,
        )
        ingest, self.ingest_url = start_ingest(env, self.log_dir)
        self.processes.append(ingest)
        for n in range(self.workers):
            worker = AlertfleetProcess(
                ["worker", "--pool", self.pool, "--concurrency", str(self.concurrency), "--name", f"bench{n}@%h"],
                env, self.log_dir, f"worker{n}",
            ).start()
            self.processes.append(worker)
        for n, worker in enumerate(self.processes[1:]):
            if not _wait_ready(worker, f"bench{n}"):
                raise RuntimeError("worker did not start:\n" + worker.output())
        return self

    def __exit__(self, *_: object) -> None:
        for proc in self.processes:
            proc.stop()
        self.redis.stop()

    def post(self, client: httpx.Client, body: dict[str, object]) -> int:
        return client.post(f"{self.ingest_url}/api/webhooks/alertmanager", json=body).status_code

    def worker_rss_mib(self) -> float:
        from bench.procs import process_tree

        total = 0.0
        for worker in self.processes[1:]:
            if worker.process is not None:
                total += sum(rss_mib(pid) for pid in process_tree(worker.process.pid))
        return total


def _wait_ready(worker: AlertfleetProcess, name: str) -> bool:
    from tests.harness.processes import wait_for, worker_ready

    return wait_for(lambda: worker_ready(worker.output(), name), 120, 0.1)


__all__ = ["TOKEN", "BenchFleet", "start_worker"]
