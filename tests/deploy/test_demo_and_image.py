"""The Compose demo's Prometheus/Alertmanager configs (checked by their own tools) and the Dockerfile."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from alertfleet.healthcheck import role

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "deploy" / "demo"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60)


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(str(Path(sys.executable).parent / name))
    assert found, f"{name} is needed: make test-tools installs it"
    return found


def test_promtool_accepts_the_demo_prometheus_config_and_rules() -> None:
    config = run(tool("promtool"), "check", "config", str(DEMO / "prometheus.yml"))
    assert config.returncode == 0, config.stdout + config.stderr
    rules = run(tool("promtool"), "check", "rules", str(DEMO / "rules.yml"))
    assert rules.returncode == 0, rules.stdout + rules.stderr


def test_the_demo_rule_fires_at_once() -> None:
    rules = yaml.safe_load((DEMO / "rules.yml").read_text())["groups"][0]["rules"]
    demo = rules[0]
    assert demo["expr"] == "vector(1)" and "for" not in demo


def test_amtool_accepts_the_demo_alertmanager_config() -> None:
    done = run(tool("amtool"), "check-config", str(DEMO / "alertmanager.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_alertmanager_sends_to_alertfleets_webhook_with_the_ingest_token() -> None:
    from ingest.app import create_app

    config = yaml.safe_load((DEMO / "alertmanager.yml").read_text())
    (receiver,) = [r for r in config["receivers"] if r["name"] == config["route"]["receiver"]]
    (hook,) = receiver["webhook_configs"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    path = re.sub(r"^http://ingest:8080", "", hook["url"])
    assert hook["url"].startswith("http://ingest:8080/")
    assert path in create_app(pollers=[]).openapi()["paths"]
    default_token = re.fullmatch(
        r"\$\{ALERTFLEET_INGEST_TOKEN:-(.+)\}", compose["x-alertfleet"]["environment"]["ALERTFLEET_INGEST_TOKEN"]
    )
    assert default_token is not None
    assert hook["http_config"]["authorization"] == {"type": "Bearer", "credentials": default_token.group(1)}
    scrape = yaml.safe_load((DEMO / "prometheus.yml").read_text())["scrape_configs"]
    assert ["ingest:8080"] in [job["static_configs"][0]["targets"] for job in scrape]


def test_hadolint_passes_the_dockerfile() -> None:
    done = run(tool("hadolint"), "--no-color", str(ROOT / "Dockerfile"))
    assert done.returncode == 0, done.stdout + done.stderr


def _instruction(name: str) -> list[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in text.splitlines() if line.startswith(name + " ")]


def test_every_entrypoint_the_image_calls_exists() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    (entrypoint,) = _instruction("ENTRYPOINT")
    (cmd,) = _instruction("CMD")
    (healthcheck,) = _instruction("HEALTHCHECK")
    assert yaml.safe_load(entrypoint) == ["alertfleet"] and "alertfleet" in scripts
    assert yaml.safe_load(cmd) == ["ingest"]
    module = re.search(r"-m\", \"([\w.]+)\"", healthcheck)
    assert module is not None and module.group(1) == "alertfleet.healthcheck"
    assert (ROOT / "alertfleet" / "healthcheck.py").is_file()
    assert "LITELLM_LOCAL_MODEL_COST_MAP=True" in (ROOT / "Dockerfile").read_text()
    (user,) = _instruction("USER")
    assert not user.startswith(("root", "0"))


def test_the_build_context_has_what_the_dockerfile_copies() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    copies = [c for c in _instruction("COPY") if not c.startswith("--from")]
    assert copies
    for copy in copies:
        *sources, _ = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert source.rstrip("/") not in ignored, f"{source} is excluded by .dockerignore"
    assert {"tests", ".venv", ".git", ".env"} <= ignored  # no test code, local venv, history or secrets
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    copied = {source.rstrip("/") for copy in copies for source in copy.split()[:-1]}
    assert set(packages["packages"]) <= copied, "every package the wheel ships is copied into the build"


@pytest.mark.parametrize(
    ("cmdline", "expected"),
    [
        (["/opt/alertfleet/bin/python", "/opt/alertfleet/bin/alertfleet", "ingest", "--workers", "2"], "ingest"),
        (["alertfleet", "worker", "--concurrency", "4"], "worker"),
        (["alertfleet", "flower"], "flower"),
        (["python", "-m", "tests.stubs.serve"], None),
    ],
)
def test_healthcheck_knows_the_role_of_each_container(cmdline: list[str], expected: str | None) -> None:
    assert role(cmdline) == expected


def _healthcheck(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    from tests.harness.processes import base_env

    return subprocess.run(
        [sys.executable, "-m", "alertfleet.healthcheck", *args],
        capture_output=True,
        text=True,
        env=base_env(**env),
        timeout=60,
    )


def test_worker_healthcheck_fails_without_its_broker(redis_url: str) -> None:
    from tests.harness.processes import free_port

    assert _healthcheck("worker", REDIS_URL=redis_url).returncode == 0
    down = _healthcheck("worker", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert down.returncode == 1 and "worker: ConnectionError" in down.stderr


def test_ingest_healthcheck_asks_healthz(redis_url: str, tmp_path: Path) -> None:
    from tests.harness.processes import base_env, start_ingest

    ingest, url = start_ingest(base_env(REDIS_URL=redis_url), tmp_path)
    try:
        port = url.rsplit(":", 1)[1]
        assert _healthcheck("ingest", ALERTFLEET_PORT=port).returncode == 0
        assert _healthcheck("ingest", "--port", port).returncode == 0  # the process's own --port wins
    finally:
        ingest.stop()
    assert _healthcheck("ingest", ALERTFLEET_PORT=port).returncode == 1


def test_readme_commands_render_the_chart() -> None:
    import shlex

    import helm_python as helm

    readme = (ROOT / "README.md").read_text()
    assert "docker compose --profile demo up" in readme
    command = re.search(r"^(helm install .*?)(?<!\\)\n", readme, re.M | re.S)
    assert command is not None
    words = shlex.split(command.group(1).replace("\\\n", " "))
    assert words[:4] == ["helm", "install", "alertfleet", "./helm/alertfleet"]
    sets = [words[i + 1] for i, word in enumerate(words) if word == "--set"]
    with helm.Chart.load(str(ROOT / "helm" / "alertfleet")) as chart:
        files = chart.render(helm.parse_set_string(",".join(sets)), name="alertfleet", namespace="alerting")
    deployment = files["alertfleet/templates/ingest-deployment.yaml"]
    assert "image: registry.example.com/alertfleet:0.1.0" in deployment
    assert "name: alertfleet" in deployment and '"openai/gpt-4.1-mini"' in deployment
