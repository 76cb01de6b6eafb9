"""`alertfleet investigate <source>`: HolmesGPT's one-shot verbs, run in-process (no fleet needed)."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

import httpx
import typer

from alertfleet.keys import problem_key
from alertfleet.models import Event, Investigation

if TYPE_CHECKING:
    from alertfleet.settings import Settings
    from integrations.base import Writer, WriteResult

investigate_app = typer.Typer(help="One-shot investigations, as `holmes investigate`.", no_args_is_help=True)

# The destination options every `investigate` verb shares, as HolmesGPT's CLI has them.
DESTINATION = typer.Option(None, "--destination", help="slack or webhook; omit to print only.")
SLACK_CHANNEL = typer.Option(None, "--slack-channel")
SLACK_TOKEN = typer.Option(None, "--slack-token", help="Default SLACK_BOT_TOKEN.")
WEBHOOK_URL = typer.Option(None, "--webhook-url", help="Default WEBHOOK_URL.")
CONCURRENCY = typer.Option(
    8, "--concurrency", min=1, help="Investigations at once (within the model limits); results print in order."
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


def investigate_events(
    events: list[Event],
    destination: str | None,
    slack_channel: str | None,
    slack_token: str | None,
    webhook_url: str | None = None,
    concurrency: int = 1,
) -> list[Investigation]:
    """Investigate `concurrency` events at once; print (and optionally post) each result in the source's
    order, as soon as it and those before it are done; return the investigations."""
    from alertfleet.cli import settings_or_exit
    from integrations.slack.writer import SlackWriter
    from workers.investigator.run import run_investigation

    settings = settings_or_exit()
    writer: Writer | None = None
    channel = slack_channel or settings.slack_channel
    if destination == "slack":
        token = slack_token or (settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None)
        if not token or not channel:
            typer.echo("alertfleet: --destination slack needs SLACK_BOT_TOKEN and --slack-channel", err=True)
            raise typer.Exit(2)
        writer = SlackWriter(token, settings.slack_api_url)
    elif destination == "webhook":
        writer, channel = _webhook_writer(webhook_url or settings.webhook_url, settings)
    elif destination not in (None, "stdout"):
        typer.echo(f"alertfleet: unknown destination {destination!r}", err=True)
        raise typer.Exit(2)
    def investigate_one(event: Event) -> Investigation:
        result = run_investigation(event, settings, degrade=True)
        return Investigation(
            id=uuid.uuid4().hex, problem_key=problem_key(event.group_key), status="completed", event=event, result=result
        )

    investigations = []
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="af-investigate")
    try:
        for investigation in pool.map(investigate_one, events):
            investigations.append(investigation)
            assert investigation.result is not None
            typer.echo(f"## {investigation.event.title}\n\n{investigation.result.analysis}\n")
            if writer is not None and channel:
                written = _write_or_exit(writer, investigation, channel)
                ref = f"ts {written.external_id}" if writer.destination == "slack" else written.action
                typer.echo(f"posted to {channel} ({ref})", err=True)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # a failed post stops the run: start no more
    return investigations


def _webhook_writer(url: str | None, settings: Settings) -> tuple[Writer, str]:
    """The webhook writer for `--destination webhook`; WEBHOOK_HEADERS/SECRET apply to WEBHOOK_URL only."""
    from integrations.webhook.writer import WebhookEndpoint, WebhookWriter

    if not url or not url.startswith(("http://", "https://")):
        typer.echo("alertfleet: --destination webhook needs --webhook-url (or WEBHOOK_URL) http(s)://…", err=True)
        raise typer.Exit(2)
    endpoints = {}
    if url == settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        endpoints[url] = WebhookEndpoint(settings.webhook_header_map(), secret)
    return WebhookWriter(endpoints), url


def _write_or_exit(writer: Writer, investigation: Investigation, target: str) -> WriteResult:
    from integrations.base import WriteError

    try:
        return writer.write(investigation, target, None)
    except WriteError as err:
        typer.echo(f"alertfleet: {writer.destination} write failed: {err.reason}", err=True)
        raise typer.Exit(1) from None


def _write_back(writer: Writer, investigations: list[Investigation], noted: str) -> None:
    """`--update`: write each finding back to the incident or alert it came from."""
    for investigation in investigations:
        target = investigation.event.writeback[0].target
        written = _write_or_exit(writer, investigation, target)
        typer.echo("noted on " + noted.format(target=target, id=written.external_id), err=True)


@investigate_app.command("alertmanager")
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
    from integrations.alertmanager.source import event_from_webhook, webhook_from_api_group

    settings = settings_or_exit()
    register_secrets([alertmanager_password, slack_token])  # masked like the *_PASSWORD / *_TOKEN variables
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
    events = [event_from_webhook(body) for body in bodies]
    investigate_events(events, destination, slack_channel, slack_token, webhook_url, concurrency)


@investigate_app.command("opsgenie")
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
    from alertfleet.log import register_secrets
    from integrations.base import WriteError
    from integrations.opsgenie.client import OpsGenieClient, fetch_open_alerts, local_throttle
    from integrations.opsgenie.source import build_query, event_from_alert
    from integrations.opsgenie.writer import OpsGenieWriter

    settings = settings_or_exit()
    register_secrets([opsgenie_api_key, slack_token])  # a key given on the command line is masked like the env's
    key = opsgenie_api_key or (settings.opsgenie_api_key.get_secret_value() if settings.opsgenie_api_key else None)
    if not key:
        typer.echo("alertfleet: give --opsgenie-api-key or set OPSGENIE_API_KEY", err=True)
        raise typer.Exit(2)
    priorities = (
        [p.strip().upper() for p in priority.split(",") if p.strip()] if priority else settings.opsgenie_priorities
    )
    if any(p not in {"P1", "P2", "P3", "P4", "P5"} for p in priorities):
        typer.echo(f"alertfleet: --priority takes P1..P5, comma-separated (got {priority!r})", err=True)
        raise typer.Exit(2)
    throttle = local_throttle(settings.opsgenie_api_url, settings.opsgenie_rate_limit, blocking=True)
    client = OpsGenieClient(key, settings.opsgenie_api_url, throttle=throttle)
    query = build_query(priorities, settings.opsgenie_tags, settings.opsgenie_teams)
    try:
        alerts = fetch_open_alerts(client, query)
    except WriteError as err:
        typer.echo(f"alertfleet: cannot list OpsGenie alerts: {err.reason}", err=True)
        raise typer.Exit(1) from None
    if not alerts:
        typer.echo("no open alerts", err=True)
        return
    investigations = investigate_events(
        [event_from_alert(alert) for alert in alerts], destination, slack_channel, slack_token, webhook_url, concurrency
    )
    if update:
        # --update asks for writes, whatever OPSGENIE_MODE says; `update` mode adds tags and priority.
        mode: Literal["notes", "update"] = "update" if settings.opsgenie_mode == "update" else "notes"
        writer = OpsGenieWriter(
            client,
            mode=mode,
            update_tags=settings.opsgenie_update_tags,
            update_priority=settings.opsgenie_update_priority,
        )
        _write_back(writer, investigations, "OpsGenie alert {target} (request {id})")


@investigate_app.command("pagerduty")
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
    from alertfleet.log import register_secrets
    from integrations.pagerduty.client import PagerDutyApi, PagerDutyError, local_throttle
    from integrations.pagerduty.source import event_from_incident
    from integrations.pagerduty.writer import build_pagerduty_writer

    settings = settings_or_exit()
    register_secrets([pagerduty_api_key, slack_token])  # masked like PAGERDUTY_API_KEY
    key = pagerduty_api_key or (settings.pagerduty_api_key.get_secret_value() if settings.pagerduty_api_key else None)
    if not key:
        typer.echo("alertfleet: give --pagerduty-api-key or set PAGERDUTY_API_KEY", err=True)
        raise typer.Exit(2)
    if update and not settings.pagerduty_user_email:
        typer.echo("alertfleet: --update needs PAGERDUTY_USER_EMAIL (PagerDuty refuses notes without a From)", err=True)
        raise typer.Exit(2)
    api = PagerDutyApi(key, settings.pagerduty_api_url, settings.pagerduty_user_email)
    try:
        incidents = (
            [api.get_incident(incident_id)]
            if incident_id
            else api.list_incidents(
                since=None,
                until=None,
                service_ids=settings.pagerduty_service_ids,
                urgencies=settings.pagerduty_urgencies,
            )
        )
    except PagerDutyError as err:
        typer.echo(f"alertfleet: cannot read PagerDuty incidents: {err.message}", err=True)
        raise typer.Exit(1) from None
    if not incidents:
        typer.echo("no open incidents", err=True)
        return
    events = [event_from_incident(incident) for incident in incidents]
    investigations = investigate_events(events, destination, slack_channel, slack_token, webhook_url, concurrency)
    if update:
        # --update asks for writes whatever PAGERDUTY_MODE says; `update` mode may also change fields.
        mode = "update" if settings.pagerduty_mode == "update" else "notes"
        throttle = local_throttle(settings.pagerduty_rate_limit, blocking=True)
        writer = build_pagerduty_writer(settings, mode=mode, throttle=throttle, api_key=key)
        _write_back(writer, investigations, "PagerDuty incident {target} (note {id})")
