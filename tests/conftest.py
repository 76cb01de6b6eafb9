"""Shared fixtures: a real redis-server, real stub servers, and the fleet as real processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from alertfleet import redaction
from tests.harness.processes import (
    AlertfleetProcess,
    RedisServer,
    base_env,
    start_ingest,
    start_worker,
)
from tests.stubs.github import GitHubStub
from tests.stubs.jira import JiraStub
from tests.stubs.model import ModelStub
from tests.stubs.opsgenie import OpsGenieStub
from tests.stubs.pagerduty import PagerDutyStub
from tests.stubs.slack import SlackStub
from tests.stubs.webhook import WebhookStub

SLACK_TOKEN = "xoxb-test-token-0123456789"
INGEST_TOKEN = "ingest-secret-token-abcdef"
OPSGENIE_KEY = "genie-test-key-0123456789"
PAGERDUTY_KEY = "pd-test-key-0123456789"
PAGERDUTY_FROM = "oncall@example.com"
JIRA_EMAIL = "alertfleet-bot@example.com"
JIRA_TOKEN = "jira-api-token-0123456789"
GITHUB_TOKEN = "ghp-test-token-0123456789"


# Property tests explore the same examples on every run (a CI run must not be the one that finds a new
# case by chance) and have no per-example deadline (a busy 2-core machine is slow, not wrong).
hypothesis_settings.register_profile("alertfleet", deadline=None, derandomize=True, database=None)
hypothesis_settings.load_profile("alertfleet")


@pytest.fixture(autouse=True)
def _registered_secrets_stay_in_their_test() -> Iterator[None]:
    """Secrets a test registers (a property test registers hundreds of random ones, e.g. "ready") are
    forgotten after it, so they cannot mask ordinary words in a later test's output."""
    saved = set(redaction._secrets)
    yield
    redaction._secrets.clear()
    redaction._secrets.update(saved)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A flushed database per test."""
    redis_server.client().flushall()
    return redis_server.url


@pytest.fixture
def redis_client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


@pytest.fixture
def slack_stub() -> Iterator[SlackStub]:
    with SlackStub(token=SLACK_TOKEN, channels=("#alerts", "#oncall")) as stub:
        yield stub


@pytest.fixture
def model_stub() -> Iterator[ModelStub]:
    with ModelStub(api_key="sk-test") as stub:
        yield stub


@pytest.fixture
def pagerduty_stub() -> Iterator[PagerDutyStub]:
    with PagerDutyStub(token=PAGERDUTY_KEY, users=(PAGERDUTY_FROM,)) as stub:
        yield stub


@pytest.fixture
def opsgenie_stub() -> Iterator[OpsGenieStub]:
    with OpsGenieStub(api_key=OPSGENIE_KEY) as stub:
        yield stub


@pytest.fixture
def jira_stub() -> Iterator[JiraStub]:
    with JiraStub(email=JIRA_EMAIL, token=JIRA_TOKEN) as stub:
        yield stub


@pytest.fixture
def github_stub() -> Iterator[GitHubStub]:
    with GitHubStub(token=GITHUB_TOKEN) as stub:
        yield stub


@pytest.fixture
def webhook_stub() -> Iterator[WebhookStub]:
    with WebhookStub() as stub:
        yield stub


@dataclass
class Fleet:
    ingest_url: str
    env: dict[str, str]
    ingest: AlertfleetProcess
    worker: AlertfleetProcess
    log_dir: Path

    def logs(self) -> str:
        return self.ingest.output() + self.worker.output()


def fleet_env(redis_url: str, slack: SlackStub, model: ModelStub | None, **extra: str) -> dict[str, str]:
    defaults: dict[str, str | None] = {
        "REDIS_URL": redis_url,
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_CHANNEL": "#alerts",
        "SLACK_API_URL": slack.api_url,
        "MODEL": "openai/stub-model" if model else None,
        "OPENAI_API_BASE": model.api_base if model else None,
        "OPENAI_API_KEY": "sk-test" if model else None,
        "ALERTFLEET_LLM_TIMEOUT": "10",
    }
    return base_env(**(defaults | extra))


@pytest.fixture
def fleet(redis_url: str, slack_stub: SlackStub, model_stub: ModelStub, tmp_path: Path) -> Iterator[Fleet]:
    """Ingest + one worker against the stubs, with the stub model configured."""
    env = fleet_env(redis_url, slack_stub, model_stub, ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN)
    with running_fleet(env, tmp_path) as running:
        yield running


@contextmanager
def running_fleet(env: dict[str, str], log_dir: Path) -> Iterator[Fleet]:
    """Ingest and one worker with `env`, stopped on exit whatever happened."""
    ingest, url = start_ingest(env, log_dir)
    worker = None
    try:
        worker = start_worker(env, log_dir)
        yield Fleet(url, env, ingest, worker, log_dir)
    finally:
        if worker is not None:
            worker.stop()
        ingest.stop()
