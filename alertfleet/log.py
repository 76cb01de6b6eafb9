"""structlog set-up with secret redaction: no token ever reaches a log line."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

from alertfleet.settings import FleetSettings

REDACTED = "***"
_secrets: set[str] = set()


def register_secrets(values: Iterable[str | None]) -> None:
    """Remember secret values so that every log line has them masked."""
    _secrets.update(value for value in values if value and len(value) >= 4)


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _redact_processor(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = redact(value)
        elif not isinstance(value, int | float | bool | type(None)):
            event_dict[key] = redact(str(value))
    return event_dict


class _RedactingFilter(logging.Filter):
    """Masks secrets in stdlib records too (celery, uvicorn, httpx)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            record.msg = redact(record.getMessage())
            record.args = None
        return True


def secrets_of(settings: FleetSettings) -> list[str | None]:
    import os

    from alertfleet.registry import integrations

    values: list[str | None] = [settings.ingest_token.get_secret_value() if settings.ingest_token else None]
    for name, value in os.environ.items():
        if name.endswith(("_API_KEY", "_TOKEN", "_SECRET", "_PASSWORD")):
            values.append(value)
    for integration in integrations():  # what only the integration knows is secret (e.g. header values)
        values.extend(integration.secrets(settings))
    return values


def configure_logging(settings: FleetSettings) -> None:
    register_secrets(secrets_of(settings))
    level = getattr(logging, settings.log_level)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "LiteLLM", "litellm"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            _redact_processor,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
