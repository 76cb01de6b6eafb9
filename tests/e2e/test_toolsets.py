"""Webhook -> real worker -> an investigation using prometheus, skills and an MCP tool -> Slack; the API
lists its tool calls."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml

from tests.conftest import INGEST_TOKEN, fleet_env, running_fleet
from tests.harness.alerts import webhook
from tests.harness.mcp import McpServerProcess
from tests.harness.processes import wait_for
from tests.harness.prometheus import Prometheus
from tests.stubs.mcp_server import TOKEN as MCP_TOKEN
from tests.stubs.model import ModelStub, ScriptedTools, tool_results
from tests.stubs.slack import SlackStub
from tests.toolsets.test_skills import write_skills

AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}


def test_investigation_with_prometheus_skills_and_mcp_posts_to_slack_and_lists_its_tool_calls(
    redis_url: str, slack_stub: SlackStub, model_stub: ModelStub, tmp_path: Path
) -> None:
    prometheus = Prometheus(tmp_path, {'demo_errors_total{job="api"}': lambda i: float(i * 3)}, 240, []).start()
    mcp = McpServerProcess(tmp_path).start()
    try:
        config = tmp_path / "alertfleet.yml"
        config.write_text(yaml.safe_dump({
            "destinations": {"oncall": {"type": "slack", "channel": "#alerts"}},
            "toolsets": {"skills": {"paths": [str(write_skills(tmp_path / "skills"))]}},
            "mcp_servers": {"grafana": {
                "url": mcp.url, "headers": {"Authorization": "Bearer ${GRAFANA_MCP_TOKEN}"},
                "tools": ["query_loki_logs"], "timeout": "10s",
            }},
            "route": {"destinations": ["oncall"], "toolsets": ["prometheus", "skills", "grafana"]},
        }))
        model_stub.responder = ScriptedTools([[
            ("execute_prometheus_instant_query", {"query": "demo_errors_total"}),
            ("fetch_skill", {"name": "crash-loop-triage"}),
            ("grafana__query_loki_logs", {"query": '{job="api"}'}),
        ]])
        env = fleet_env(
            redis_url, slack_stub, model_stub,
            ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN, ALERTFLEET_CONFIG=str(config),
            PROMETHEUS_URL=prometheus.url, GRAFANA_MCP_TOKEN=MCP_TOKEN,
        )
        with running_fleet(env, tmp_path) as fleet:
            assert wait_for(lambda: "toolsets_enabled" in fleet.worker.output(), 30), fleet.logs()
            response = httpx.post(f"{fleet.ingest_url}/api/webhooks/alertmanager", json=webhook("DemoHigh"), headers=AUTH, timeout=10)
            assert response.status_code == 202
            investigation_id = response.json()["investigation_ids"][0]
            assert wait_for(lambda: slack_stub.post_count() == 1, 60), fleet.logs()
            data = httpx.get(f"{fleet.ingest_url}/api/v1/investigations/{investigation_id}", headers=AUTH, timeout=5).json()
            worker_log = fleet.worker.output()
        message = slack_stub.messages_in("#alerts")[0]
        footer = message["blocks"][-1]["elements"][0]["text"]
        assert "3 tool calls" in footer
        calls = data["result"]["tool_calls"]
        assert [c["tool_name"] for c in calls] == ["execute_prometheus_instant_query", "fetch_skill", "grafana__query_loki_logs"]
        assert all(c["error"] is None for c in calls), [c["error"] for c in calls]
        assert all(isinstance(c["duration"], float) and c["duration"] >= 0 for c in calls)
        assert calls[2]["duration"] > 0, "an MCP round trip takes measurable time"
        assert calls[0]["arguments"] == {"query": "demo_errors_total"}
        received = tool_results(model_stub.completions)
        assert 'demo_errors_total{job="api"} = 717' in received[calls[0]["tool_call_id"]], "the series' last value"
        assert "Read the previous container's logs." in received[calls[1]["tool_call_id"]]
        assert "connection refused to db-primary" in received[calls[2]["tool_call_id"]]
        assert "toolsets_enabled" in worker_log and "prometheus, skills, grafana" in worker_log
        assert MCP_TOKEN not in worker_log, "header values are never logged"
        assert slack_stub.violations == []
    finally:
        mcp.stop()
        prometheus.stop()
