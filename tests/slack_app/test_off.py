"""Without SLACK_SIGNING_SECRET the Slack app's routes do not exist (404), and messages carry no buttons."""

from __future__ import annotations

import httpx

from tests.conftest import INGEST_TOKEN, Fleet
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.slack_app.conftest import SIGNING_SECRET
from tests.stubs.slack import SlackStub
from tests.stubs.slack_socket import signed_headers


def test_no_secret_means_404_and_no_buttons(fleet: Fleet, slack_stub: SlackStub) -> None:
    body = b'{"type": "url_verification", "challenge": "abc"}'
    for path in ("/api/webhooks/slack/events", "/api/webhooks/slack/interactions"):
        response = httpx.post(
            fleet.ingest_url + path, content=body, headers=signed_headers(SIGNING_SECRET, body), timeout=10
        )
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "SLACK_SIGNING_SECRET" in response.json()["detail"]
    posted = httpx.post(
        f"{fleet.ingest_url}/api/webhooks/alertmanager",
        json=webhook("NoApp"),
        headers={"Authorization": f"Bearer {INGEST_TOKEN}"},
        timeout=10,
    )
    assert posted.status_code == 202
    assert wait_for(lambda: slack_stub.post_count() == 1, 60), fleet.logs()
    assert not any(block["type"] == "actions" for block in slack_stub.messages[0]["blocks"])
