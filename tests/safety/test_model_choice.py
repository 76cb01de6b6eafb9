"""Callers cannot pick any model: a request's `model` must be a configured name, as HolmesGPT's modelList.

Every API route that takes a `model` answers an unknown one with 400 application/problem+json whose
`allowed` lists the configured names (`models:` in ALERTFLEET_CONFIG, or MODEL alone); a known one is
served. A route whose contract has no `model` (kubernaut) ignores one sent anyway: the config decides.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from alertfleet.kubernaut_models import INCIDENT_EXAMPLE
from tests.api import seed_examples as seeds
from tests.api.conftest import API_AUTH, SEED_MODELS, config_yaml, module_fleet
from tests.conftest import Fleet
from tests.harness.processes import RedisServer, wait_for
from tests.stubs.model import ModelStub

UNKNOWN = "openai/gpt-4-32k-very-expensive"
ROUTES: list[tuple[str, dict[str, Any]]] = [
    ("/api/chat", seeds.CHAT),
    ("/api/investigate", seeds.INVESTIGATE),
    ("/api/stream/investigate", seeds.INVESTIGATE),
    ("/api/issue_chat", seeds.ISSUE_CHAT),
    ("/api/workload_health_check", seeds.WORKLOAD_HEALTH_CHECK),
    ("/api/workload_health_chat", seeds.WORKLOAD_HEALTH_CHAT),
    ("/api/holmes/ACCOUNT_ID/chat", seeds.ROBUSTA_CHAT),
]


@pytest.fixture(scope="module")
def model() -> Iterator[ModelStub]:
    with ModelStub(api_key="sk-test") as stub:
        yield stub


@pytest.fixture(scope="module")
def configured(redis_server: RedisServer, model: ModelStub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """`models:` names the seeds' three models (all on the stub); on its own Redis database."""
    with module_fleet(redis_server, model, tmp_path_factory.mktemp("models"), 9, config_yaml()) as fleet:
        yield fleet


def _post(fleet: Fleet, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(fleet.ingest_url + path, json=body, headers=API_AUTH if headers is None else headers, timeout=60)


def _assert_refused(response: httpx.Response, allowed: list[str]) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["allowed"] == allowed
    assert UNKNOWN in problem["detail"] and all(name in problem["detail"] for name in allowed)


@pytest.mark.parametrize(("path", "body"), ROUTES, ids=[path for path, _ in ROUTES])
def test_unknown_model_is_refused_on_every_route(configured: Fleet, model: ModelStub, path: str, body: dict[str, Any]) -> None:
    model.reset()
    _assert_refused(_post(configured, path, body | {"model": UNKNOWN}), sorted(SEED_MODELS))
    assert model.completions == [], "nothing reached the model"


def test_known_model_is_served(configured: Fleet, model: ModelStub) -> None:
    model.reset()
    response = _post(configured, "/api/chat", seeds.CHAT | {"model": "fast-model"})
    assert response.status_code == 200, response.text
    assert {body["model"] for body in model.completions} == {"stub-model"}


def test_kubernaut_ignores_a_model_it_has_no_field_for(configured: Fleet, model: ModelStub) -> None:
    model.reset()
    response = _post(configured, "/api/v1/incident/analyze", INCIDENT_EXAMPLE | {"model": UNKNOWN})
    assert response.status_code == 202, response.text
    assert wait_for(lambda: len(model.completions) >= 1, 60)
    assert {body["model"] for body in model.completions} == {"stub-model"}, "the configured model, not the caller's"


def test_with_model_alone_the_one_allowed_name_is_model(fleet: Fleet, model_stub: ModelStub, tmp_path: Path) -> None:
    """No ALERTFLEET_CONFIG: MODEL is the one name a request may use (the API is open on loopback)."""
    _assert_refused(_post(fleet, "/api/chat", seeds.CHAT | {"model": UNKNOWN}, headers={}), ["openai/stub-model"])
    listed = httpx.get(fleet.ingest_url + "/api/model", timeout=10).json()
    assert listed == {"model_name": ["openai/stub-model"]}
    served = _post(fleet, "/api/chat", seeds.CHAT | {"model": "openai/stub-model"}, headers={})
    assert served.status_code == 200, served.text
