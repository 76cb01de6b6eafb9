"""WEBHOOK_HEADERS and WEBHOOK_SECRET reach WEBHOOK_URL on every path; YAML header values stay in the worker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.conftest import INGEST_TOKEN, fleet_env, running_fleet
from tests.harness.alertmanager import Alertmanager
from tests.harness.alerts import webhook
from tests.harness.processes import base_env, free_port, wait_for
from tests.stubs.slack import SlackStub
from tests.stubs.webhook import WebhookStub

AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}
SIGNING_KEY = "env-signing-key-0001"
ENV_HEADERS = {"WEBHOOK_HEADERS": "Authorization: Bearer abc-env-0001; X-Team: ${TEAM_NAME}", "TEAM_NAME": "sre"}
REQUIRED = {"Authorization": "Bearer abc-env-0001", "X-Team": "sre"}


def _post(url: str, name: str) -> str:
    response = httpx.post(f"{url}/api/webhooks/alertmanager", json=webhook(name), headers=AUTH, timeout=10)
    assert response.status_code == 202, response.text
    investigation_id: str = response.json()["investigation_ids"][0]
    return investigation_id


def _everything_in(client: redis.Redis) -> str:
    """Every value Redis holds (records, queues, streams, leases, dead letters) as one text."""
    parts: list[Any] = []
    for key in client.scan_iter("*"):
        kind = client.type(key).decode()
        if kind == "string":
            parts.append(client.get(key))
        elif kind == "hash":
            parts.append(client.hgetall(key))
        elif kind == "list":
            parts.append(client.lrange(key, 0, -1))
        elif kind == "stream":
            parts.append(client.xrange(key))
        elif kind == "zset":
            parts.append(client.zrange(key, 0, -1))
        elif kind == "set":
            parts.append(client.smembers(key))
    return repr(parts)


def test_default_route_sends_the_environments_headers_and_signature(
    redis_url: str, slack_stub: SlackStub, tmp_path: Path
) -> None:
    with WebhookStub(secret=SIGNING_KEY, required_headers=REQUIRED) as receiver:
        env = fleet_env(
            redis_url,
            slack_stub,
            None,
            ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN,
            WEBHOOK_URL=receiver.url,
            WEBHOOK_SECRET=SIGNING_KEY,
            **ENV_HEADERS,
        )
        with running_fleet(env, tmp_path) as fleet:
            investigation_id = _post(fleet.ingest_url, "EnvHeaders")
            assert wait_for(lambda: len(receiver.deliveries) == 1, 60), fleet.logs() + str(receiver.violations)
        assert receiver.violations == []
        [delivery] = receiver.deliveries
        assert delivery.json["investigation_id"] == investigation_id
        assert delivery.headers["authorization"] == "Bearer abc-env-0001"
        assert delivery.headers["x-alertfleet-signature"].startswith("sha256=")


def test_yaml_header_values_are_resolved_in_the_worker_never_stored(
    redis_url: str, redis_client: redis.Redis, slack_stub: SlackStub, tmp_path: Path
) -> None:
    literal = "literal-header-value-0001"
    with WebhookStub(secret="named-key-0001", required_headers={"X-Literal": literal, "X-Ref": "ref-0001"}) as hook:
        config = tmp_path / "alertfleet.yaml"
        config.write_text(
            "destinations:\n"
            f"  audit: {{type: webhook, url: '{hook.url}', secret_env: AUDIT_KEY,\n"
            f"          headers: {{X-Literal: {literal}, X-Ref: '${{AUDIT_REF}}'}}}}\n"
            "route: {investigate: enrich, destinations: [audit]}\n"
        )
        env = fleet_env(
            redis_url,
            slack_stub,
            None,
            ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN,
            ALERTFLEET_CONFIG=str(config),
            AUDIT_KEY="named-key-0001",
            AUDIT_REF="ref-0001",
        )
        with running_fleet(env, tmp_path) as fleet:
            _post(fleet.ingest_url, "YamlHeaders")
            assert wait_for(lambda: len(hook.deliveries) == 1, 60), fleet.logs() + str(hook.violations)
            stored = _everything_in(redis_client)
        assert hook.violations == []
        assert literal not in stored and "ref-0001" not in stored and "named-key-0001" not in stored


@pytest.mark.parametrize("flag", [False, True])
def test_cli_destination_webhook_sends_the_environments_headers(tmp_path: Path, flag: bool) -> None:
    with WebhookStub(secret=SIGNING_KEY, required_headers=REQUIRED) as receiver:
        alertmanager = Alertmanager(f"http://127.0.0.1:{free_port()}/unused", "t", tmp_path).start()
        try:
            alertmanager.post_alerts("CliHeaders", ["pod-0"])
            assert wait_for(lambda: "CliHeaders" in httpx.get(alertmanager.url + "/api/v2/alerts").text, 20)
            args = ["investigate", "alertmanager", "--alertmanager-url", alertmanager.url, "--destination", "webhook"]
            args += ["--webhook-url", receiver.url] if flag else []
            env = base_env(WEBHOOK_URL=receiver.url, WEBHOOK_SECRET=SIGNING_KEY, **ENV_HEADERS)
            done = subprocess.run(
                [sys.executable, "-m", "alertfleet.cli", *args], env=env, capture_output=True, text=True, timeout=120
            )
        finally:
            alertmanager.stop()
        assert done.returncode == 0, done.stderr
        assert receiver.violations == []
        [delivery] = receiver.deliveries
        assert delivery.headers["authorization"] == "Bearer abc-env-0001"


def test_a_webhook_destination_gone_from_the_config_is_refused_by_name() -> None:
    from alertfleet.config import parse_config
    from alertfleet.settings import Settings
    from workers.destinations import UnknownDestination, settings_for

    settings = Settings.model_validate({})
    config = parse_config("route: {investigate: enrich}\n", settings, environ={})
    with pytest.raises(UnknownDestination, match=r"'audit' .* is no longer in the routing config"):
        settings_for("webhook", {"url": "http://127.0.0.1:9/h", "destination": "audit"}, settings, config)
