"""Generic webhook: the investigation POSTed as JSON to a URL, with headers and an HMAC signature."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, SecretStr

from alertfleet.config_file import ENV_REF
from alertfleet.headers import secret_values
from alertfleet.integration import Integration, RateLimit
from alertfleet.models import Investigation, WriteTarget, utcnow
from alertfleet.settings import FleetSettings
from alertfleet.writing import Throttle, Writer
from integrations.webhook.settings import WebhookDestination, WebhookSettings


class WebhookIntegration(Integration[WebhookSettings]):
    name = "webhook"
    settings_model = WebhookSettings
    destination_model = WebhookDestination
    rate_limit = RateLimit("10/second", per_target=True)
    # A routed webhook has its own headers and signing key (none is none): WEBHOOK_HEADERS and
    # WEBHOOK_SECRET belong to WEBHOOK_URL.
    route_options = {"url": "webhook_url", "headers": "webhook_headers", "secret_env": "webhook_secret"}

    def secrets(self, settings: FleetSettings) -> list[str]:
        own = self.own(settings)
        values: list[str] = []
        # WEBHOOK_HEADERS carries credentials (e.g. "Authorization: Bearer ..."), expanded or not.
        with contextlib.suppress(ValueError):  # validated at start-up; nothing to mask if a variable vanished
            values.extend(secret_values(own.webhook_header_map()))
        if own.webhook_headers is not None:
            values.append(own.webhook_headers.get_secret_value())
        return values

    def default_destination(self, settings: FleetSettings) -> BaseModel | None:
        url = self.own(settings).webhook_url
        return WebhookDestination(type="webhook", url=url) if url else None

    def write_target(self, destination: BaseModel) -> WriteTarget:
        assert isinstance(destination, WebhookDestination)
        options = {"url": destination.url, "headers": dict(destination.headers), "secret_env": destination.secret_env}
        return WriteTarget(type=self.name, target=destination.url, options=options)

    def describe(self, name: str, destination: BaseModel) -> str:
        assert isinstance(destination, WebhookDestination)
        headers = f", headers {', '.join(sorted(destination.headers))}" if destination.headers else ""
        return f"{name} (webhook {destination.url}{headers})"

    def secret_env_names(self, destination: BaseModel) -> list[str]:
        assert isinstance(destination, WebhookDestination)
        refs = [ref for value in destination.headers.values() for ref in ENV_REF.findall(value)]
        return [name for name in (destination.secret_env, *refs) if name]

    def destination_problems(
        self, where: str, destination: BaseModel, settings: FleetSettings, env: Mapping[str, str]
    ) -> list[str]:
        assert isinstance(destination, WebhookDestination)
        problems = [
            f"{where}.headers.{header}: environment variable {ref} is not set"
            for header, value in destination.headers.items()
            for ref in ENV_REF.findall(value)
            if not env.get(ref)
        ]
        if destination.secret_env is not None and not env.get(destination.secret_env):
            problems.append(f"{where}.secret_env: environment variable {destination.secret_env} is not set")
        return problems

    def option_value(self, key: str, value: Any) -> Any:
        if key == "headers":
            return SecretStr("; ".join(f"{k}: {v}" for k, v in value.items())) if value else None
        return super().option_value(key, value)

    def writer(self, settings: FleetSettings, throttle: Throttle) -> Writer:
        """WEBHOOK_HEADERS and WEBHOOK_SECRET go with WEBHOOK_URL (a routed webhook's replace all three)."""
        from integrations.webhook.writer import WebhookEndpoint, WebhookWriter

        own = self.own(settings)
        endpoints = {}
        if own.webhook_url:
            secret = own.webhook_secret.get_secret_value() if own.webhook_secret else None
            endpoints[own.webhook_url] = WebhookEndpoint(own.webhook_header_map(), secret)
        return WebhookWriter(endpoints)

    def render(self, investigation: Investigation) -> dict[str, Any]:
        from integrations.webhook.render import render_payload

        return render_payload(investigation, utcnow())


integration = WebhookIntegration()
