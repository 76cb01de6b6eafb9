"""What every fuzzed request must come to: a 4xx problem, or a 202 whose investigations all end."""

from __future__ import annotations

import httpx

from tests.conftest import INGEST_TOKEN, Fleet
from tests.harness.processes import wait_for

ENDED = ("completed", "failed")


def assert_answer(response: httpx.Response, case: str) -> list[str]:
    """The investigation ids a 202 names; a 200 is HolmesGPT's finished answer (its work has ended: it must
    carry the analysis); a 4xx must be problem+json; anything else fails the case."""
    if response.status_code == 200:
        assert response.json().get("analysis"), f"{case}: a 200 without an analysis"
        return []
    if response.status_code == 202:
        ids: list[str] = response.json().get("investigation_ids", [])
        return ids
    assert 400 <= response.status_code < 500, f"{case}: {response.status_code} {response.text[:300]}"
    assert response.headers["content-type"] == "application/problem+json", case
    problem = response.json()
    assert problem["status"] == response.status_code and problem["detail"], case
    return []


def assert_all_end(client: httpx.Client, fleet: Fleet, investigation_ids: list[str], timeout: float = 180) -> None:
    """Every accepted investigation ends (completed or failed), and no fleet process died on the way."""
    headers = {"Authorization": f"Bearer {INGEST_TOKEN}"}
    waiting = set(investigation_ids)

    def ended() -> bool:
        for investigation_id in list(waiting):
            response = client.get(f"/api/v1/investigations/{investigation_id}", headers=headers)
            assert response.status_code == 200, f"{investigation_id}: {response.status_code} {response.text[:300]}"
            if response.json()["status"] in ENDED:
                waiting.discard(investigation_id)
        return not waiting

    assert wait_for(ended, timeout, 0.5), f"still open: {sorted(waiting)}\n{fleet.logs()[-5000:]}"
    for process in (fleet.ingest, fleet.worker):
        assert process.process is not None and process.process.poll() is None, fleet.logs()[-5000:]
