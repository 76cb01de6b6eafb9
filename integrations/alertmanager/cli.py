"""`alertfleet investigate alertmanager`: pull firing alert groups once and investigate each."""

from __future__ import annotations

import re
from typing import Any

import httpx
import typer

from alertfleet.cli_investigate import (
    CONCURRENCY,
    DESTINATION,
    SLACK_CHANNEL,
    SLACK_TOKEN,
    WEBHOOK_URL,
    OneShot,
    run_one_shot,
)


def fetch_alert_groups(url: str, auth: tuple[str, str] | None, timeout: float = 15.0) -> list[dict[str, Any]]:
    """Firing, unsilenced, uninhibited alert groups from Alertmanager's API v2."""
    params = {"active": "true", "silenced": "false", "inhibited": "false"}
    response = httpx.get(url.rstrip("/") + "/api/v2/alerts/groups", params=params, auth=auth, timeout=timeout)
    response.raise_for_status()
    groups: list[dict[str, Any]] = response.json()
    return groups


def _filter_alertname(group: dict[str, Any], pattern: re.Pattern[str] | None) -> dict[str, Any]:
    if pattern is None:
        return group
    alerts = [a for a in group.get("alerts", []) if pattern.fullmatch(a.get("labels", {}).get("alertname", ""))]
    return {**group, "alerts": alerts}


def alertmanager(
    alertmanager_url: str | None = typer.Option(None, "--alertmanager-url", help="Default ALERTMANAGER_URL."),
    alertname: str | None = typer.Option(None, "--alertname", help="Only alerts whose name matches this regex."),
    alertmanager_username: str | None = typer.Option(None, "--alertmanager-username"),
    alertmanager_password: str | None = typer.Option(None, "--alertmanager-password"),
    destination: str | None = DESTINATION,
    slack_channel: str | None = SLACK_CHANNEL,
    slack_token: str | None = SLACK_TOKEN,
    webhook_url: str | None = WEBHOOK_URL,
    concurrency: int = CONCURRENCY,
) -> None:
    """Pull firing alerts from Alertmanager once and investigate each group."""
    from alertfleet.cli import settings_or_exit
    from alertfleet.log import register_secrets
    from integrations.alertmanager.settings import AlertmanagerSettings
    from integrations.alertmanager.source import event_from_webhook, webhook_from_api_group

    settings = settings_or_exit()
    register_secrets([alertmanager_password, slack_token])  # masked like the *_PASSWORD / *_TOKEN variables
    configured = settings.alertmanager_url if isinstance(settings, AlertmanagerSettings) else None
    url = alertmanager_url or configured
    if not url:
        typer.echo("alertfleet: give --alertmanager-url or set ALERTMANAGER_URL", err=True)
        raise typer.Exit(2)
    auth = (alertmanager_username, alertmanager_password or "") if alertmanager_username else None
    pattern = re.compile(alertname) if alertname else None

    def bodies() -> list[Any]:
        groups = (_filter_alertname(group, pattern) for group in fetch_alert_groups(url, auth))
        return [webhook_from_api_group(group, url) for group in groups if group["alerts"]]

    shot = OneShot(
        fetch=bodies,
        to_event=event_from_webhook,
        unreadable=f"cannot read alerts from {url}",
        errors=(httpx.HTTPError,),
        reason=lambda exc: type(exc).__name__,
        nothing="no firing alerts",
    )
    run_one_shot(shot, destination, slack_channel, slack_token, webhook_url, concurrency)
