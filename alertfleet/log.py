"""structlog set-up with secret redaction: no token ever reaches a log line."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from alertfleet.headers import secret_values as header_secret_values
from alertfleet.redaction import REDACTED, redact, register_secrets
from alertfleet.settings import FleetSettings

__all__ = ["REDACTED", "configure_logging", "redact", "register_secrets", "secrets_of"]


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
        record.msg = redact(record.getMessage())  # known values and token shapes alike
        record.args = None
        return True


def secrets_of(settings: FleetSettings) -> list[str | None]:
    import os

    from alertfleet.registry import integrations

    values: list[str | None] = [settings.ingest_token.get_secret_value() if settings.ingest_token else None]
    values.extend(settings.api_token_values())
    if settings.flower_basic_auth is not None:  # the pairs and each password alone
        pairs = settings.flower_basic_auth.get_secret_value().split(",")
        values += [settings.flower_basic_auth.get_secret_value(), *pairs, *(p.partition(":")[2] for p in pairs)]
    for name, value in os.environ.items():
        if name.endswith(("_API_KEY", "_TOKEN", "_SECRET", "_PASSWORD", "_SECRET_KEY", "_ACCESS_KEY")):
            values.append(value)
    # PROMETHEUS_HEADERS carries credentials (the prometheus toolset sends them), expanded or not.
    with contextlib.suppress(ValueError):  # validated at start-up; nothing to mask if a variable vanished
        values.extend(header_secret_values(settings.prometheus_header_map()))
    if settings.prometheus_headers is not None:
        values.append(settings.prometheus_headers.get_secret_value())
    for integration in integrations():  # what only the integration knows is secret (e.g. header values)
        values.extend(integration.secrets(settings))
    return values


def configure_logging(settings: FleetSettings) -> None:
    """JSON lines on stderr for structlog and stdlib loggers alike (celery, uvicorn, httpx), secrets masked.

    Called by every process the fleet starts: the CLI, each uvicorn worker (ingest.app:serve_app) and
    the dispatcher child, so a second uvicorn worker logs exactly like the first.
    """
    register_secrets(secrets_of(settings))
    level = getattr(logging, settings.log_level)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso"),
    ]
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RedactingFilter())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _redact_processor,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # warnings.warn (celery's SecurityWarning, ...) as JSON log lines too
    for noisy in ("httpx", "httpcore", "LiteLLM", "litellm"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    for name in ("uvicorn", "uvicorn.error", "celery"):  # their own handlers would bypass the JSON renderer
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    structlog.configure(
        processors=[*shared, _redact_processor, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
