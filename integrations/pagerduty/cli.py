"""`alertfleet investigate pagerduty`: open incidents (or one) investigated once, as `holmes investigate pagerduty`."""

from __future__ import annotations

from typing import Any

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
from alertfleet.writing import Writer


def pagerduty(
    pagerduty_api_key: str | None = typer.Option(None, "--pagerduty-api-key", help="Default PAGERDUTY_API_KEY."),
    incident_id: str | None = typer.Option(None, "--incident-id", help="Only this incident (any status)."),
    update: bool = typer.Option(False, "--update", help="Add the findings to each incident (as PAGERDUTY_MODE)."),
    destination: str | None = DESTINATION,
    slack_channel: str | None = SLACK_CHANNEL,
    slack_token: str | None = SLACK_TOKEN,
    webhook_url: str | None = WEBHOOK_URL,
    concurrency: int = CONCURRENCY,
) -> None:
    """Investigate open PagerDuty incidents (or one) once, as `holmes investigate pagerduty`."""
    from alertfleet.cli import settings_or_exit
    from alertfleet.limits import local_throttle
    from integrations.pagerduty import integration
    from integrations.pagerduty.client import PagerDutyApi, PagerDutyError
    from integrations.pagerduty.source import event_from_incident
    from integrations.pagerduty.writer import build_pagerduty_writer

    fleet = settings_or_exit()
    settings = integration.own(fleet)
    key = key_or_exit(pagerduty_api_key, settings.pagerduty_api_key, "--pagerduty-api-key", "PAGERDUTY_API_KEY")
    if update and not settings.pagerduty_user_email:
        typer.echo("alertfleet: --update needs PAGERDUTY_USER_EMAIL (PagerDuty refuses notes without a From)", err=True)
        raise typer.Exit(2)
    api = PagerDutyApi(key, settings.pagerduty_api_url, settings.pagerduty_user_email)

    def incidents() -> list[dict[str, Any]]:
        if incident_id:
            return [api.get_incident(incident_id)]
        return api.list_incidents(
            since=None, until=None, service_ids=settings.pagerduty_service_ids, urgencies=settings.pagerduty_urgencies
        )

    def writer() -> Writer:
        # --update asks for writes whatever PAGERDUTY_MODE says; `update` mode may also change fields.
        mode = "update" if settings.pagerduty_mode == "update" else "notes"
        throttle = local_throttle("pagerduty", settings.pagerduty_rate_limit, blocking=True)
        return build_pagerduty_writer(settings, fleet.public_url, mode=mode, throttle=throttle, api_key=key)

    shot = OneShot(
        fetch=incidents,
        to_event=event_from_incident,
        unreadable="cannot read PagerDuty incidents",
        errors=(PagerDutyError,),
        reason=lambda err: err.message if isinstance(err, PagerDutyError) else str(err),
        nothing="no open incidents",
        write_back=writer if update else None,
        noted="PagerDuty incident {target} (note {id})",
    )
    run_one_shot(shot, destination, slack_channel, slack_token, webhook_url, concurrency)
