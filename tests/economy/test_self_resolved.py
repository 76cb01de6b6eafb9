"""Self-resolved problems cost nothing: resolved before a worker started it -> 0 model calls, nothing
posted, recorded as resolved-before-investigation; with ALERTFLEET_DEBOUNCE a flap inside the window
is the same; a resolution after the post updates the post to say resolved."""

from __future__ import annotations

from tests.economy.conftest import Economy, alert
from tests.harness.processes import wait_for
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub
from tests.stubs.webhook import WebhookStub

SKIPPED = ("alertfleet_investigations_skipped_total", (("reason", "resolved-before-investigation"),))


def _assert_nothing_spent(
    economy: Economy, investigation_id: str, model_stub: ModelStub, slack_stub: SlackStub, webhook: WebhookStub
) -> None:
    data = economy.wait_status(investigation_id, "resolved-before-investigation", "completed", "failed")
    assert data["status"] == "resolved-before-investigation", data
    assert data["resolved"] is True and data["result"] is None
    assert data["usage"]["model_calls"] == 0 and model_stub.completions == []
    assert wait_for(lambda: economy.metrics().get(SKIPPED) == 1, 30), economy.metrics()
    # The resolve task ran too (nothing to update): still nothing posted anywhere.
    assert not wait_for(lambda: slack_stub.post_count() > 0 or len(webhook.deliveries) > 0, 3)


def test_resolved_before_the_worker_picked_it_up_is_not_investigated(
    economy: Economy, model_stub: ModelStub, slack_stub: SlackStub, webhook_receiver: WebhookStub
) -> None:
    economy.start_ingest()  # no worker yet: the investigation cannot start before its resolution
    investigation_id = economy.post(alert("SelfHealing"))
    assert economy.post(alert("SelfHealing", status="resolved")) == investigation_id
    economy.start_worker()
    _assert_nothing_spent(economy, investigation_id, model_stub, slack_stub, webhook_receiver)


def test_debounced_flap_costs_nothing(
    economy: Economy, model_stub: ModelStub, slack_stub: SlackStub, webhook_receiver: WebhookStub
) -> None:
    economy.env["ALERTFLEET_DEBOUNCE"] = "8"
    economy.start_ingest()
    economy.start_worker()
    investigation_id = economy.post(alert("Flapping"))
    assert economy.post(alert("Flapping", status="resolved")) == investigation_id
    _assert_nothing_spent(economy, investigation_id, model_stub, slack_stub, webhook_receiver)


def test_debounce_still_investigates_what_stays_firing(
    economy: Economy, model_stub: ModelStub, slack_stub: SlackStub
) -> None:
    economy.env["ALERTFLEET_DEBOUNCE"] = "2"
    economy.start_ingest()
    economy.start_worker()
    data = economy.wait_status(economy.post(alert("StaysFiring")), "completed", "failed")
    assert data["status"] == "completed" and data["usage"]["model_calls"] > 0
    assert wait_for(lambda: slack_stub.post_count() == 1, 60), economy.logs()


def test_resolution_after_the_post_updates_it_to_say_resolved(
    economy: Economy, model_stub: ModelStub, slack_stub: SlackStub
) -> None:
    economy.start_ingest()
    economy.start_worker()
    investigation_id = economy.post(alert("LateResolve"))
    assert wait_for(lambda: slack_stub.post_count() == 1, 60), economy.logs()
    calls = len(model_stub.completions)
    assert economy.post(alert("LateResolve", status="resolved")) == investigation_id
    assert wait_for(lambda: slack_stub.update_count() == 1, 60), economy.logs()
    assert slack_stub.messages_in("#alerts")[0]["text"].startswith(":white_check_mark: *Resolved*")
    assert economy.investigation(investigation_id)["status"] == "completed"
    assert len(model_stub.completions) == calls  # the resolution is not investigated again
