"""A fleet (ingest + worker) serving the HTTP API with the stub model under the seeds' model names."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import SLACK_TOKEN, Fleet, fleet_env, running_fleet
from tests.harness.processes import RedisServer
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

API_TOKEN = "api-key-for-tests-0123456789"
API_AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
SEED_MODELS = ("gpt-4o", "gpt-4.1", "fast-model")


def config_yaml(approval_tools: tuple[str, ...] = ()) -> str:
    """The seeds' model names, all on the stub model; `approval_tools` need the client's approval."""
    return yaml.safe_dump(
        {
            "models": dict.fromkeys(SEED_MODELS, "openai/stub-model"),
            "tools": {name: {"approval": True} for name in approval_tools},
            "route": {"model": "gpt-4o"},
        }
    )


def api_env(redis_url: str, slack: SlackStub, model: ModelStub, tmp_path: Path, **extra: str) -> dict[str, str]:
    config = tmp_path / "alertfleet.yaml"
    if not config.exists():
        config.write_text(config_yaml())
    return fleet_env(
        redis_url, slack, model, ALERTFLEET_CONFIG=str(config), ALERTFLEET_API_TOKENS=f"other-key,{API_TOKEN}", **extra
    )


@pytest.fixture(scope="module")
def api_model() -> Iterator[ModelStub]:
    """One stub model for a module's fleet (tests reset it; they never depend on another's calls)."""
    with ModelStub(api_key="sk-test") as stub:
        yield stub


@contextmanager
def module_fleet(redis_server: RedisServer, model: ModelStub, tmp_path: Path, db: int, config: str) -> Iterator[Fleet]:
    """Starting a worker costs seconds (litellm's import): one fleet per module, on its own database."""
    (tmp_path / "alertfleet.yaml").write_text(config)
    with SlackStub(token=SLACK_TOKEN, channels=("#alerts",)) as slack:
        env = api_env(redis_server.url.replace("/0", f"/{db}"), slack, model, tmp_path)
        with running_fleet(env, tmp_path) as fleet:
            yield fleet


@pytest.fixture(scope="module")
def api_fleet_module(
    redis_server: RedisServer, api_model: ModelStub, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fleet]:
    with module_fleet(redis_server, api_model, tmp_path_factory.mktemp("api"), 3, config_yaml()) as fleet:
        yield fleet


@pytest.fixture
def api_fleet(api_fleet_module: Fleet, api_model: ModelStub) -> Fleet:
    api_model.reset()
    return api_fleet_module


@dataclass
class SseEvent:
    event: str
    data: dict[str, Any]
    id: str | None


def read_sse(response: httpx.Response) -> list[SseEvent]:
    """Parse a text/event-stream body into events (event, JSON data, id)."""
    events, fields = [], {}
    for line in response.iter_lines():
        if not line:
            if "data" in fields:
                events.append(SseEvent(fields.get("event", "message"), json.loads(fields["data"]), fields.get("id")))
            fields = {}
            continue
        name, _, value = line.partition(":")
        fields[name] = value.removeprefix(" ")
    return events


def post_sse(
    url: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[httpx.Response, list[SseEvent]]:
    with httpx.stream("POST", url, json=body, headers=headers or API_AUTH, timeout=60) as response:
        return response, read_sse(response) if response.status_code == 200 else []
