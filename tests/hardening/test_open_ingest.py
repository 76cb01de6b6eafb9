"""Ingest reachable from other machines without ALERTFLEET_INGEST_TOKEN says so once at start-up."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import INGEST_TOKEN
from tests.harness.processes import AlertfleetProcess, base_env, free_port, wait_for


def _started_output(redis_url: str, host: str, tmp_path_factory: pytest.TempPathFactory, **env: str) -> str:
    port = free_port()
    args = ["ingest", "--host", host, "--port", str(port)]
    proc = AlertfleetProcess(args, base_env(REDIS_URL=redis_url, **env), tmp_path_factory.mktemp("ingest"), "ingest")
    proc.start()
    try:

        def ready() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_for(ready, 30, 0.1), proc.output()
        assert wait_for(lambda: "ingest_started" in proc.output(), 10), proc.output()
        return proc.output()
    finally:
        proc.stop()


def test_all_interfaces_without_token_logs_one_warning(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    output = _started_output(redis_url, "0.0.0.0", tmp_path_factory)
    warnings = [line for line in output.splitlines() if "ingest_unauthenticated" in line]
    assert len(warnings) == 1, output
    assert '"level": "warning"' in warnings[0] and "ALERTFLEET_INGEST_TOKEN" in warnings[0]


@pytest.mark.parametrize(("host", "token"), [("127.0.0.1", None), ("0.0.0.0", INGEST_TOKEN)])
def test_loopback_or_token_logs_no_warning(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory, host: str, token: str | None
) -> None:
    env = {"ALERTFLEET_INGEST_TOKEN": token} if token else {}
    assert "ingest_unauthenticated" not in _started_output(redis_url, host, tmp_path_factory, **env)
