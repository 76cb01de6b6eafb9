"""Where the fleet finds its integrations (and, later, its toolsets): one line per vendor.

Adding a vendor = a folder `integrations/<vendor>/` exposing `integration` + one line in
INTEGRATIONS. ALERTFLEET_INTEGRATIONS ("package.module:attr,...") adds integrations that live
outside this repository (a plugin, or a test's throwaway vendor) in every process that reads it.

This is the one module of `alertfleet/` that imports integration modules (lazily, on first use):
the core and both roles ask it instead of naming a vendor.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic_settings import BaseSettings

from alertfleet.integration import Integration, has_writer

if TYPE_CHECKING:
    from alertfleet.settings import FleetSettings

# name -> "module:attribute" of its Integration instance. Order is the order of listings and messages.
INTEGRATIONS: dict[str, str] = {
    "alertmanager": "integrations.alertmanager:integration",
    "holmes_api": "integrations.holmes_api:integration",
    "slack": "integrations.slack:integration",
    "pagerduty": "integrations.pagerduty:integration",
    "opsgenie": "integrations.opsgenie:integration",
    "webhook": "integrations.webhook:integration",
    "jira": "integrations.jira:integration",
    "github": "integrations.github:integration",
}
# name -> "module:attribute" of a toolset (workers/investigator/toolsets/), listed the same way.
TOOLSETS: dict[str, str] = {}

EXTRA_ENV = "ALERTFLEET_INTEGRATIONS"

_lock = threading.Lock()
_loaded: dict[str, Integration[Any]] | None = None
_settings_class: type[BaseSettings] | None = None


class RegistryError(Exception):
    """An integration that cannot be loaded: a broken install or a bad ALERTFLEET_INTEGRATIONS entry."""


def _import(spec: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute or "integration")
    except (ImportError, AttributeError) as exc:
        raise RegistryError(f"cannot load integration {spec!r}: {type(exc).__name__}: {exc}") from None


def _load() -> dict[str, Integration[Any]]:
    global _loaded
    with _lock:
        if _loaded is None:
            specs = list(INTEGRATIONS.values())
            specs += [part.strip() for part in os.environ.get(EXTRA_ENV, "").split(",") if part.strip()]
            found: dict[str, Integration[Any]] = {}
            for spec in specs:
                integration = _import(spec)
                if not isinstance(integration, Integration):
                    raise RegistryError(f"{spec!r} is not an alertfleet.integration.Integration")
                found.setdefault(integration.name, integration)
            _loaded = found
        return _loaded


def register(integration: Integration[Any]) -> None:
    """Add an integration in this process (tests; ALERTFLEET_INTEGRATIONS reaches other processes)."""
    global _settings_class
    _load()[integration.name] = integration
    _settings_class = None


def integrations() -> list[Integration[Any]]:
    return list(_load().values())


def get(name: str) -> Integration[Any] | None:
    return _load().get(name)


def destinations() -> list[Integration[Any]]:
    """Integrations that write (each has a `write.<name>` queue)."""
    return [integration for integration in integrations() if has_writer(integration)]


def destination_models() -> list[type[BaseModel]]:
    """The YAML destination models, for the routing file's `destinations:` union."""
    return [i.destination_model for i in integrations() if i.destination_model is not None]


def by_destination(destination: BaseModel) -> Integration[Any]:
    """The integration a parsed YAML destination belongs to (by its `type:`)."""
    integration = get(str(getattr(destination, "type", "")))
    if integration is None:
        raise RegistryError(f"no integration for destination type {getattr(destination, 'type', None)!r}")
    return integration


def settings_class(base: type[FleetSettings]) -> type[FleetSettings]:
    """The fleet's settings: `base` (its own) with every integration's settings mixin, validated as one."""
    global _settings_class
    cached = _settings_class
    if cached is None or not issubclass(cached, base):
        mixins = tuple(dict.fromkeys(i.settings_model for i in integrations() if i.settings_model is not None))
        # pydantic collects fields base-last-first: this order keeps the fleet's own fields (and their
        # error lines) first, then each integration's in registry order.
        bases = (*reversed(mixins), base)
        cached = type("Settings", bases, {"__module__": base.__module__, "__doc__": base.__doc__})
        _settings_class = cached
    return cached  # type: ignore[return-value]


def toolsets() -> Iterator[tuple[str, Any]]:
    """Registered toolsets, imported on demand (workers only)."""
    for name, spec in TOOLSETS.items():
        yield name, _import(spec)
