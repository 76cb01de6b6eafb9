"""`alertfleet flower`: Flower on the fleet's broker, behind FLOWER_BASIC_AUTH, refusing to run open."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.harness.processes import AlertfleetProcess, base_env, free_port, start_worker, wait_for

PASSWORD = "flower-pw-never-logged"


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alertfleet.cli", *args], capture_output=True, text=True, env=base_env(**env), timeout=60
    )


def test_flower_refuses_to_listen_beyond_loopback_without_auth(redis_url: str) -> None:
    done = run_cli("flower", "--host", "0.0.0.0", "--port", str(free_port()), REDIS_URL=redis_url)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "alertfleet: FLOWER_BASIC_AUTH (user:password) is required to serve Flower on 0.0.0.0; "
        "use --host 127.0.0.1 to run it without auth"
    ]


def test_a_malformed_basic_auth_stops_start_up(redis_url: str) -> None:
    done = run_cli("flower", REDIS_URL=redis_url, FLOWER_BASIC_AUTH="just-a-password")
    assert done.returncode == 2
    assert "invalid setting FLOWER_BASIC_AUTH: must be user:password" in done.stderr
    assert "just-a-password" not in done.stderr


def test_flower_sees_the_fleets_workers_behind_basic_auth(redis_url: str, tmp_path: Path) -> None:
    env = base_env(REDIS_URL=redis_url, FLOWER_BASIC_AUTH=f"ops:{PASSWORD}")
    worker = start_worker(env, tmp_path)
    port = free_port()
    flower = AlertfleetProcess(["flower", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path, "flower").start()
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                return httpx.get(url + "/healthcheck", timeout=2).status_code == 200  # probes need no credentials
            except httpx.HTTPError:
                return False

        assert wait_for(up, 60, 0.2), flower.output()
        assert httpx.get(url + "/api/workers", timeout=10).status_code == 401
        assert httpx.get(url + "/api/workers", auth=("ops", "wrong"), timeout=10).status_code == 401

        def sees_worker() -> bool:
            answer = httpx.get(url + "/api/workers", params={"refresh": "1"}, auth=("ops", PASSWORD), timeout=10)
            return answer.status_code == 200 and any(name.startswith("worker@") for name in answer.json())

        assert wait_for(sees_worker, 60, 0.5), flower.output()
    finally:
        flower.stop()
        worker.stop()
    assert PASSWORD not in flower.output()
