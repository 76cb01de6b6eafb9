"""Secret redaction, in one place: every log line, tool result, post, dead letter and stored reason passes here.

Two kinds of secrets are masked: the values the fleet knows (every configured secret setting, registered
at start-up by alertfleet/log.py's `secrets_of`), and the shapes tokens have wherever they come from
(a key a provider's error quotes, a token a tool's output happens to print, credentials in a URL).

`redact` is safe for any text (links stay links, only their credentials go). `redact_error` is for
error text from outside — a model provider's or a vendor's answer — which also loses internal URLs and
hosts: an error names where it failed, and that says too much about the network to post it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

REDACTED = "***"
INTERNAL_URL = "[internal-url]"
INTERNAL_HOST = "[internal-host]"
MIN_SECRET_CHARS = 4

_secrets: set[str] = set()

# (pattern, replacement): token shapes, by who issues them. Each keeps its scheme word, so a reader
# still sees what kind of credential was there.
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{4,}"), REDACTED),  # chat-app bot/user/refresh tokens
    (re.compile(r"(?<![A-Za-z0-9])xapp-[A-Za-z0-9-]{4,}"), REDACTED),  # chat-app app-level tokens
    (re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{6,}"), REDACTED),  # model provider API keys
    (re.compile(r"(?<![A-Za-z0-9])(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{16,}"), REDACTED),
    (re.compile(r"(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{16,}"), REDACTED),
    # A word after the scheme is prose ("Bearer token required"); a credential has a digit or a symbol.
    (re.compile(r"\b(Bearer|Basic)\s+(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE), rf"\1 {REDACTED}"),
    (re.compile(r"\b(GenieKey)\s+(?=[A-Za-z]*[0-9._-])[A-Za-z0-9._-]{6,}", re.IGNORECASE), rf"\1 {REDACTED}"),
    (re.compile(r"\b(Token\s+token=)\"?[^\s\",;]+\"?", re.IGNORECASE), rf"\1{REDACTED}"),
    (
        re.compile(r"\b((?:api[_-]?key|apikey|access[_-]?token|auth[_-]?token|password|passwd|secret)=)[^&\s\"'<>]+", re.IGNORECASE),
        rf"\1{REDACTED}",
    ),
    # scheme://user:pass@host (or scheme://token@host): the credentials go, the link stays.
    (re.compile(r"\b([a-z][a-z0-9+.-]*://)[^/\s@<>\"'|]+@", re.IGNORECASE), rf"\1{REDACTED}@"),
)
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>|)\]]+", re.IGNORECASE)
_IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?(?![\w.])")
_INTERNAL_SUFFIXES = (".internal", ".local", ".localdomain", ".svc", ".cluster.local", ".lan", ".corp", ".home")


def register_secrets(values: Iterable[str | None]) -> None:
    """Remember secret values so that everything redacted from now on has them masked."""
    _secrets.update(value for value in values if value and len(value) >= MIN_SECRET_CHARS)


def known_secrets() -> frozenset[str]:
    return frozenset(_secrets)


def redact(text: str) -> str:
    """Known secret values (longest first, so a secret containing another goes whole) and token shapes."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return text


def _internal_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True  # an address literal names a machine, never a public service by name
    except ValueError:
        pass
    return host == "localhost" or "." not in host or host.endswith(_INTERNAL_SUFFIXES)


def _mask_url(match: re.Match[str]) -> str:
    url = match.group(0)
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return INTERNAL_URL
    return INTERNAL_URL if _internal_host(host) else url


def _mask_ip(match: re.Match[str]) -> str:
    try:
        ipaddress.ip_address(match.group(1))
    except ValueError:
        return match.group(0)  # a version number or the like, not an address
    return INTERNAL_HOST


def redact_error(text: str) -> str:
    """Error text from outside: `redact`, and internal URLs and addresses replaced by a placeholder."""
    text = _URL.sub(_mask_url, text)
    return redact(_IPV4.sub(_mask_ip, text))


def redact_value(value: Any) -> Any:
    """Every string in a JSON-like value redacted (keys included), the structure kept."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(k)) if isinstance(k, str) else k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    return value


def error_text(exc: BaseException, limit: int = 500) -> str:
    """An exception as the fleet may store, log or post it: type and message on one line, redacted as
    error text *before* it is cut to `limit` (a cut must never leave half a secret that no longer matches)."""
    message = " ".join(str(exc).split())
    return redact_error(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)[:limit]
