"""Who may call the HTTP API (chat, investigate, sessions): they spend model money.

Tokens come from ALERTFLEET_API_TOKENS (comma-separated), presented as `Authorization: Bearer <token>`
or `X-API-Key: <token>` and compared in constant time. Without tokens, the API is open only on a
loopback address, or when ALERTFLEET_API_ALLOW_UNAUTHENTICATED=true says so on purpose.
"""

from __future__ import annotations

import hmac
import ipaddress

from starlette.datastructures import Headers

from alertfleet.settings import Settings
from ingest.problems import Problem

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="alertfleet-api"'}
# `alertfleet ingest --host` tells its uvicorn processes where they listen (not a user setting).
LISTEN_HOST_ENV = "ALERTFLEET_LISTEN_HOST"


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False  # unknown (not started by `alertfleet ingest`): assume reachable
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def open_without_token(settings: Settings, listen_host: str | None) -> bool:
    return settings.api_allow_unauthenticated or is_loopback(listen_host)


def startup_warning(settings: Settings, listen_host: str | None) -> str | None:
    """The one line start-up logs when the API has no tokens (refusing, or open on purpose)."""
    if settings.api_token_values():
        return None
    if settings.api_allow_unauthenticated and not is_loopback(listen_host):
        return "ALERTFLEET_API_ALLOW_UNAUTHENTICATED=true: the HTTP API answers anyone who can reach it"
    if not open_without_token(settings, listen_host):
        return (
            f"no ALERTFLEET_API_TOKENS and ingest listens on {listen_host or 'a non-loopback address'}: "
            "the HTTP API (chat, investigate, sessions) answers 401 until tokens are set "
            "(or ALERTFLEET_API_ALLOW_UNAUTHENTICATED=true)"
        )
    return None


def presented_token(headers: Headers) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return headers.get("x-api-key") or None


def token_matches(presented: str, tokens: list[str]) -> bool:
    # Compare against every token (no early exit), so timing says nothing about which one is close.
    matches = [hmac.compare_digest(presented.encode(), token.encode()) for token in tokens]
    return any(matches)


def unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, "unauthorized", headers=_CHALLENGE)


def check_api_token(settings: Settings, listen_host: str | None, headers: Headers) -> None:
    """Raise a 401 Problem unless the request may use the API."""
    tokens = settings.api_token_values()
    if not tokens:
        if open_without_token(settings, listen_host):
            return
        raise unauthorized(
            "the HTTP API is closed: ingest listens on a non-loopback address and ALERTFLEET_API_TOKENS is not set"
        )
    presented = presented_token(headers)
    if presented is None or not token_matches(presented, tokens):
        raise unauthorized("missing or invalid API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
