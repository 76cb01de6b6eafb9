"""`alertfleet investigate <source>`: HolmesGPT's one-shot verbs, run in-process (no fleet needed)."""

from __future__ import annotations

import gc
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

from alertfleet.keys import problem_key
from alertfleet.models import Event, Investigation

if TYPE_CHECKING:
    from pydantic import SecretStr

    from alertfleet.settings import FleetSettings
    from alertfleet.token_budget import TokenBudget
    from alertfleet.writing import Writer, WriteResult

investigate_app = typer.Typer(help="One-shot investigations, as `holmes investigate`.", no_args_is_help=True)

# The destination options every `investigate` verb shares, as HolmesGPT's CLI has them.
DESTINATION = typer.Option(None, "--destination", help="slack or webhook; omit to print only.")
SLACK_CHANNEL = typer.Option(None, "--slack-channel")
SLACK_TOKEN = typer.Option(None, "--slack-token", help="Default SLACK_BOT_TOKEN.")
WEBHOOK_URL = typer.Option(None, "--webhook-url", help="Default WEBHOOK_URL.")
CONCURRENCY = typer.Option(
    8, "--concurrency", min=1, help="Investigations at once (within the model limits); results print in order."
)


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
    from alertfleet.log import register_secrets
    from workers.investigator.enrich import enrich
    from workers.investigator.run import default_toolbox, run_investigation

    settings = settings_or_exit()
    register_secrets([slack_token])  # masked like SLACK_BOT_TOKEN
    writer, channel = _destination_writer(destination, settings, slack_channel, slack_token, webhook_url)
    toolbox = default_toolbox(settings)  # one for the run, shared by every investigation

    budget = _fleet_budget(settings)

    def investigate_one(event: Event) -> Investigation:
        spent = budget.spent_note() if budget is not None and (event.model or settings.model) else None
        if spent is not None:  # the fleet's hourly token budget is spent: enrichment, as the fleet does
            result = enrich(event, degraded_reason=spent, model_skipped=True)
        else:
            result = run_investigation(event, settings, degrade=True, toolbox=toolbox)
        return Investigation(
            id=uuid.uuid4().hex, problem_key=problem_key(event.group_key), status="completed", event=event, result=result
        )

    investigations = []
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="af-investigate")
    try:
        for investigation in pool.map(investigate_one, events):  # map keeps the source's order
            investigations.append(investigation)
            analysis = investigation.result.analysis if investigation.result else ""
            typer.echo(f"## {investigation.event.title}\n\n{analysis}\n")
            if writer is not None and channel:
                written = write_or_exit(writer, investigation, channel)
                ref = f"ts {written.external_id}" if writer.destination == "slack" else written.action
                typer.echo(f"posted to {channel} ({ref})", err=True)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # a failed post stops the run: start no more
    return investigations


def _fleet_budget(settings: FleetSettings) -> TokenBudget | None:
    """With REDIS_URL, a one-shot run spends (and respects) the fleet's hourly token budget and is
    counted on the fleet's /metrics, as it shares the fleet's model limits."""
    if not settings.redis_url:
        return None
    import redis

    from workers.investigator.usage_meter import install_fleet_usage

    return install_fleet_usage(redis.Redis.from_url(settings.redis_client_url), settings.token_budget_per_hour)


def _no_throttle() -> float:
    return 0.0


def _destination_writer(
    destination: str | None,
    settings: FleetSettings,
    slack_channel: str | None,
    slack_token: str | None,
    webhook_url: str | None,
) -> tuple[Writer | None, str | None]:
    """The writer and target `--destination` names (slack or webhook, as HolmesGPT's CLI has them)."""
    from pydantic import SecretStr

    from alertfleet.registry import get

    integration = get(destination) if destination in ("slack", "webhook") else None
    if integration is None:
        if destination not in (None, "stdout"):
            typer.echo(f"alertfleet: unknown destination {destination!r}", err=True)
            raise typer.Exit(2)
        return None, None
    own = integration.own(settings)
    if destination == "slack":
        channel = slack_channel or own.slack_channel
        token = slack_token or (own.slack_bot_token.get_secret_value() if own.slack_bot_token else None)
        if not token or not channel:
            typer.echo("alertfleet: --destination slack needs SLACK_BOT_TOKEN and --slack-channel", err=True)
            raise typer.Exit(2)
        with_token = settings.model_copy(update={"slack_bot_token": SecretStr(token)})
        return integration.writer(with_token, _no_throttle), channel
    # WEBHOOK_HEADERS/WEBHOOK_SECRET apply to WEBHOOK_URL only.
    url = webhook_url or own.webhook_url
    if not url or not url.startswith(("http://", "https://")):
        typer.echo("alertfleet: --destination webhook needs --webhook-url (or WEBHOOK_URL) http(s)://…", err=True)
        raise typer.Exit(2)
    if url != own.webhook_url:
        settings = settings.model_copy(update={"webhook_url": url, "webhook_headers": None, "webhook_secret": None})
    return integration.writer(settings, _no_throttle), url


