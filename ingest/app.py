"""FastAPI factory: routers per concern, clients opened in the lifespan, problems for every refusal."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any, cast

import redis.asyncio as aioredis
import redis.exceptions
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from alertfleet import registry
from alertfleet.config_watch import ConfigHolder, install_sighup
from alertfleet.durability import durability_warnings, normalise
from alertfleet.integration import Poller
from alertfleet.settings import FleetSettings, get_settings
from ingest.api_auth import LISTEN_HOST_ENV, startup_warning
from ingest.api_metrics import HttpMetrics
from ingest.background import BackgroundRunner
from ingest.body import BodyLimit
from ingest.deps import IngestState
from ingest.dispatcher_process import DispatcherProcess
from ingest.intake import Intake
from ingest.outbox import Outbox
from ingest.pollers import PollerRunner
from ingest.problems import Problem, invalid_payload, problem_response
from ingest.routes import api, health, holmes, kubernaut, robusta, source_webhooks, webhooks
from ingest.sessions import SessionGateway
from ingest.sources import build_pollers

log = structlog.get_logger("ingest")


def _redis(settings: FleetSettings) -> aioredis.Redis:
    # Short timeouts: with Redis down, answer 503 quickly so Alertmanager retries.
    return aioredis.Redis.from_url(
        settings.redis_client_url, socket_connect_timeout=2, socket_timeout=5, max_connections=256
    )


def create_app(
    settings: FleetSettings | None = None,
    *,
    run_dispatcher: bool = True,
    pollers: list[Poller] | None = None,
    listen_host: str | None = None,
) -> FastAPI:
    """`pollers=None` builds them from settings; tests pass their own (or [] for none). `listen_host`
    is where the server listens (None: unknown), which decides whether the API may go without tokens."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = _redis(settings)
        outbox = Outbox(client, settings.dedup_ttl, settings.problem_window)
        routing = ConfigHolder(settings)  # validated by the CLI already; reloaded on change and SIGHUP
        routing.start_watching()
        install_sighup(routing.request_reload)
        intake = Intake(outbox, routing)
        app.state.ingest = IngestState(
            settings=settings,
            redis=client,
            intake=intake,
            sessions=SessionGateway(client, settings),
            listen_host=listen_host,
        )
        dispatcher = DispatcherProcess(settings) if run_dispatcher else None
        watch = asyncio.create_task(dispatcher.watch()) if dispatcher is not None else None
        runner = PollerRunner(client, intake, build_pollers(settings) if pollers is None else pollers)
        runner.start()
        background = BackgroundRunner(client, [t for i in registry.integrations() for t in i.background(settings)])
        background.start()
        await _warn_durability(client)
        if (warning := startup_warning(settings, listen_host)) is not None:
            log.warning("api_authentication", advice=warning)
        # What exists now lives as long as the process: take it out of the cyclic GC's reach. Otherwise
        # every full collection walks all of it (~30 ms every few hundred requests under load, the p99)
        # and never finds garbage there.
        gc.freeze()
        log.info(
            "ingest_started",
            dispatcher=run_dispatcher,
            pollers=[p.name for p in runner.pollers],
            background=[t.name for t in background.tasks],
        )
        try:
            yield
        finally:
            gc.unfreeze()
            await background.stop()
            await runner.stop()
            if watch is not None:
                watch.cancel()
                with suppress(asyncio.CancelledError):
                    await watch
            if dispatcher is not None:
                await asyncio.to_thread(dispatcher.stop)
            routing.stop()
            await client.aclose()

    app = FastAPI(
        title="alertfleet ingest",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.include_router(webhooks.router)
    app.include_router(source_webhooks.router_for(s for i in registry.integrations() for s in i.webhooks()))
    app.include_router(api.router)
    app.include_router(health.router)
    for family in (holmes.router, kubernaut.router, robusta.router, kubernaut.health_router):
        app.include_router(family)
    for integration in registry.integrations():
        for router in integration.app_routes():
            app.include_router(router)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(HttpMetrics)
    _install_problem_handlers(app)
    return app


def serve_app() -> FastAPI:
    """The factory `alertfleet ingest` gives uvicorn: each uvicorn worker process configures its own
    logging (JSON, secrets masked) before building the app; a spawned worker inherits none."""
    from alertfleet.log import configure_logging

    settings = get_settings()
    configure_logging(settings)
    return create_app(settings, listen_host=os.environ.get(LISTEN_HOST_ENV))


async def _warn_durability(client: aioredis.Redis) -> None:
    try:
        config = normalise(await cast(Any, client).config_get("*"))
    except redis.exceptions.ResponseError:
        config = {}
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
        log.warning("redis_unreachable_at_start")
        return
    for warning in durability_warnings(config):
        log.warning("redis_durability", advice=warning)


def _install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(invalid_payload(list(exc.errors())), request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        problem = Problem(exc.status_code, _reason(exc.status_code), str(exc.detail), "http-error")
        return problem_response(problem, request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", path=request.url.path, error=type(exc).__name__)
        problem = Problem(500, "Internal Server Error", "unexpected error; nothing was stored", "internal")
        return problem_response(problem, request.url.path)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
