"""`alertfleet investigate <source>`: HolmesGPT's one-shot verbs, run in-process (no fleet needed)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import typer

from alertfleet.keys import problem_key
from alertfleet.models import Event, Investigation

investigate_app = typer.Typer(help="One-shot investigations, as `holmes investigate`.", no_args_is_help=True)


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


def investigate_events(
    events: list[Event], destination: str | None, slack_channel: str | None, slack_token: str | None
) -> None:
    """Investigate each event, print the result, and optionally post it."""
    from alertfleet.cli import settings_or_exit
    from integrations.slack.writer import SlackWriter
    from workers.investigator.run import run_investigation

    settings = settings_or_exit()
    writer = None
    channel = slack_channel or settings.slack_channel
    if destination == "slack":
        token = slack_token or (settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None)
        if not token or not channel:
            typer.echo("alertfleet: --destination slack needs SLACK_BOT_TOKEN and --slack-channel", err=True)
            raise typer.Exit(2)
        writer = SlackWriter(token, settings.slack_api_url)
    elif destination not in (None, "stdout"):
        typer.echo(f"alertfleet: unknown destination {destination!r}", err=True)
        raise typer.Exit(2)
    for event in events:
        result = run_investigation(event, settings, degrade=True)
        investigation = Investigation(
            id=uuid.uuid4().hex,
            problem_key=problem_key(event.group_key),
            status="completed",
            event=event,
            result=result,
        )
        typer.echo(f"## {event.title}\n\n{result.analysis}\n")
        if writer is not None and channel:
            written = writer.write(investigation, channel, None)
            typer.echo(f"posted to {channel} (ts {written.external_id})", err=True)


@investigate_app.command("alertmanager")
def alertmanager(
    alertmanager_url: str | None = typer.Option(None, "--alertmanager-url", help="Default ALERTMANAGER_URL."),
    alertname: str | None = typer.Option(None, "--alertname", help="Only alerts whose name matches this regex."),
    alertmanager_username: str | None = typer.Option(None, "--alertmanager-username"),
    alertmanager_password: str | None = typer.Option(None, "--alertmanager-password"),
    destination: str | None = typer.Option(None, "--destination", help="slack, or omit to print only."),
    slack_channel: str | None = typer.Option(None, "--slack-channel"),
    slack_token: str | None = typer.Option(None, "--slack-token", help="Default SLACK_BOT_TOKEN."),
) -> None:
    """Pull firing alerts from Alertmanager once and investigate each group."""
    from alertfleet.cli import settings_or_exit
    from integrations.alertmanager.source import event_from_webhook, webhook_from_api_group

    settings = settings_or_exit()
    url = alertmanager_url or settings.alertmanager_url
    if not url:
        typer.echo("alertfleet: give --alertmanager-url or set ALERTMANAGER_URL", err=True)
        raise typer.Exit(2)
    auth = (alertmanager_username, alertmanager_password or "") if alertmanager_username else None
    pattern = re.compile(alertname) if alertname else None
    try:
        groups = fetch_alert_groups(url, auth)
    except httpx.HTTPError as exc:
        typer.echo(f"alertfleet: cannot read alerts from {url}: {type(exc).__name__}", err=True)
        raise typer.Exit(1) from None
    bodies = [webhook_from_api_group(g, url) for g in (_filter_alertname(g, pattern) for g in groups) if g["alerts"]]
    if not bodies:
        typer.echo("no firing alerts", err=True)
        return
    investigate_events([event_from_webhook(body) for body in bodies], destination, slack_channel, slack_token)
