"""`alertfleet dlq list|replay|drop`: bring dead-lettered work back after the cause is fixed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import redis
import typer

if TYPE_CHECKING:
    from workers.dlq import DeadLetters

dlq_app = typer.Typer(help="Dead letters: failed writes and investigations with their reasons.", no_args_is_help=True)


def _letters() -> DeadLetters:
    from alertfleet.cli import settings_or_exit
    from workers.dlq import DeadLetters

    return DeadLetters(redis.Redis.from_url(settings_or_exit().redis_client_url))


@dlq_app.command("list")
def list_letters(as_json: bool = typer.Option(False, "--json", help="One JSON object per line.")) -> None:
    """Show dead letters, oldest first."""
    letters = _letters()
    letters.trim()  # what is over ALERTFLEET_DLQ_MAX_AGE goes now, counted, not at the next failure
    for letter in letters.list():
        if as_json:
            typer.echo(json.dumps(letter.__dict__))
        else:
            typer.echo(f"{letter.id}  {letter.failed_at}  {letter.task}  attempts={letter.attempts}  {letter.reason}")


@dlq_app.command("replay")
def replay(
    letter_id: str | None = typer.Argument(None, help="Dead letter id (see `dlq list`)."),
    replay_all: bool = typer.Option(False, "--all", help="Replay every dead letter."),
) -> None:
    """Send dead-lettered tasks again (then drop them from the list)."""
    from alertfleet.cli import settings_or_exit
    from alertfleet.queue import make_celery

    if not letter_id and not replay_all:
        typer.echo("alertfleet: give a dead letter id or --all", err=True)
        raise typer.Exit(2)
    letters = _letters()
    chosen = letters.list() if replay_all else [x for x in [letters.get(letter_id or "")] if x is not None]
    if not chosen:
        typer.echo(f"alertfleet: no dead letter {letter_id!r}", err=True)
        raise typer.Exit(1)
    celery = make_celery(settings_or_exit())
    for letter in chosen:
        celery.send_task(letter.task, args=letter.args, queue=letter.queue or None)
        letters.drop(letter.id)
        typer.echo(f"replayed {letter.id} ({letter.task})")


@dlq_app.command("drop")
def drop(letter_id: str = typer.Argument(..., help="Dead letter id.")) -> None:
    """Forget a dead letter."""
    letters = _letters()
    if not letters.drop(letter_id):
        typer.echo(f"alertfleet: no dead letter {letter_id!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"dropped {letter_id}")
