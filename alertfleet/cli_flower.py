"""`alertfleet flower`: Celery's Flower on the fleet's broker, behind basic auth.

Flower shows task arguments and can revoke tasks and shut workers down, so it never listens beyond
loopback without FLOWER_BASIC_AUTH. Flower reads that variable itself (kept out of argv, where
`ps` would show it); this command checks it first so a bad value stops start-up with one line.
"""

from __future__ import annotations

import ipaddress

import typer

FLOWER_PORT = 5555


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def flower(
    host: str = typer.Option("0.0.0.0", help="Address to listen on."),
    port: int = typer.Option(FLOWER_PORT, min=1, max=65535, help="Port."),
    url_prefix: str = typer.Option("", help="Path prefix when served behind a reverse proxy, e.g. flower."),
) -> None:
    """Run Flower (Celery monitoring) on the fleet's broker; FLOWER_BASIC_AUTH=user:password protects it."""
    from alertfleet.cli import settings_or_exit
    from alertfleet.queue import make_celery

    settings = settings_or_exit()
    if settings.flower_basic_auth is None and not _loopback(host):
        typer.echo(
            f"alertfleet: FLOWER_BASIC_AUTH (user:password) is required to serve Flower on {host}; "
            "use --host 127.0.0.1 to run it without auth",
            err=True,
        )
        raise typer.Exit(2)
    argv = ["flower", f"--address={host}", f"--port={port}"]
    if url_prefix:
        argv.append(f"--url_prefix={url_prefix.strip('/')}")
    make_celery(settings).start(argv=argv)
