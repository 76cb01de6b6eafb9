"""Bearer token (or basic-auth password, as Alertmanager's basic_auth sends), compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac

from ingest.problems import Problem


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
