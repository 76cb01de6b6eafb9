"""Bearer token (or basic-auth password, as Alertmanager's basic_auth sends), compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress

import structlog

from ingest.problems import Problem

log = structlog.get_logger("ingest")


def _presented_secret(authorization: str) -> str | None:
    scheme, _, value = authorization.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


def check_token(expected: str | None, authorization: str | None) -> None:
    """Raise a 401 Problem unless the request carries the configured token."""
    if expected is None:
        return
    presented = _presented_secret(authorization or "")
    if presented is None or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Problem(
            401,
            "Unauthorized",
            "missing or invalid credentials: send 'Authorization: Bearer <ALERTFLEET_INGEST_TOKEN>'",
            "unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="alertfleet"'},
        )


def is_loopback(host: str) -> bool:
    """Only 127.0.0.0/8, ::1 and `localhost` keep the webhooks unreachable from other machines."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name may resolve to anything: assume reachable


def warn_if_open(host: str, token: str | None) -> bool:
    """One start-up warning when anyone who can reach `host` may post alerts (no ALERTFLEET_INGEST_TOKEN)."""
    if token or is_loopback(host):
        return False
    log.warning(
        "ingest_unauthenticated",
        host=host,
        advice="webhooks accept any request: set ALERTFLEET_INGEST_TOKEN, or listen on 127.0.0.1",
    )
    return True
