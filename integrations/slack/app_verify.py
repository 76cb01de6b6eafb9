"""Slack's request signature (v0 HMAC-SHA256 over `v0:{timestamp}:{raw body}`), checked by slack-sdk's
verifier, which also refuses a timestamp more than five minutes away (a replayed request)."""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.signature import SignatureVerifier


def signature_problem(secret: str, body: bytes, headers: Mapping[str, str]) -> str | None:
    """Why the request is not Slack's (None when it is); the reason never echoes what was sent."""
    lowered = {key.lower(): value for key, value in headers.items()}
    timestamp, signature = lowered.get("x-slack-request-timestamp"), lowered.get("x-slack-signature")
    if not timestamp or not signature:
        return "missing X-Slack-Signature or X-Slack-Request-Timestamp"
    if not timestamp.isdigit():
        return "X-Slack-Request-Timestamp is not a unix time"
    verifier = SignatureVerifier(secret)
    if abs(verifier.clock.now() - int(timestamp)) > 60 * 5:
        return "X-Slack-Request-Timestamp is more than 5 minutes away (a replay?)"
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        return "X-Slack-Signature does not match the body (check SLACK_SIGNING_SECRET)"
    return None
