"""The worker's toolbox: built (MCP servers listed, one log line of what is on) when the worker is ready,
rebuilt when the routing file changes."""

from __future__ import annotations

from typing import Any

import structlog
from celery.signals import worker_ready

from alertfleet.settings import get_settings
from workers.investigator.toolsets.registry import Toolbox, toolbox_for
from workers.route_config import routing

log = structlog.get_logger("worker")


def current_toolbox() -> Toolbox:
    return toolbox_for(get_settings(), routing().current())


def _build_at_start(**_: Any) -> None:
    try:
        current_toolbox()
    except Exception as exc:  # never stop the worker: investigations build it again and report the error
        log.error("toolsets_failed", error=f"{type(exc).__name__}: {exc}")


worker_ready.connect(_build_at_start, weak=False)
