"""GitHub webhooks: `issues` events (`opened`, `labeled`, `reopened`) in, stored like any source's events.

`X-Hub-Signature-256` (`sha256=` HMAC-SHA256 of the raw body with GITHUB_WEBHOOK_SECRET) is the
authentication: GitHub cannot send the ingest token. A redelivery (same `X-GitHub-Delivery`, same
body) and a replay have the dedup key of the original, which comes from the signed body — an
attacker who changes the unsigned delivery header still gets a duplicate. `ping` and other events
are answered and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from pydantic import BaseModel, ConfigDict

from alertfleet.integration import SourceEvent, WebhookOutcome, WebhookSource
from alertfleet.settings import FleetSettings
from integrations.github.settings import GitHubSettings
from integrations.github.source import SOURCE, dedup_key, event_from_issue, has_labels, repository_of

HANDLED_ACTIONS = ("opened", "labeled", "reopened")


class WebhookPayload(BaseModel):
    """The parts of a delivery alertfleet reads; the rest is kept, not refused."""

    model_config = ConfigDict(extra="allow")

    action: str | None = None
    issue: dict[str, Any] | None = None
    comment: dict[str, Any] | None = None
    repository: dict[str, Any] | None = None
    zen: str | None = None  # only `ping` deliveries carry it
    hook_id: int | None = None


def sign(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value GitHub sends for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# The settings of the ingest serving this delivery. `WebhookSource.outcome` is given the payload only,
# but the route asks `secret(settings)` first, in the same request task: remembered here for `outcome`.
_serving: ContextVar[GitHubSettings | None] = ContextVar("github_webhook_settings", default=None)


def _secret(settings: FleetSettings) -> str | None:
    own = settings if isinstance(settings, GitHubSettings) else None
    _serving.set(own)
    secret = own.github_webhook_secret if own is not None else None
    return secret.get_secret_value() if secret is not None and secret.get_secret_value() else None


def _verify(secret: str, raw: bytes, headers: Mapping[str, str]) -> bool:
    given = headers.get("x-hub-signature-256") or ""
    return given.startswith("sha256=") and hmac.compare_digest(given.encode(), sign(secret, raw).encode())


def _settings() -> GitHubSettings | None:
    serving = _serving.get()
    if serving is not None:
        return serving
    from alertfleet.settings import get_settings

    settings = get_settings()
    return settings if isinstance(settings, GitHubSettings) else None


def outcome(payload: Any) -> WebhookOutcome:
    """An opened, labeled or reopened issue of GITHUB_REPOSITORY (when set) with every GITHUB_LABELS
    label; pings, comments, pull requests and other actions change nothing."""
    assert isinstance(payload, WebhookPayload)
    if payload.zen is not None:
        return WebhookOutcome("ping", status_code=200)  # GitHub shows a ping answered 200 as delivered
    if payload.issue is None or payload.comment is not None:
        return WebhookOutcome("issue_comment" if payload.comment is not None else "unsupported")
    event_type = f"issues.{payload.action}"
    issue = payload.issue
    repository = str((payload.repository or {}).get("full_name") or repository_of(issue))
    settings = _settings()
    wanted_repository = settings.github_repository if settings is not None else None
    labels = settings.github_labels if settings is not None else []
    if (
        payload.action not in HANDLED_ACTIONS
        or "pull_request" in issue
        or (wanted_repository and wanted_repository.lower() != repository.lower())
        or not has_labels(issue, labels)
    ):
        return WebhookOutcome(event_type)
    trigger = f"reopened:{issue.get('updated_at', '')}" if payload.action == "reopened" else ""
    event = SourceEvent(event_from_issue(issue, repository), dedup_key(repository, issue, trigger))
    return WebhookOutcome(event_type, [event])


WEBHOOK = WebhookSource(
    path="/api/webhooks/github",
    summary="GitHub webhooks: issues events (signed)",
    source=SOURCE,
    secret=_secret,
    not_configured="GitHub webhooks are off: set GITHUB_WEBHOOK_SECRET",
    verify=_verify,
    bad_signature="missing or invalid X-Hub-Signature-256 (sha256= HMAC-SHA256 of the body with GITHUB_WEBHOOK_SECRET)",
    payload_model=WebhookPayload,
    outcome=outcome,
)
