"""The `toolsets:` / `mcp_servers:` / route `toolsets:` config: validated by `config check`, inherited by
routes, merged with the environment (file wins), and shown by `alertfleet toolsets list`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from alertfleet.config import ConfigError, parse_config
from alertfleet.models import Event
from alertfleet.routing import decide
from alertfleet.settings import Settings
from alertfleet.toolset_config import PrometheusSpec, effective_toolsets
from tests.harness.mcp import McpServerProcess
from tests.harness.processes import base_env
from tests.stubs.mcp_server import TOKEN

ISSUE_SHAPE = """
toolsets:
  prometheus: {url: http://prometheus:9090}
  alertmanager: {url: http://alertmanager:9093}
  kubernetes: {enabled: true}
  skills: {paths: [/etc/alertfleet/skills]}
  http: {allowed_hosts: [wiki.example.com, grafana.example.com]}
mcp_servers:
  grafana:
    url: http://mcp-grafana:8000/mcp
    headers: {Authorization: "Bearer ${GRAFANA_MCP_TOKEN}"}
    tools: [search_dashboards, query_loki_logs]
    timeout: 20s
route:
  model: openai/gpt-4.1-mini
  toolsets: [prometheus, alertmanager, skills]
  routes:
    - matchers: [team="db"]
    - matchers: [team="k8s"]
      toolsets: [kubernetes, grafana]
"""


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alertfleet.cli", *args], env=base_env(**env), capture_output=True, text=True, timeout=60
    )


def test_the_issue_shape_parses_and_routes_inherit_their_toolsets() -> None:
    config = parse_config(ISSUE_SHAPE, Settings(), environ={"GRAFANA_MCP_TOKEN": "t"})
    assert config.toolsets.prometheus == PrometheusSpec(url="http://prometheus:9090")
    assert config.mcp_servers["grafana"].timeout == 20.0
    assert config.mcp_servers["grafana"].tools == ["search_dashboards", "query_loki_logs"]
    db = decide(config, Event(source="t", title="x", labels={"team": "db"}))
    k8s = decide(config, Event(source="t", title="x", labels={"team": "k8s"}))
    assert db.toolsets == ["prometheus", "alertmanager", "skills"], "inherited from the parent"
    assert k8s.toolsets == ["kubernetes", "grafana"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("toolsets:\n  promethus: {url: http://p:9090}\nroute: {}\n", "toolsets.promethus: unknown key"),
        ("toolsets:\n  prometheus: {url: prometheus:9090}\nroute: {}\n", "toolsets.prometheus.url: must be an http:// or https:// URL"),
        ("mcp_servers:\n  g: {url: http://m/mcp, headers: {X-Key: '${MISSING_VAR}'}}\nroute: {}\n",
         "mcp_servers.g.headers.X-Key: environment variable MISSING_VAR is not set"),
        ("mcp_servers:\n  g: {url: ftp://m/mcp}\nroute: {}\n", "mcp_servers.g.url: must be an http:// or https:// URL"),
        ("mcp_servers:\n  g: {url: http://m/mcp, timeout: soon}\nroute: {}\n", "mcp_servers.g.timeout: must be seconds or a duration such as 90s, 90m, 24h, 7d"),
        ("route:\n  toolsets: [prometheus, grafna]\n", "route.toolsets[1]: unknown toolset 'grafna' (one of prometheus, alertmanager, kubernetes, skills, http)"),
        ("route:\n  routes:\n    - matchers: [a=b]\n      toolsets: [http]\n",
         "route.routes[0].toolsets[0]: toolset 'http' is not configured (set toolsets.http in the file or ALERTFLEET_FETCH_ALLOWED_HOSTS)"),
    ],
)
def test_each_problem_is_one_line_naming_its_place(text: str, line: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Settings(PROMETHEUS_URL=None), environ={})
    assert line in caught.value.problems, caught.value.problems


def test_config_check_exits_2_with_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("toolsets:\n  skills: {paths: []}\nroute: {}\n")
    done = _run(["config", "check", str(bad)])
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert f"alertfleet: {bad}: toolsets.skills.paths: List should have at least 1 item after validation, not 0" in lines
    bad.write_text("route:\n  toolsets: [nope]\n")
    again = _run(["config", "check", str(bad)])
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        f"alertfleet: {bad}: route.toolsets[0]: unknown toolset 'nope' (one of prometheus, alertmanager, kubernetes, skills, http)"
    ]


def test_the_file_wins_over_the_environment() -> None:
    settings = Settings(PROMETHEUS_URL="http://from-env:9090", ALERTMANAGER_URL="http://am-env:9093")
    config = parse_config("toolsets:\n  prometheus: {url: http://from-file:9090}\nroute: {}\n", settings)
    effective = effective_toolsets(settings, config.toolsets, config.mcp_servers, environ={})
    assert effective.prometheus is not None and effective.prometheus.url == "http://from-file:9090"
    assert effective.alertmanager is not None and effective.alertmanager.url == "http://am-env:9093"
    assert effective.origin == {"prometheus": "file", "alertmanager": "environment"}


def test_toolsets_list_shows_on_off_why_and_the_mcp_servers_tools(tmp_path: Path) -> None:
    down = McpServerProcess(tmp_path)
    up = McpServerProcess(tmp_path).start()
    try:
        config = tmp_path / "c.yml"
        config.write_text(
            f"mcp_servers:\n  grafana: {{url: '{up.url}', headers: {{Authorization: 'Bearer ${{T}}'}}, tools: [query_loki_logs]}}\n"
            f"  broken: {{url: '{down.url}', timeout: 3s}}\nroute: {{}}\n"
        )
        done = _run(["toolsets", "list", "--config", str(config)], PROMETHEUS_URL="http://127.0.0.1:9", T=TOKEN, HOME=str(tmp_path))
    finally:
        up.stop()
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert "always: get_alert_group" in out
    assert "prometheus: on — http://127.0.0.1:9, from the environment" in out
    assert any(line.startswith("  tools: execute_prometheus_instant_query, execute_prometheus_range_query") for line in out)
    assert "alertmanager: off — not configured (toolsets.alertmanager or ALERTMANAGER_URL)" in out
    assert "kubernetes: off — not configured (toolsets.kubernetes or KUBECONFIG, or run in-cluster)" in out
    grafana = out.index(next(line for line in out if line.startswith("grafana (MCP server): on")))
    assert "search_dashboards" in out[grafana] and "delete_dashboard" in out[grafana], "the allow-list hid them"
    assert out[grafana + 1] == "  tools: grafana__query_loki_logs"
    assert any(line.startswith("broken (MCP server): off — unreachable: ") for line in out)
    assert TOKEN not in done.stdout + done.stderr
