"""The webhook destination: HolmesGPT's payload, headers and signature, retry classification, idempotency."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest
import redis

from alertfleet.models import Event, Investigation, InvestigationResult, Sections, WriteRecord
from alertfleet.settings import Settings
from alertfleet.usage import Usage
from alertfleet.writing import RateLimited, WriteError
from integrations.webhook.render import render_payload
from integrations.webhook.writer import SIGNATURE_HEADER, WebhookEndpoint, WebhookWriter, signature
from tests.stubs.webhook import WebhookStub
from workers.destinations import build_writer
from workers.writes import perform_write

MOMENT = datetime(2026, 11, 29, 10, 30, 0, 123456, tzinfo=UTC)


def _settings(**env: str) -> Settings:
    """Settings from these variables only (the test process's environment is not read)."""
    return Settings.model_validate(env)


def _investigation(analysis: str = "Full analysis text...") -> Investigation:
    sections = Sections(
        alert_explanation="api pods are OOM-killed",
        key_findings="- 5 restarts",
        root_causes="memory leak",
        next_steps="1. raise limits",
    )
    usage = Usage(model_calls=3, prompt_tokens=1400, completion_tokens=100, total_tokens=1500, cost_usd=0.0123)
    result = InvestigationResult(
        analysis=analysis, sections=sections, model="sonnet", mode="llm", token_count=1500, usage=usage
    )
    event = Event(source="alertmanager", title="why is payment-service crashing?", group_key="g")
    return Investigation(id="inv-7", problem_key="p" * 64, status="completed", event=event, result=result)


def _writer(endpoints: dict[str, WebhookEndpoint] | None = None, timeout: float = 5.0) -> WebhookWriter:
    return WebhookWriter(endpoints, timeout=timeout, clock=lambda: MOMENT)


def test_payload_is_the_holmes_shape_with_alertfleet_ids() -> None:
    assert render_payload(_investigation(), MOMENT) == {
        "timestamp": "2026-11-29T10:30:00Z",
        "source": "alertfleet",
        "type": "investigation",
        "investigation_id": "inv-7",
        "dedup_key": "p" * 64,
        "data": {
            "query": "why is payment-service crashing?",
            "analysis": "Full analysis text...",
            "sections": {
                "alert_explanation": "api pods are OOM-killed",
                "key_findings": "- 5 restarts",
                "root_causes": "memory leak",
                "next_steps": "1. raise limits",
            },
            "model": "sonnet",
            "token_count": 1500,
            "usage": {
                "model_calls": 3,
                "prompt_tokens": 1400,
                "completion_tokens": 100,
                "total_tokens": 1500,
                "cost_usd": 0.0123,
            },
            "partial": False,
            "partial_reason": None,
        },
    }


def test_delivery_carries_headers_and_a_verifiable_signature(webhook_stub: WebhookStub) -> None:
    webhook_stub.secret = "hook-secret"
    endpoint = WebhookEndpoint({"Authorization": "Bearer abc"}, secret="hook-secret")
    result = _writer({webhook_stub.url: endpoint}).write(_investigation(), webhook_stub.url, None)
    assert result.action == "created" and webhook_stub.violations == []
    [delivery] = webhook_stub.deliveries
    assert delivery.json == render_payload(_investigation(), MOMENT)
    assert delivery.headers["authorization"] == "Bearer abc"
    assert delivery.headers["content-type"] == "application/json"
    expected = "sha256=" + hmac.new(b"hook-secret", delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers[SIGNATURE_HEADER.lower()] == expected == signature("hook-secret", delivery.body)


def test_unsigned_delivery_is_refused_by_a_receiver_that_expects_one(webhook_stub: WebhookStub) -> None:
    webhook_stub.secret = "hook-secret"
    with pytest.raises(WriteError) as caught:
        _writer().write(_investigation(), webhook_stub.url, None)
    assert (caught.value.recoverable, caught.value.reason.split(":")[0]) == (False, "webhook answered 401")


def test_environment_headers_expand_variables_and_apply_to_webhook_url_only(
    webhook_stub: WebhookStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_TOKEN", "tok-123")
    settings = _settings(
        WEBHOOK_URL=webhook_stub.url,
        WEBHOOK_HEADERS="Authorization: Bearer ${HOOK_TOKEN}; X-Team: sre",
        WEBHOOK_SECRET="s3",
    )
    writer = build_writer("webhook", settings)
    writer.write(_investigation(), webhook_stub.url, None)
    other = webhook_stub.url + "?other=1"
    writer.write(_investigation(), other, None)
    first, second = webhook_stub.deliveries
    assert (first.headers["authorization"], first.headers["x-team"]) == ("Bearer tok-123", "sre")
    assert first.headers[SIGNATURE_HEADER.lower()] == signature("s3", first.body)
    assert "authorization" not in second.headers and SIGNATURE_HEADER.lower() not in second.headers


def test_redelivery_posts_once_and_a_changed_result_posts_again(
    webhook_stub: WebhookStub, redis_client: redis.Redis
) -> None:
    writer, current = _writer(), [_investigation()]
    outcomes = [perform_write(redis_client, writer, "inv-7", webhook_stub.url, lambda _i: current[0]) for _ in "ab"]
    assert [o.action for o in outcomes if o] == ["created", "unchanged"]
    current[0] = _investigation(analysis="A better analysis")
    changed = perform_write(redis_client, writer, "inv-7", webhook_stub.url, lambda _i: current[0])
    assert changed is not None and changed.action == "updated"
    assert [d.json["data"]["analysis"] for d in webhook_stub.deliveries] == [
        "Full analysis text...",
        "A better analysis",
    ]


def test_the_timestamp_alone_does_not_make_a_new_delivery(webhook_stub: WebhookStub) -> None:
    first = _writer().write(_investigation(), webhook_stub.url, None)
    later = WebhookWriter(clock=lambda: datetime(2027, 1, 1, tzinfo=UTC))
    record = WriteRecord(
        destination="webhook", target=webhook_stub.url, external_id="x", content_hash=first.content_hash
    )
    assert later.write(_investigation(), webhook_stub.url, record).action == "unchanged"


@pytest.mark.parametrize(
    ("status", "headers", "recoverable", "retry_after"),
    [
        (500, {}, True, None),
        (503, {"Retry-After": "9"}, True, 9.0),
        (408, {}, True, None),
        (429, {"Retry-After": "4"}, True, 4.0),
        (400, {}, False, None),
        (404, {}, False, None),
        (410, {}, False, None),
        (301, {"Location": "https://elsewhere.example/hook"}, False, None),
    ],
)
def test_status_classification(
    webhook_stub: WebhookStub, status: int, headers: dict[str, str], recoverable: bool, retry_after: float | None
) -> None:
    webhook_stub.fail_next(1, status, headers, body={"error": "nope"})
    with pytest.raises(WriteError) as caught:
        _writer().write(_investigation(), webhook_stub.url, None)
    assert (caught.value.recoverable, caught.value.retry_after) == (recoverable, retry_after)
    assert isinstance(caught.value, RateLimited) == (status == 429)
    assert webhook_stub.deliveries == []


def test_timeout_and_unreachable_are_recoverable(webhook_stub: WebhookStub) -> None:
    webhook_stub.delay_seconds = 2.0
    with pytest.raises(WriteError) as caught:
        _writer(timeout=0.3).write(_investigation(), webhook_stub.url, None)
    assert caught.value.recoverable and caught.value.reason == "webhook timed out"
    with pytest.raises(WriteError) as down:
        _writer().write(_investigation(), "http://127.0.0.1:9/hook", None)
    assert down.value.recoverable and "unreachable" in down.value.reason


def test_receiver_answer_is_kept_short_in_the_reason(webhook_stub: WebhookStub) -> None:
    webhook_stub.fail_next(1, 422, body={"error": "x" * 1000})
    with pytest.raises(WriteError) as caught:
        _writer().write(_investigation(), webhook_stub.url, None)
    assert caught.value.reason.startswith("webhook answered 422: ") and len(caught.value.reason) < 260
