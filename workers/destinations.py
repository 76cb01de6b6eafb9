"""Where results go, and the writer for each destination (built through the registry, once per process).

Routing decides which destinations an investigation gets (alertfleet.routing), and the event's own
`writeback` targets are always added; each integration builds its writer from the settings one routed
destination's options give it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from alertfleet import registry
from alertfleet.integration import NotConfigured, has_writer
from alertfleet.models import Investigation, WriteTarget
from alertfleet.settings import FleetSettings, get_settings
from alertfleet.writing import Writer


def routed_destinations(investigation: Investigation, settings: FleetSettings) -> list[WriteTarget]:
    """What the matched route decided (kept on the investigation, see alertfleet.routing); records made
    without routing (one-shot CLI runs, older records) get every destination the environment sets up."""
    if investigation.route is not None:
        return list(investigation.route.targets)
    found = []
    for integration in registry.destinations():
        destination = integration.default_destination(settings)
        if destination is not None:
            found.append(WriteTarget(type=integration.name, target=integration.write_target(destination).target))
    return found


def destinations_for(investigation: Investigation, settings: FleetSettings) -> list[WriteTarget]:
    """Routed destinations plus the event's write-back targets, each (type, target) once, the route's
    options winning; nothing when the route skips the alert."""
    if investigation.route is not None and investigation.route.investigate == "skip":
        return []
    routed = routed_destinations(investigation, settings)
    # A routed destination without a target says how to write back to the source (an incident tool).
    how = {target.type: target.options for target in routed if not target.target}
    writeback = [w.model_copy(update={"options": how.get(w.type, w.options)}) for w in investigation.event.writeback]
    unique: dict[tuple[str, str], WriteTarget] = {}
    for target in [*(t for t in routed if t.target), *writeback]:
        unique.setdefault((target.type, target.target), target)
    return [target for target in unique.values() if writes_allowed(target, settings)]


def writes_allowed(target: WriteTarget, settings: FleetSettings) -> bool:
    """A source in read-only mode is read from, never written back to."""
    integration = registry.get(target.type)
    return integration is None or integration.writes_allowed(target.options, settings)


def build_writer(destination: str, settings: FleetSettings) -> Writer:
    integration = registry.get(destination)
    if integration is None or not has_writer(integration):
        raise NotConfigured(f"no writer for destination {destination!r}")

    def throttle() -> float:
        from workers.app import rate_limiter

        return rate_limiter().acquire(destination, "")

    return integration.writer(settings, throttle)


def settings_for(destination: str, options: Mapping[str, Any], settings: FleetSettings) -> FleetSettings:
    """The settings one routed destination's writer sees: the environment's, with its options applied
    (`token_env` names the variable holding the secret, so no secret travels in a task message)."""
    integration = registry.get(destination)
    if integration is None:
        if options:
            raise NotConfigured(f"{destination} destinations take no option {next(iter(options))!r}")
        return settings
    return integration.settings_for(options, settings)


@lru_cache(maxsize=64)
def writer_for(destination: str, options_json: str = "") -> Writer:
    """One writer per destination type and set of route options, per process."""
    options = json.loads(options_json) if options_json else {}
    return build_writer(destination, settings_for(destination, options, get_settings()))