def write_or_exit(writer: Writer, investigation: Investigation, target: str) -> WriteResult:
    from alertfleet.writing import WriteError, redacted

    try:
        return writer.write(redacted(investigation), target, None)
    except WriteError as err:
        typer.echo(f"alertfleet: {writer.destination} write failed: {err.reason}", err=True)
        raise typer.Exit(1) from None


def write_back(writer: Writer, investigations: list[Investigation], noted: str) -> None:
    """`--update`: write each finding back to the incident or alert it came from."""
    for investigation in investigations:
        target = investigation.event.writeback[0].target
        written = write_or_exit(writer, investigation, target)
        typer.echo("noted on " + noted.format(target=target, id=written.external_id), err=True)


def key_or_exit(given: str | None, configured: SecretStr | None, option: str, variable: str) -> str:
    """The API key from the command line (masked in logs like the environment's) or the environment."""
    from alertfleet.log import register_secrets

    register_secrets([given])
    key = given or (configured.get_secret_value() if configured else None)
    if not key:
        typer.echo(f"alertfleet: give {option} or set {variable}", err=True)
        raise typer.Exit(2)
    return key


@dataclass(frozen=True)
class OneShot:
    """What a pull source's `investigate <source>` verb does once: read the open items, investigate
    each, print (and post) the findings, and on `--update` write them back to the items."""

    fetch: Callable[[], Sequence[Any]]
    to_event: Callable[[Any], Event]
    unreadable: str  # "cannot read PagerDuty incidents"
    errors: tuple[type[Exception], ...]
    reason: Callable[[Exception], str]
    nothing: str  # "no open incidents"
    write_back: Callable[[], Writer] | None = None  # given with --update
    noted: str = ""  # "PagerDuty incident {target} (note {id})"


def run_one_shot(
    shot: OneShot,
    destination: str | None,
    slack_channel: str | None,
    slack_token: str | None,
    webhook_url: str | None,
    concurrency: int = 1,
) -> list[Investigation]:
    warming = _warm_investigator()
    try:
        items = shot.fetch()
    except shot.errors as err:
        typer.echo(f"alertfleet: {shot.unreadable}: {shot.reason(err)}", err=True)
        raise typer.Exit(1) from None
    if not items:
        typer.echo(shot.nothing, err=True)
        return []
    events = [shot.to_event(item) for item in items]
    warming.join()
    investigations = investigate_events(events, destination, slack_channel, slack_token, webhook_url, concurrency)
    if shot.write_back is not None:
        write_back(shot.write_back(), investigations, shot.noted)
    # The run is over and its output written: the interpreter's exit would otherwise spend ~1.5 s of CPU
    # collecting litellm's object graph once more. Frozen objects are skipped by that last collection.
    gc.freeze()
    return investigations


def _warm_investigator() -> threading.Thread:
    """Import the investigator (litellm is most of a one-shot run's start-up: seconds of CPU) while the
    source is being read, so the two waits overlap instead of adding up."""

    def load() -> None:
        import workers.investigator.run  # noqa: F401

    thread = threading.Thread(target=load, name="af-warm-investigator", daemon=True)
    thread.start()
    return thread


def register_verbs() -> None:
    """`investigate <name>` for every integration that declares a CLI verb."""
    from alertfleet.registry import RegistryError, integrations

    try:
        found = integrations()
    except RegistryError:
        return  # settings_or_exit reports it, in one line, before any command runs
    for integration in found:
        verb = integration.cli()
        if verb is not None:
            investigate_app.command(integration.name)(verb)
