"""helm/alertfleet: linted and rendered by Helm's own Go library, every manifest schema-checked.

Four value sets: the defaults, the bundled Redis with everything optional on, external Redis with
KEDA, and ingress + ServiceMonitor + NetworkPolicy. Then the contract between chart and app: every
env name is a setting the app knows, probes hit routes the app serves, worker queues are the app's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml

from alertfleet.queue import ALL_QUEUES
from tests.deploy.known_env import deployable_env_names

CHART = Path(__file__).resolve().parents[2] / "helm" / "alertfleet"
# The oldest Kubernetes Chart.yaml's kubeVersion admits, and the newest kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.25.0", kubernetes_validate.utils.latest_version())

VALUE_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "bundled-redis": {
        "redis": {"enabled": True, "persistence": {"size": "2Gi"}, "maxmemory": "768mb"},
        "flower": {"enabled": True},
        "config": {
            "route": {"investigate": "enrich", "destinations": ["oncall"]},
            "destinations": {"oncall": {"type": "slack", "channel": "#oncall"}},
        },
        "autoscaling": {"enabled": True},
        "secrets": {"SLACK_BOT_TOKEN": "xoxb-1", "FLOWER_BASIC_AUTH": "admin:pw"},
    },
    "external-redis-keda": {
        "redis": {"enabled": False},
        "externalRedis": {"url": "rediss://:pw@redis.example:6380/0"},
        "autoscaling": {"keda": {"enabled": True, "address": "redis.example:6380", "authenticationRef": "redis-auth"}},
        "existingSecret": "alertfleet-secrets",
    },
    "ingress-monitoring-netpol": {
        "ingest": {
            "ingress": {
                "enabled": True,
                "className": "nginx",
                "tls": [{"secretName": "af-tls", "hosts": ["alertfleet.example.com"]}],
            }
        },
        "serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
        "networkPolicy": {"enabled": True, "ingestFrom": [{"namespaceSelector": {}}]},
        "flower": {"enabled": True},
        "secrets": {"FLOWER_BASIC_AUTH": "ops:pw", "ALERTFLEET_INGEST_TOKEN": "given-token"},
    },
}
# Custom resources have no schema in kubernetes-validate: their required fields are checked by hand.
CUSTOM_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor"), ("keda.sh/v1alpha1", "ScaledObject")}


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    with helm.Chart.load(str(CHART)) as chart:
        files = chart.render(values, name="af", namespace="alerting")
    return [doc for name, text in files.items() if name.endswith(".yaml") for doc in yaml.safe_load_all(text) if doc]


def containers(manifests: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in manifests:
        spec = doc.get("spec", {}).get("template", {}).get("spec", {})
        for container in spec.get("containers", []):
            yield doc["metadata"]["name"], container


@pytest.fixture(scope="module", params=sorted(VALUE_SETS))
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(VALUE_SETS[request.param])


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_helm_lint_is_clean(name: str) -> None:
    report = helm.lint(str(CHART), VALUE_SETS[name], strict=True, kube_version="v" + KUBERNETES_VERSIONS[-1])
    problems = [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]
    assert problems == []


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_validates_against_kubernetes(rendered: tuple[str, list[dict[str, Any]]], version: str) -> None:
    _, manifests = rendered
    assert manifests
    for doc in manifests:
        if (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS:
            continue
        kubernetes_validate.validate(doc, version, strict=True)


def test_chart_env_names_are_settings_the_app_knows(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, manifests = rendered
    names = {env["name"] for _, c in containers(manifests) if c["name"] != "redis" for env in c.get("env", [])}
    assert names, "no env rendered"
    assert names - deployable_env_names() == set()


def test_probes_hit_routes_the_app_serves(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    from flower.urls import handlers as flower_handlers

    from ingest.app import create_app

    ingest_paths = set(create_app(pollers=[]).openapi()["paths"])
    flower_patterns = [h.regex if hasattr(h, "regex") else re.compile(h[0]) for h in flower_handlers]
    served = {
        "ingest": lambda path: path in ingest_paths,
        "flower": lambda path: any(pattern.fullmatch(path) for pattern in flower_patterns),
    }
    _, manifests = rendered
    checked = 0
    for _, container in containers(manifests):
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            http = container.get(probe, {}).get("httpGet")
            if http is not None:
                assert served[container["name"]](http["path"]), (container["name"], probe, http["path"])
                checked += 1
    assert checked >= 2


def test_worker_consumes_every_queue_the_app_routes_to() -> None:
    (worker,) = [c for name, c in containers(render({})) if name.endswith("-worker")]
    queues = worker["args"][worker["args"].index("--queues") + 1]
    assert set(queues.split(",")) == set(ALL_QUEUES)


def test_keda_scales_on_every_queue_of_the_external_redis() -> None:
    manifests = render(VALUE_SETS["external-redis-keda"])
    (scaled,) = [d for d in manifests if d["kind"] == "ScaledObject"]
    assert scaled["spec"]["scaleTargetRef"]["name"] == "af-alertfleet-worker"
    triggers = scaled["spec"]["triggers"]
    assert {t["metadata"]["listName"] for t in triggers} == set(ALL_QUEUES)
    assert {t["metadata"]["address"] for t in triggers} == {"redis.example:6380"}
    assert not [d for d in manifests if d["kind"] in ("HorizontalPodAutoscaler", "StatefulSet")]


def test_service_monitor_scrapes_ingest_metrics() -> None:
    manifests = render(VALUE_SETS["ingress-monitoring-netpol"])
    (monitor,) = [d for d in manifests if d["kind"] == "ServiceMonitor"]
    (service,) = [d for d in manifests if d["kind"] == "Service" and d["metadata"]["name"] == "af-alertfleet-ingest"]
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    assert monitor["spec"]["endpoints"][0]["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["spec"]["selector"].items()


def test_defaults_are_safe() -> None:
    manifests = render({})
    kinds = {d["kind"] for d in manifests}
    assert "NetworkPolicy" in kinds and "Ingress" not in kinds
    assert not [d for d in manifests if d["metadata"]["name"].endswith("-flower")]
    for _, container in containers(manifests):
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
    for doc in manifests:
        pod = doc.get("spec", {}).get("template", {}).get("spec")
        if pod is not None:
            assert pod["securityContext"]["runAsNonRoot"] is True
            assert pod["automountServiceAccountToken"] is False
    (secret,) = [d for d in manifests if d["kind"] == "Secret"]
    assert "ALERTFLEET_INGEST_TOKEN" in secret["data"], "API routes must need a token: one is generated"


def test_secret_values_reach_the_secret_and_a_given_token_is_kept() -> None:
    import base64

    manifests = render(VALUE_SETS["ingress-monitoring-netpol"])
    (secret,) = [d for d in manifests if d["kind"] == "Secret"]
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data == {"FLOWER_BASIC_AUTH": "ops:pw", "ALERTFLEET_INGEST_TOKEN": "given-token"}
    external = render(VALUE_SETS["external-redis-keda"])
    assert not [d for d in external if d["kind"] == "Secret"], "existingSecret: the chart creates none"
    (ingest,) = [c for name, c in containers(external) if name.endswith("-ingest")]
    env = {e["name"]: e for e in ingest["env"]}
    assert env["REDIS_URL"]["value"] == "rediss://:pw@redis.example:6380/0"  # given, so never dropped
    assert env["SLACK_BOT_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "alertfleet-secrets"


def test_config_is_mounted_as_a_directory_so_reloads_reach_the_pods() -> None:
    manifests = render(VALUE_SETS["bundled-redis"])
    (configmap,) = [d for d in manifests if d["kind"] == "ConfigMap"]
    assert yaml.safe_load(configmap["data"]["alertfleet.yaml"])["route"]["investigate"] == "enrich"
    for _, container in containers(manifests):
        if container["name"] == "redis":
            continue
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["ALERTFLEET_CONFIG"] == "/etc/alertfleet/alertfleet.yaml"
        (mount,) = [m for m in container["volumeMounts"] if m["name"] == "config"]
        assert mount["mountPath"] == "/etc/alertfleet" and "subPath" not in mount


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"redis": {"enabled": False}}, "externalRedis.url or externalRedis.existingSecret"),
        ({"externalRedis": {"url": "redis://x:6379/0"}}, "set redis.enabled=false"),
        (
            {
                "redis": {"enabled": False},
                "externalRedis": {"url": "redis://x:6379/0"},
                "autoscaling": {"keda": {"enabled": True}},
            },
            "autoscaling.keda.address",
        ),
        ({"flower": {"enabled": True}}, "secrets.FLOWER_BASIC_AUTH"),
        ({"redis": {"enable": False}}, "additional properties 'enable' not allowed"),  # a typo is not ignored
        ({"worker": {"concurrency": "many"}}, "concurrency"),
    ],
)
def test_contradicting_values_are_refused_not_dropped(values: dict[str, Any], message: str) -> None:
    with pytest.raises(helm.HelmError, match=message):
        render(values)
