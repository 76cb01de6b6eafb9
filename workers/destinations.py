"""Where results go, and the writer for each destination type (built from settings, once per process).

A new destination registers a builder in WRITER_BUILDERS; routing decides which destinations an
investigation gets, and the event's own `writeback` targets are always added.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from pydantic import SecretStr

from alertfleet.config import RoutingConfig, WebhookDestination
from alertfleet.models import Investigation, WriteTarget
from alertfleet.settings import Settings, get_settings
from integrations.base import Writer
from integrations.slack.writer import SlackWriter


class UnknownDestination(LookupError):
    """No writer can be built for a destination: a configuration problem, dead-lettered with this reason."""


def routed_destinations(investigation: Investigation, settings: Settings) -> list[WriteTarget]:
    """What the matched route decided (kept on the investigation, see alertfleet.routing); records made
    without routing (one-shot CLI runs, older records) get every destination the environment sets up."""
    if investigation.route is not None:
        return list(investigation.route.targets)
    found = []
    if settings.slack_bot_token and settings.slack_channel:
        found.append(WriteTarget(type="slack", target=settings.slack_channel))
    if settings.webhook_url:
        found.append(WriteTarget(type="webhook", target=settings.webhook_url))
    return found


def destinations_for(investigation: Investigation, settings: Settings) -> list[WriteTarget]:
    """Routed destinations plus the event's write-back targets, each (type, target) once, the route's
    options winning; nothing when the route skips the alert."""
    if investigation.route is not None and investigation.route.investigate == "skip":
        return []
    routed = routed_destinations(investigation, settings)
    # A routed destination without a target (PagerDuty, OpsGenie) says how to write back to the source.
    how = {target.type: target.options for target in routed if not target.target}
    writeback = [w.model_copy(update={"options": how.get(w.type, w.options)}) for w in investigation.event.writeback]
    unique: dict[tuple[str, str], WriteTarget] = {}
    for target in [*(t for t in routed if t.target), *writeback]:
        unique.setdefault((target.type, target.target), target)
    return [target for target in unique.values() if writes_allowed(target, settings)]


def writes_allowed(target: WriteTarget, settings: Settings) -> bool:
    """A source in read-only mode is read from, never written back to."""
    mode = target.options.get("mode")  # a routed destination's `mode:` overrides the environment's
    if target.type == "pagerduty":
        return (mode or settings.pagerduty_mode) != "read-only"
    return not (target.type == "opsgenie" and (mode or settings.opsgenie_mode) == "read-only")


def _slack_writer(settings: Settings) -> Writer:
    if settings.slack_bot_token is None:
        raise UnknownDestination("slack destination needs SLACK_BOT_TOKEN")
    return SlackWriter(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)


def _opsgenie_writer(settings: Settings) -> Writer:
    from integrations.opsgenie.client import OpsGenieClient
    from integrations.opsgenie.writer import OpsGenieWriter
    from workers.app import rate_limiter

    if settings.opsgenie_api_key is None:
        raise UnknownDestination("opsgenie destination needs OPSGENIE_API_KEY")
    if settings.opsgenie_mode == "read-only":
        raise UnknownDestination("OPSGENIE_MODE is read-only: nothing is written to OpsGenie")
    client = OpsGenieClient(settings.opsgenie_api_key.get_secret_value(), settings.opsgenie_api_url)
    # The write task took one token of the shared limiter; the writer charges its other requests to it.
    return OpsGenieWriter(
        client,
        mode=settings.opsgenie_mode,
        update_tags=settings.opsgenie_update_tags,
        update_priority=settings.opsgenie_update_priority,
        throttle=lambda: rate_limiter().acquire("opsgenie", ""),
        prepaid_requests=1,
    )


def _pagerduty_writer(settings: Settings) -> Writer:
    from integrations.pagerduty.writer import build_pagerduty_writer
    from workers.app import rate_limiter

    if settings.pagerduty_api_key is None:
        raise UnknownDestination("pagerduty destination needs PAGERDUTY_API_KEY")
    if settings.pagerduty_mode == "read-only":
        raise UnknownDestination("PAGERDUTY_MODE is read-only: nothing is written to PagerDuty")
    # The write task took one token of the shared limiter; the writer charges its other requests to it.
    return build_pagerduty_writer(
        settings, throttle=lambda: rate_limiter().acquire("pagerduty", ""), prepaid_requests=1
    )


def _webhook_writer(settings: Settings) -> Writer:
    from integrations.webhook.writer import WebhookEndpoint, WebhookWriter

    endpoints = {}
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        endpoints[settings.webhook_url] = WebhookEndpoint(settings.webhook_header_map(), secret)
    return WebhookWriter(endpoints)


WRITER_BUILDERS: dict[str, Callable[[Settings], Writer]] = {
    "slack": _slack_writer,
    "opsgenie": _opsgenie_writer,
    "pagerduty": _pagerduty_writer,
    "webhook": _webhook_writer,
}


def build_writer(destination: str, settings: Settings) -> Writer:
    builder = WRITER_BUILDERS.get(destination)
    if builder is None:
        raise UnknownDestination(f"no writer for destination {destination!r}")
    return builder(settings)


# A routed destination's options -> the setting they replace for that destination's writer.
OPTION_SETTINGS: dict[tuple[str, str], str] = {
    ("slack", "token_env"): "slack_bot_token",
    ("pagerduty", "token_env"): "pagerduty_api_key",
    ("pagerduty", "mode"): "pagerduty_mode",
    ("opsgenie", "token_env"): "opsgenie_api_key",
    ("opsgenie", "mode"): "opsgenie_mode",
    ("webhook", "url"): "webhook_url",
    ("webhook", "headers"): "webhook_headers",
    ("webhook", "secret_env"): "webhook_secret",
}


def settings_for(
    destination: str, options: Mapping[str, Any], settings: Settings, config: RoutingConfig | None = None
) -> Settings:
    """The settings one routed destination's writer sees: the environment's, with its options applied
    (`token_env` names the variable holding the secret, so no secret travels in a task message; a webhook's
    `destination` names the config entry whose headers and signing key this worker resolves)."""
    options = _named_webhook(options, config) if destination == "webhook" and "destination" in options else options
    updates: dict[str, Any] = {}
    for key, value in options.items():
        name = OPTION_SETTINGS.get((destination, key))
        if name is None or name not in Settings.model_fields:
            raise UnknownDestination(f"{destination} destinations take no option {key!r}")
        if key in ("token_env", "secret_env") and value is not None:
            secret = os.environ.get(str(value))
            if not secret:
                raise UnknownDestination(f"{destination}: environment variable {value} is not set")
            value = SecretStr(secret)
        elif key == "headers":
            value = SecretStr("; ".join(f"{k}: {v}" for k, v in value.items())) if value else None
        updates[name] = value
    return settings.model_copy(update=updates) if updates else settings


def _named_webhook(options: Mapping[str, Any], config: RoutingConfig | None) -> dict[str, Any]:
    """A routed webhook's options as the writer needs them, from the named destination in `config`."""
    name, url = str(options["destination"]), str(options.get("url", ""))
    spec = config.destinations.get(name) if config is not None else None
    if not isinstance(spec, WebhookDestination) or spec.url != url:
        raise UnknownDestination(f"webhook destination {name!r} ({url}) is no longer in the routing config")
    return {"url": url, "headers": dict(spec.headers), "secret_env": spec.secret_env}


def writer_for(destination: str, options_json: str = "") -> Writer:
    """One writer per destination type, set of route options and routing config, per process."""
    from workers.route_config import routing

    return _cached_writer(destination, options_json, routing().current().digest)


@lru_cache(maxsize=64)
def _cached_writer(destination: str, options_json: str, _config_digest: str) -> Writer:
    from workers.route_config import routing

    options = json.loads(options_json) if options_json else {}
    return build_writer(destination, settings_for(destination, options, get_settings(), routing().current()))
