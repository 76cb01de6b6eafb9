"""Prometheus Alertmanager: the fleet's main push source (ingest's /api/webhooks/alertmanager) and
the `investigate alertmanager` pull verb."""

from __future__ import annotations

from collections.abc import Callable

from alertfleet.integration import Integration
from integrations.alertmanager.settings import AlertmanagerSettings


class AlertmanagerIntegration(Integration[AlertmanagerSettings]):
    name = "alertmanager"
    settings_model = AlertmanagerSettings

    def cli(self) -> Callable[..., None]:
        from integrations.alertmanager.cli import alertmanager

        return alertmanager


integration = AlertmanagerIntegration()
