"""docker-compose.yml and .env.example: validated by Compose itself, wired to the app's real verbs and settings."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command

from alertfleet.cli import app as cli_app
from alertfleet.settings import Settings
from tests.deploy.known_env import PROVIDER_ENV, app_env_names, deployable_env_names

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"


def compose_config(*profiles: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """`docker-compose config` (Debian's docker-compose): parses, validates against the Compose schema, interpolates."""
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose (Debian) is needed: make test-tools installs it"
    args = [binary, "--project-directory", str(ROOT), "-f", str(COMPOSE)]
    for profile in profiles:
        args += ["--profile", profile]
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")} | (env or {})
    done = subprocess.run([*args, "config"], capture_output=True, text=True, env=clean, cwd="/", timeout=60)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return compose_config("demo")


def test_compose_validates_and_the_demo_is_a_profile(demo: dict[str, Any]) -> None:
    services = demo["services"]
    assert {name for name, s in services.items() if not s.get("profiles")} == {"redis", "ingest", "worker", "flower"}
    assert {name for name, s in services.items() if s.get("profiles") == ["demo"]} == {
        "prometheus",
        "alertmanager",
        "stubs",
    }
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert services["alertmanager"]["image"].startswith("prom/alertmanager:")
    assert demo["services"]["worker"]["deploy"]["replicas"] == 2


def test_redis_is_durable_and_never_evicts(demo: dict[str, Any]) -> None:
    command = demo["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "everysec"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_every_alertfleet_command_is_a_real_cli_verb(demo: dict[str, Any]) -> None:
    verbs = get_command(cli_app).commands  # type: ignore[attr-defined]
    for name in ("ingest", "worker", "flower"):
        service = demo["services"][name]
        command = service["command"]
        assert "entrypoint" not in service
        assert command[0] in verbs, (name, command)
        verb = verbs[command[0]]
        options = {opt for param in verb.params for opt in param.opts}
        flags = [arg for arg in command[1:] if arg.startswith("--")]
        assert set(flags) <= options, (name, flags)
    stubs = demo["services"]["stubs"]
    module = stubs["entrypoint"][stubs["entrypoint"].index("-m") + 1]
    assert (ROOT / (module.replace(".", "/") + ".py")).is_file()
    assert any(volume.endswith(":/app/tests:ro") or "/app/tests" in str(volume) for volume in stubs["volumes"])


def test_compose_env_names_are_settings_the_app_knows(demo: dict[str, Any]) -> None:
    raw = yaml.safe_load(COMPOSE.read_text())
    names = set(raw["x-alertfleet"]["environment"])
    assert names - deployable_env_names() == set()
    # and every setting can be given through .env: nothing in it is silently dropped
    assert app_env_names() - names == set()
    for service in ("ingest", "worker", "flower"):
        assert set(demo["services"][service]["environment"]) == names


def test_flower_has_basic_auth_and_demo_reaches_the_stubs(demo: dict[str, Any]) -> None:
    env = demo["services"]["flower"]["environment"]
    assert env["FLOWER_BASIC_AUTH"].count(":") == 1
    ingest = demo["services"]["ingest"]["environment"]
    assert ingest["SLACK_API_URL"] == "http://stubs:8081/api/"
    assert ingest["OPENAI_API_BASE"] == "http://stubs:8082/v1"


def test_an_env_file_replaces_the_demo_wiring(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"MODEL": "", "SLACK_API_URL": "https://slack.com/api/", "FLOWER_BASIC_AUTH": "ops:pw"}
    ingest = compose_config(env=env)["services"]["ingest"]["environment"]
    assert ingest["SLACK_API_URL"] == "https://slack.com/api/"
    assert ingest["FLOWER_BASIC_AUTH"] == "ops:pw"
    monkeypatch.setenv("MODEL", ingest["MODEL"])
    assert Settings().model is None  # `MODEL=` in .env: enrichment, not the demo model


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, line
            pairs[name.strip()] = value
    return pairs


def test_env_example_lists_every_setting() -> None:
    listed = set(_env_example())
    assert app_env_names() - listed == set(), "add these to .env.example"
    assert listed - app_env_names() - PROVIDER_ENV == set(), "not settings the app knows"


def test_env_example_values_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name in deployable_env_names():
            monkeypatch.delenv(name)
    defaults = Settings().model_dump()
    for name, value in _env_example().items():
        monkeypatch.setenv(name, value)
    assert Settings().model_dump() == defaults
