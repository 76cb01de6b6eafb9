"""`alertfleet investigate opsgenie`: open OpsGenie alerts investigated once, as `holmes investigate opsgenie`."""

from __future__ import annotations

from typing import Literal

import typer

from alertfleet.cli_investigate import (
    CONCURRENCY,
    DESTINATION,
    SLACK_CHANNEL,
    SLACK_TOKEN,
    WEBHOOK_URL,
    OneShot,
    key_or_exit,
    run_one_shot,
)
from alertfleet.writing import WriteError, Writer


def opsgenie(
    opsgenie_api_key: str | None = typer.Option(None, "--opsgenie-api-key", help="Default OPSGENIE_API_KEY."),
    priority: str | None = typer.Option(None, "--priority", help="e.g. P1,P2 (default OPSGENIE_PRIORITIES)."),
    update: bool = typer.Option(False, "--update", help="Write the findings back to each alert as a note."),
    destination: str | None = DESTINATION,
    slack_channel: str | None = SLACK_CHANNEL,
    slack_token: str | None = SLACK_TOKEN,
    webhook_url: str | None = WEBHOOK_URL,
    concurrency: int = CONCURRENCY,
) -> None:
    """Investigate open OpsGenie alerts once, as `holmes investigate opsgenie`."""
    from alertfleet.cli import settings_or_exit
    from alertfleet.limits import local_throttle
    from integrations.opsgenie import integration
    from integrations.opsgenie.client import OpsGenieClient, fetch_open_alerts
    from integrations.opsgenie.source import build_query, event_from_alert
    from integrations.opsgenie.writer import OpsGenieWriter

    settings = integration.own(settings_or_exit())
    key = key_or_exit(opsgenie_api_key, settings.opsgenie_api_key, "--opsgenie-api-key", "OPSGENIE_API_KEY")
    priorities = (
        [p.strip().upper() for p in priority.split(",") if p.strip()] if priority else settings.opsgenie_priorities
    )
    if any(p not in {"P1", "P2", "P3", "P4", "P5"} for p in priorities):
        typer.echo(f"alertfleet: --priority takes P1..P5, comma-separated (got {priority!r})", err=True)
        raise typer.Exit(2)
    throttle = local_throttle(settings.opsgenie_api_url, settings.opsgenie_rate_limit, blocking=True)
    client = OpsGenieClient(key, settings.opsgenie_api_url, throttle=throttle)
    query = build_query(priorities, settings.opsgenie_tags, settings.opsgenie_teams)

    def writer() -> Writer:
        # --update asks for writes, whatever OPSGENIE_MODE says; `update` mode adds tags and priority.
        mode: Literal["notes", "update"] = "update" if settings.opsgenie_mode == "update" else "notes"
        return OpsGenieWriter(
            client,
            mode=mode,
            update_tags=settings.opsgenie_update_tags,
            update_priority=settings.opsgenie_update_priority,
        )

    shot = OneShot(
        fetch=lambda: fetch_open_alerts(client, query),
        to_event=event_from_alert,
        unreadable="cannot list OpsGenie alerts",
        errors=(WriteError,),
        reason=lambda err: err.reason if isinstance(err, WriteError) else str(err),
        nothing="no open alerts",
        write_back=writer if update else None,
        noted="OpsGenie alert {target} (request {id})",
    )
    run_one_shot(shot, destination, slack_channel, slack_token, webhook_url, concurrency)
