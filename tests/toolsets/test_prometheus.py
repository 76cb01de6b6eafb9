"""The prometheus toolset against the real `prometheus` binary over promtool-backfilled series."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from alertfleet.toolset_config import EffectiveToolsets, PrometheusSpec
from tests.harness.prometheus import Prometheus
from tests.stubs.model import ModelStub
from tests.toolsets.helpers import MODEL, alert_event, investigate, results_by_tool, use_model_stub
from workers.investigator.result_cap import count_tokens, result_token_cap

POINTS = 720  # three hours of 15 s samples per series


def _api(i: int) -> float:
    return 300.0 if i == 500 else float(10 + i % 7)  # one spike: the point that matters


SERIES = {
    'demo_requests_in_flight{instance="api-0",job="demo"}': _api,
    'demo_requests_in_flight{instance="api-1",job="demo"}': lambda i: 42.0,
    **{f'demo_queue_depth{{queue="q{n:03d}",job="demo"}}': (lambda i, n=n: float(n * 1000 + i)) for n in range(150)},
}
RULES = [{"alert": "DemoHigh", "expr": "demo_requests_in_flight > 40", "for": "1m", "labels": {"severity": "page"}}]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    server = Prometheus(tmp_path_factory.mktemp("prom"), SERIES, POINTS, RULES).start()
    yield server
    server.stop()


def _toolsets(prometheus: Prometheus) -> EffectiveToolsets:
    return EffectiveToolsets(prometheus=PrometheusSpec(url=prometheus.url), tool_timeout=20)


def test_instant_and_range_answers_hold_the_series_values(
    prometheus: Prometheus, model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_model_stub(monkeypatch, model_stub)
    expr = "demo_requests_in_flight > 40"
    event = alert_event(generatorURL=f"http://prometheus:9090/graph?g0.expr={expr.replace(' ', '+').replace('>', '%3E')}&g0.tab=1")
    steps = [
        [
            ("execute_prometheus_instant_query", {"query": 'demo_requests_in_flight{instance="api-1"}'}),
            ("execute_prometheus_range_query", {"query": 'demo_requests_in_flight{instance="api-0"}', "start": "-3h", "step": "15s"}),
        ],
        [("list_prometheus_rules", {}), ("get_label_values", {"label": "instance"}), ("get_metric_names", {"match": "demo_"})],
        [("get_series", {"match": "demo_requests_in_flight"})],
    ]
    result, script = investigate(model_stub, _toolsets(prometheus), steps, event)

    assert result.mode == "llm"
    prompt = model_stub.completions[0]["messages"][1]["content"]
    assert f"The alert's expression (PromQL): {expr}" in prompt
    assert "execute_prometheus_range_query" in script.offered[0]
    received = results_by_tool(model_stub, result)
    instant = received["execute_prometheus_instant_query"][0]
    assert 'demo_requests_in_flight{instance="api-1",job="demo"} = 42' in instant
    summary = received["execute_prometheus_range_query"][0]
    assert "max=300" in summary and "min=10" in summary and "last=" in summary
    assert "largest change +" in summary
    assert len(re.findall(r"\d+\.\d+\s*$", summary, flags=re.MULTILINE)) < 10, "summarised, not raw points"
    assert "DemoHigh" in received["list_prometheus_rules"][0] and "demo_requests_in_flight > 40" in received["list_prometheus_rules"][0]
    assert "api-0" in received["get_label_values"][0] and "api-1" in received["get_label_values"][0]
    assert "demo_queue_depth" in received["get_metric_names"][0]
    assert "2 series" in received["get_series"][0]
    assert all(call.error is None for call in result.tool_calls), result.tool_calls
    assert [c.tool_name for c in result.tool_calls][:2] == ["execute_prometheus_instant_query", "execute_prometheus_range_query"]
    assert all(call.duration > 0 for call in result.tool_calls)


def test_range_over_many_series_reaches_the_model_summarised_under_its_cap(
    prometheus: Prometheus, model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_model_stub(monkeypatch, model_stub)
    steps = [[("execute_prometheus_range_query", {"query": "demo_queue_depth", "start": "-3h", "step": "15s"})]]
    result, _ = investigate(model_stub, _toolsets(prometheus), steps)
    [text] = results_by_tool(model_stub, result)["execute_prometheus_range_query"]
    assert "150 series" in text and re.search(r'queue="q000"\}: 7[12]\d points', text)
    assert "last=719" in text and "max=719" in text, "the exporter's values, per series"
    assert count_tokens(MODEL, text) <= result_token_cap(MODEL)
    # 150 x 720 raw samples would be ~100k values; the model got per-series summaries, then a cut marker.
    assert "[truncated:" in text or "more series" in text


def test_bad_promql_is_the_tools_result_not_a_failed_investigation(
    prometheus: Prometheus, model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_model_stub(monkeypatch, model_stub)
    steps = [[("execute_prometheus_instant_query", {"query": "sum(("}), ("execute_prometheus_instant_query", {})]]
    result, _ = investigate(model_stub, _toolsets(prometheus), steps)
    bad_query, no_query = result.tool_calls
    assert bad_query.error is not None and "HTTP 400" in bad_query.error and "parse error" in bad_query.error
    assert no_query.error == "argument 'query' is required"
    received = results_by_tool(model_stub, result)["execute_prometheus_instant_query"]
    assert received[0].startswith("error: ") and "parse error" in received[0]
    assert result.mode == "llm" and result.sections.key_findings


def test_unreachable_prometheus_costs_one_tool_error(model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_model_stub(monkeypatch, model_stub)
    from tests.harness.processes import free_port

    spec = EffectiveToolsets(prometheus=PrometheusSpec(url=f"http://127.0.0.1:{free_port()}"), tool_timeout=5)
    result, _ = investigate(model_stub, spec, [[("execute_prometheus_instant_query", {"query": "up"})]])
    assert result.tool_calls[0].error is not None and "ConnectError" in result.tool_calls[0].error
    assert result.mode == "llm"


def test_prometheus_headers_from_the_environment_are_sent_expanded(
    model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alertfleet.settings import Settings
    from alertfleet.toolset_config import effective_toolsets
    from tests.stubs.http import RecordedRequest, StubResponse, StubServer

    class Proxy(StubServer):
        """Stands in for an authenticating proxy in front of Prometheus."""

        def handle(self, req: RecordedRequest) -> StubResponse:
            if req.headers.get("authorization") != "Bearer prom-secret-1":
                return StubResponse(401, {"status": "error", "errorType": "auth", "error": "unauthorized"})
            return StubResponse(200, {"status": "success", "data": {"resultType": "vector", "result": [
                {"metric": {"__name__": "up", "job": "api"}, "value": [1_700_000_000, "1"]}]}})

    use_model_stub(monkeypatch, model_stub)
    monkeypatch.setenv("PROM_TOKEN", "prom-secret-1")
    with Proxy() as proxy:
        settings = Settings(PROMETHEUS_URL=proxy.base_url, PROMETHEUS_HEADERS="Authorization: Bearer ${PROM_TOKEN}; X-Scope-OrgID: team-a")
        effective = effective_toolsets(settings, environ={})
        result, _ = investigate(model_stub, effective, [[("execute_prometheus_instant_query", {"query": "up"})]])
        [request] = proxy.requests
    assert request.headers["x-scope-orgid"] == "team-a"
    assert result.tool_calls[0].error is None
    assert 'up{job="api"} = 1' in results_by_tool(model_stub, result)["execute_prometheus_instant_query"][0]
