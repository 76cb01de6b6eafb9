"""MCP servers as toolsets: a real server built with the SDK, over streamable HTTP, in its own process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alertfleet.toolset_config import EffectiveToolsets, McpServerSpec
from tests.harness.mcp import McpServerProcess
from tests.stubs.mcp_server import TOKEN
from tests.stubs.model import ModelStub
from tests.toolsets.helpers import investigate, results_by_tool, use_model_stub
from workers.investigator.toolsets import mcp as mcp_toolset
from workers.investigator.toolsets.registry import build_toolbox

AUTH = {"Authorization": "Bearer ${GRAFANA_MCP_TOKEN}"}


@pytest.fixture(scope="module")
def mcp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[McpServerProcess]:
    server = McpServerProcess(tmp_path_factory.mktemp("mcp")).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAFANA_MCP_TOKEN", TOKEN)


def _spec(url: str, **changes: object) -> EffectiveToolsets:
    server = McpServerSpec(url=url, headers=AUTH, **changes)  # type: ignore[arg-type]
    return EffectiveToolsets(mcp_servers={"grafana": server}, tool_timeout=10)


def test_allowed_tools_are_offered_and_a_result_reaches_the_model(
    mcp_server: McpServerProcess, model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_model_stub(monkeypatch, model_stub)
    spec = _spec(mcp_server.url, tools=["query_loki_logs", "search_dashboards"])
    steps = [[("grafana__query_loki_logs", {"query": '{app="api"} |= "ERROR"'})]]
    result, script = investigate(model_stub, spec, steps)
    offered = script.offered[0]
    assert "grafana__query_loki_logs" in offered and "grafana__search_dashboards" in offered
    assert not any("delete_dashboard" in name or "slow_tool" in name for name in offered), "the allow-list hides the rest"
    [text] = results_by_tool(model_stub, result)["grafana__query_loki_logs"]
    assert "connection refused to db-primary:5432" in text and '{app="api"}' in text
    assert result.tool_calls[0].error is None


def test_without_an_allow_list_every_tool_is_offered(mcp_server: McpServerProcess) -> None:
    toolbox = build_toolbox(_spec(mcp_server.url))
    names = {tool.name for tool in toolbox.tools()}
    assert {"grafana__delete_dashboard", "grafana__slow_tool", "grafana__query_loki_logs"} <= names


def test_a_server_that_sleeps_past_the_timeout_is_one_tool_error(
    mcp_server: McpServerProcess, model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_model_stub(monkeypatch, model_stub)
    spec = _spec(mcp_server.url, timeout="1s")
    steps = [[("grafana__slow_tool", {"seconds": 8}), ("grafana__search_dashboards", {"query": "api"})]]
    result, _ = investigate(model_stub, spec, steps)
    slow, fast = result.tool_calls
    assert slow.error is not None and "within 1s" in slow.error
    assert fast.error is None and "API latency" in results_by_tool(model_stub, result)["grafana__search_dashboards"][0]
    assert result.mode == "llm" and result.sections.alert_explanation, "the investigation completed"


def test_a_wrong_token_is_the_tools_error_and_the_token_is_never_in_it(
    mcp_server: McpServerProcess, model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_model_stub(monkeypatch, model_stub)
    monkeypatch.setenv("GRAFANA_MCP_TOKEN", "wrong-token-123")
    result, _ = investigate(model_stub, _spec(mcp_server.url), [[("grafana__search_dashboards", {"query": "x"})]])
    error = result.tool_calls[0].error
    assert error is not None and "the tool failed" in error and "bearer token" in error
    assert "wrong-token-123" not in error


def test_a_server_down_at_start_up_joins_when_it_comes_back(
    tmp_path: Path, model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_model_stub(monkeypatch, model_stub)
    late = McpServerProcess(tmp_path)
    toolbox = build_toolbox(_spec(late.url))
    [state] = [t for t in toolbox.toolsets() if t.name == "grafana"]
    assert not state.enabled and "unreachable" in state.reason
    assert not any(tool.name.startswith("grafana__") for tool in toolbox.tools())
    late.start()
    try:
        monkeypatch.setattr(mcp_toolset, "RELIST_SECONDS", 0.0)
        server = toolbox.mcp[0]
        monkeypatch.setattr(server, "_next_try", 0.0)
        result, script = investigate(model_stub, toolbox, [[("grafana__search_dashboards", {"query": "api"})]])
        assert "grafana__search_dashboards" in script.offered[0]
        assert result.tool_calls[0].error is None
    finally:
        late.stop()


def test_a_server_restarting_between_calls_costs_nothing(
    tmp_path: Path, model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_model_stub(monkeypatch, model_stub)
    server = McpServerProcess(tmp_path).start()
    try:
        toolbox = build_toolbox(_spec(server.url))
        server.stop()
        down, _ = investigate(model_stub, toolbox, [[("grafana__search_dashboards", {"query": "a"})]])
        assert down.tool_calls[0].error is not None and "MCP server grafana" in down.tool_calls[0].error
        server.start()
        up, _ = investigate(model_stub, toolbox, [[("grafana__search_dashboards", {"query": "b"})]])
        assert up.tool_calls[0].error is None
    finally:
        server.stop()


def test_an_sse_server_works_the_same(tmp_path: Path, model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch) -> None:
    use_model_stub(monkeypatch, model_stub)
    server = McpServerProcess(tmp_path, transport="sse").start()
    try:
        result, script = investigate(model_stub, _spec(server.url), [[("grafana__query_loki_logs", {"query": "x"})]])
    finally:
        server.stop()
    assert "grafana__query_loki_logs" in script.offered[0]
    assert result.tool_calls[0].error is None, result.tool_calls[0].error
    assert "connection refused to db-primary" in results_by_tool(model_stub, result)["grafana__query_loki_logs"][0]
