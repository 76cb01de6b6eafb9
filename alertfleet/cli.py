"""The `alertfleet` command: dev, ingest, worker, flower, investigate, dlq, config."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import typer

from alertfleet.queue import QUEUE_INVESTIGATE, all_queues
from alertfleet.settings import FleetSettings, SettingsError, get_settings

app = typer.Typer(help="alertfleet: alert investigation fleet (HolmesGPT-compatible).", no_args_is_help=True)


def settings_or_exit() -> FleetSettings:
    """Validated settings, or one readable line per bad setting and exit code 2."""
    try:
        settings = get_settings()
    except SettingsError as exc:
        for problem in exc.problems:
            typer.echo(f"alertfleet: {problem}", err=True)
        raise typer.Exit(2) from None
    from alertfleet.cli_config import config_or_exit
    from alertfleet.log import configure_logging

    config_or_exit(settings)  # a bad ALERTFLEET_CONFIG stops start-up the same way, one line per problem

    configure_logging(settings)
    return settings


@app.command()
def ingest(
    host: str = typer.Option("0.0.0.0", help="Address to listen on."),
    port: int | None = typer.Option(None, help="Port (default ALERTFLEET_PORT, 8080)."),
    workers: int = typer.Option(1, "--workers", min=1, help="uvicorn worker processes."),
) -> None:
    """Run the ingest HTTP service (webhooks, API, health, metrics) and its dispatcher."""
    import uvicorn

    from ingest.api_auth import LISTEN_HOST_ENV

    os.environ[LISTEN_HOST_ENV] = host  # uvicorn's processes learn where they listen: the API's auth needs it
    from alertfleet.metrics_dir import multiprocess_metrics
    from ingest.auth import warn_if_open

    settings = settings_or_exit()
    warn_if_open(host, settings.ingest_token.get_secret_value() if settings.ingest_token else None)
    with multiprocess_metrics():  # every uvicorn worker and dispatcher adds to the same /metrics
        uvicorn.run(
            "ingest.app:serve_app",
            factory=True,
            host=host,
            port=port or settings.port,
            workers=workers,
            loop="uvloop",
            http="httptools",
            access_log=False,
            log_config=None,  # uvicorn's own handlers would print plain text; ours print JSON
            log_level=settings.log_level.lower(),
            limit_concurrency=4096,
            timeout_graceful_shutdown=10,
        )


@app.command()
def worker(
    queues: str | None = typer.Option(
        None, help="Comma-separated queues to consume (default: investigate, chat and every write.<destination>)."
    ),
    concurrency: int | None = typer.Option(
        None, min=1, help="Concurrent investigations (default ALERTFLEET_INVESTIGATION_CONCURRENCY, 32)."
    ),
    write_concurrency: int | None = typer.Option(
        None, "--write-concurrency", min=1, help="Concurrent writes, in their own process (default 8)."
    ),
    # threads: measured in bench/memory.py and bench/pipeline.py — tasks wait on I/O; one litellm import.
    pool: str = typer.Option("threads", help="Celery pool: threads (default), gevent (needs gevent), prefork, solo."),
    name: str = typer.Option("alertfleet@%h", help="Worker node name."),
) -> None:
    """Run a Celery worker for investigations, and a second one (own process) for the write queues."""
    if pool == "gevent":  # before any socket exists; as `celery worker -P gevent` does it
        from gevent import monkey

        monkey.patch_all()
    settings = settings_or_exit()
    from alertfleet.worker_pools import WriteWorker, plan_pools

    wanted = [queue.strip() for queue in (queues or ",".join(all_queues())).split(",") if queue.strip()]
    plan = plan_pools(
        wanted, concurrency, settings.investigation_concurrency, write_concurrency or settings.write_concurrency
    )
    writes = WriteWorker(plan.write_queues, plan.write_concurrency, name).start() if plan.write_queues else None
    from workers.app import app as celery_app

    if QUEUE_INVESTIGATE in plan.queues and (settings.model or settings.config_file):
        from workers.investigator.model_calls import preload

        preload()  # before "ready." (and before a prefork pool forks); without a model, never loaded
    try:
        celery_app.worker_main(
            [
                "--quiet",  # no ASCII banner on stdout: every line the worker prints is a JSON log line
                "worker",
                "-Q",
                ",".join(plan.queues),
                "-c",
                str(plan.concurrency),
                "-P",
                pool,
                "-n",
                name,
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ]
        )
    finally:
        if writes is not None:
            writes.stop()


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    from alertfleet.embedded import die_with_parent

    return subprocess.Popen([sys.executable, "-m", "alertfleet.cli", *args], env=env, preexec_fn=die_with_parent)


@app.command()
def dev(
    host: str = typer.Option("127.0.0.1", help="Address for ingest."),
    port: int | None = typer.Option(None, help="Port (default ALERTFLEET_PORT, 8080)."),
    data_dir: Path = typer.Option(Path(".alertfleet"), help="Where the embedded Redis keeps its data."),
) -> None:
    """Ingest and a worker in one command; with no REDIS_URL, an embedded Redis too."""
    settings = settings_or_exit()
    env = dict(os.environ)
    embedded = None
    if not settings.redis_url:
        from alertfleet.embedded import EmbeddedRedis

        embedded = EmbeddedRedis(data_dir)
        embedded.start()
        env["REDIS_URL"] = embedded.url
        typer.echo(f"alertfleet: embedded Redis at {embedded.url} (data in {embedded.data_dir})", err=True)
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def _stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    def _reload(signum: int, _frame: FrameType | None) -> None:
        for child in children:  # SIGHUP reloads the routing config in ingest and worker
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGHUP, _reload)
    try:
        children.append(_spawn(["ingest", "--host", host, "--port", str(port or settings.port)], env))
        children.append(_spawn(["worker"], env))
        typer.echo(f"alertfleet: ingest on http://{host}:{port or settings.port} — Ctrl-C stops all", err=True)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
    finally:
        _stop_children(children)
        if embedded is not None:
            embedded.stop()
    failed = [child.returncode for child in children if child.returncode not in (0, -15, None)]
    if failed and not stopping:
        raise typer.Exit(1)


def _stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _register_subcommands() -> None:
    from alertfleet.cli_dlq import dlq_app
    from alertfleet.cli_investigate import investigate_app, register_verbs

    register_verbs()  # each integration's `investigate <name>` verb, found through the registry
    app.add_typer(investigate_app, name="investigate")
    app.add_typer(dlq_app, name="dlq")
    from alertfleet.cli_config import config_app

    app.add_typer(config_app, name="config")
    from alertfleet.cli_toolsets import toolsets_app

    app.add_typer(toolsets_app, name="toolsets")
    from alertfleet.cli_flower import flower

    app.command(name="flower")(flower)


_register_subcommands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
