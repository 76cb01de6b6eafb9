"""The kubernetes toolset: the official client against a stub API server, via a kubeconfig the test writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from alertfleet.settings import Settings
from alertfleet.toolset_config import EffectiveToolsets, KubernetesSpec, effective_toolsets
from tests.stubs.kubernetes import TOKEN, KubernetesStub, event, pod
from tests.stubs.model import ModelStub
from tests.toolsets.helpers import investigate, results_by_tool, use_model_stub
from workers.investigator.toolsets.kubernetes import LOG_CHARS
from workers.investigator.toolsets.registry import build_toolbox


@pytest.fixture
def cluster() -> Iterator[KubernetesStub]:
    with KubernetesStub() as stub:
        stub.objects["pods"] = [pod("api-7d9f-abcde", "prod", restarts=4, waiting="CrashLoopBackOff"), pod("db-0", "prod")]
        stub.objects["events"] = [
            event("e1", "prod", "api-7d9f-abcde", "BackOff", "Back-off restarting failed container app", count=12),
            event("e2", "prod", "db-0", "Pulled", "Container image already present"),
        ]
        lines = [f"2026-11-29T10:00:{i % 60:02d}Z line {i} processing request" for i in range(20_000)]
        stub.logs[("prod", "api-7d9f-abcde", False)] = "\n".join([*lines, "FATAL newest: cannot connect to db-0:5432"]) + "\n"
        stub.logs[("prod", "api-7d9f-abcde", True)] = "panic: nil map write in handler.go:42\n"
        yield stub


@pytest.fixture
def kubeconfig(cluster: KubernetesStub, tmp_path: Path) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "stub", "cluster": {"server": cluster.base_url}}],
        "users": [{"name": "viewer", "user": {"token": TOKEN}}],
        "contexts": [{"name": "test", "context": {"cluster": "stub", "user": "viewer"}}],
    }))
    return path


def test_find_describe_events_and_logs_deserialise_and_reach_the_model(
    cluster: KubernetesStub, kubeconfig: Path, model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_model_stub(monkeypatch, model_stub)
    spec = EffectiveToolsets(kubernetes=KubernetesSpec(kubeconfig=str(kubeconfig)), tool_timeout=10)
    steps = [
        [("kubectl_find_resource", {"kind": "pod", "keyword": "api"}),
         ("kubectl_describe", {"kind": "pod", "name": "api-7d9f-abcde", "namespace": "prod"}),
         ("kubectl_events", {"namespace": "prod"})],
        [("kubectl_logs", {"name": "api-7d9f-abcde", "namespace": "prod", "tail": 2000}),
         ("kubectl_previous_logs", {"name": "api-7d9f-abcde", "namespace": "prod"}),
         ("kubectl_describe", {"kind": "pod", "name": "missing", "namespace": "prod"})],
    ]
    result, _ = investigate(model_stub, spec, steps)
    got = results_by_tool(model_stub, result)
    assert "prod/api-7d9f-abcde Running, restarts=4" in got["kubectl_find_resource"][0]
    assert "db-0" not in got["kubectl_find_resource"][0]
    described = got["kubectl_describe"][0]
    assert "CrashLoopBackOff" in described and "restartCount: 4" in described and "BackOff x12" in described
    assert "managedFields" not in described
    assert "Back-off restarting" in got["kubectl_events"][0] and "Container image already present" in got["kubectl_events"][0]
    logs = got["kubectl_logs"][0]
    assert "FATAL newest: cannot connect to db-0:5432" in logs, "the newest lines are kept"
    assert "line 17999 processing" not in logs and "line 19999" in logs, "tailed to 2000 lines"
    assert len(logs) < LOG_CHARS + 500
    assert "panic: nil map write" in got["kubectl_previous_logs"][0]
    missing = result.tool_calls[-1]
    assert missing.error is not None and 'pods "missing" not found' in missing.error
    assert cluster.violations == [], "only GETs"


def test_no_cluster_config_means_the_toolset_is_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    effective = effective_toolsets(Settings(), environ={"HOME": str(tmp_path)})
    assert effective.kubernetes is None
    toolbox = build_toolbox(effective)
    [state] = [t for t in toolbox.toolsets() if t.name == "kubernetes"]
    assert not state.enabled and "not configured" in state.reason
    assert not any(tool.name.startswith("kubectl_") for tool in toolbox.tools())


def test_a_kubeconfig_that_does_not_load_turns_the_toolset_off_with_the_reason(tmp_path: Path) -> None:
    broken = tmp_path / "kubeconfig"
    broken.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    toolbox = build_toolbox(EffectiveToolsets(kubernetes=KubernetesSpec(kubeconfig=str(broken))))
    [state] = [t for t in toolbox.toolsets() if t.name == "kubernetes"]
    assert not state.enabled and "no usable cluster config" in state.reason


def test_kubeconfig_from_the_environment_turns_it_on(kubeconfig: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    effective = effective_toolsets(Settings())
    assert effective.kubernetes == KubernetesSpec(kubeconfig=str(kubeconfig))
    assert effective.origin["kubernetes"] == "environment"


def test_enabled_in_the_file_without_a_path_finds_the_kubeconfig_like_the_environment(
    kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alertfleet.toolset_config import ToolsetsSpec

    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    chosen = effective_toolsets(Settings(), ToolsetsSpec(kubernetes=KubernetesSpec(enabled=True)))
    assert chosen.kubernetes == KubernetesSpec(enabled=True, kubeconfig=str(kubeconfig))
    off = effective_toolsets(Settings(), ToolsetsSpec(kubernetes=KubernetesSpec(enabled=False)))
    assert off.kubernetes is None, "enabled: false wins over KUBECONFIG"
