"""Celery tasks: small, named for what they do, idempotent under redelivery."""

from __future__ import annotations

import functools
import json
import random
import time
from typing import Any

import structlog
from celery import Task

from alertfleet import fleet_metrics, registry
from alertfleet.integration import Integration, NotConfigured
from alertfleet.keys import investigation_lock_key
from alertfleet.limits import NoTurn
from alertfleet.models import Event, Investigation, InvestigationResult, RouteDecision, alert_key, cap_alerts
from alertfleet.queue import TASK_ATTACH, TASK_INVESTIGATE, TASK_RESOLVE, TASK_WRITE, write_queue
from alertfleet.routing import decide
from alertfleet.settings import get_settings
from alertfleet.state import RESOLVED_BEFORE, InvestigationStore
from alertfleet.writing import RateLimited, WriteError, WriteResult
from workers.app import app, hourly_budget, rate_limiter, redis_client
from workers.destinations import destinations_for, writer_for
from workers.dlq import DeadLetter, DeadLetters
from workers.failures import GuardedTask
from workers.investigator.enrich import enrich
from workers.investigator.loop import ModelUnavailable
from workers.investigator.run import run_investigation
from workers.policy import MAX_MODEL_RETRIES, backoff
from workers.route_config import count_routed, routing
from workers.toolbox import current_toolbox
from workers.writes import WriteBusy, perform_write

log = structlog.get_logger("worker")


def _store() -> InvestigationStore:
    return InvestigationStore(redis_client())


def fan_out(investigation: Investigation) -> None:
    for destination in destinations_for(investigation, get_settings()):
        options = [destination.options] if destination.options else []  # a routed destination's writer options
        write.apply_async(
            args=[investigation.id, destination.type, destination.target, *options],
            queue=write_queue(destination.type),
        )


def _route(store: InvestigationStore, investigation: Investigation) -> RouteDecision:
    """Evaluate the route once per investigation: retries, redeliveries and later reloads keep that decision."""
    if investigation.route is not None:
        return investigation.route
    decision = decide(routing().current(), investigation.event)
    decision, new = store.set_route_once(investigation.id, decision)
    if new:
        count_routed(redis_client(), decision)
        log.info(
            "investigation_routed",
            investigation_id=investigation.id,
            routes=decision.routes,
            investigate=decision.investigate,
            destinations=decision.destinations,
        )
    return decision


@app.task(name=TASK_INVESTIGATE, bind=True, base=GuardedTask, fails_investigation=True, max_retries=MAX_MODEL_RETRIES)
def investigate(self: Task, investigation_id: str) -> str:
    store = _store()
    investigation = store.load(investigation_id)
    if investigation is None:
        log.warning("investigation_missing", investigation_id=investigation_id)
        return "missing"
    if investigation.status == "completed":
        fan_out(investigation)  # a redelivery: writes are idempotent, so finishing the fan-out is safe
        return "already-completed"
    if investigation.status == RESOLVED_BEFORE:
        return RESOLVED_BEFORE
    decision = _route(store, investigation)
    if decision.investigate == "skip":
        store.set_status(investigation_id, "completed", error="")  # nothing to investigate, nothing to write
        log.info("investigation_skipped", investigation_id=investigation_id, route=decision.routes[0])
        _count_finished("skipped", decision)
        return "skipped"
    if not store.start(investigation_id, str(self.request.hostname or "")):
        # Its resolution arrived first (ingest marked it atomically): nothing to find, nothing to post.
        log.info("investigation_resolved_before_start", investigation_id=investigation_id)
        fleet_metrics.record(redis_client(), fleet_metrics.INVESTIGATIONS_SKIPPED, {"reason": RESOLVED_BEFORE})
        return RESOLVED_BEFORE
    started = time.monotonic()
    spent = budget_spent_note() if decision.investigate == "llm" else None
    try:
        result = (
            enrich(investigation.event, degraded_reason=spent, model_skipped=True)
            if spent is not None
            else run_investigation(
                investigation.event,
                get_settings(),
                degrade=self.request.retries >= self.max_retries,
                mode=decision.investigate,
                model=decision.model,
                max_steps=decision.max_steps,
                max_tokens=decision.max_tokens,
                call_timeout=decision.timeout,
                toolsets=decision.toolsets,
                toolbox=current_toolbox(),
            )
        )
    except ModelUnavailable as exc:
        log.warning("model_unavailable", investigation_id=investigation_id, error=str(exc))
        raise self.retry(countdown=backoff(self.request.retries)) from None
    store.complete(investigation_id, result)
    log.info("investigation_completed", investigation_id=investigation_id, mode=result.mode, steps=result.steps)
    _count_finished("degraded" if result.degraded_reason else "completed", decision, result, time.monotonic() - started)
    completed = store.load(investigation_id)
    if completed is not None:
        fan_out(completed)
    return "completed"


def _count_finished(
    state: str, decision: RouteDecision, result: InvestigationResult | None = None, seconds: float = 0.0
) -> None:
    client = redis_client()
    fleet_metrics.record(client, fleet_metrics.INVESTIGATIONS_FINISHED, {"state": state, "route": decision.routes[0]})
    if result is None:
        return
    fleet_metrics.observe(client, fleet_metrics.INVESTIGATION_SECONDS, {"mode": result.mode}, seconds)


def budget_spent_note() -> str | None:
    """The visible note when the fleet's hourly token budget is spent (and counted), else None."""
    note = hourly_budget().spent_note()
    if note is not None:
        fleet_metrics.record(redis_client(), fleet_metrics.TOKEN_BUDGET_EXHAUSTED, {})
    return note


def _count_write(vendor: str, outcome: str) -> None:
    fleet_metrics.record(redis_client(), fleet_metrics.WRITES, {"vendor": vendor, "outcome": outcome})


def _merge(old: Event, new: Event) -> Event:
    """Alerts of both notifications, the newer status of each alert winning, at most
    ALERTFLEET_MAX_ALERTS_PER_PROBLEM of them (firing and newest first; the rest are counted)."""
    alerts = {alert_key(alert): alert for alert in old.alerts}
    for alert in new.alerts:
        alerts.pop(alert_key(alert), None)  # re-inserted last: the newest notification's alerts win ties
        alerts[alert_key(alert)] = alert
    kept, omitted = cap_alerts(list(alerts.values()), get_settings().max_alerts_per_problem)
    writeback = list(dict.fromkeys([*old.writeback, *new.writeback]))
    update = {"alerts": kept, "omitted_alerts": omitted, "status": new.status, "writeback": writeback}
    return old.model_copy(update=update)


def _update_event(investigation_id: str, event_json: str, *, resolve: bool) -> None:
    store = _store()
    with redis_client().lock(investigation_lock_key(investigation_id), timeout=30, blocking_timeout=30):
        investigation = store.load(investigation_id)
        if investigation is None:
            return
        merged = _merge(investigation.event, Event.model_validate_json(event_json))
        if resolve:
            store.mark_resolved(investigation_id, merged)
        else:
            store.save_event(investigation_id, merged, investigation.notifications + 1)
    updated = store.load(investigation_id)
    if updated is not None and updated.status == "completed":
        fan_out(updated)


@app.task(name=TASK_ATTACH, bind=True, base=GuardedTask)
def attach(self: Task, investigation_id: str, event_json: str) -> None:
    """More alerts joined a problem already under investigation: refresh, do not re-investigate."""
    _update_event(investigation_id, event_json, resolve=False)


@app.task(name=TASK_RESOLVE, bind=True, base=GuardedTask)
def resolve(self: Task, investigation_id: str, event_json: str) -> None:
    """The problem resolved: mark it, and update what was already written."""
    _update_event(investigation_id, event_json, resolve=True)


def _tell_written(destination: str, investigation_id: str, target: str, result: WriteResult) -> None:
    """The integration learns where its write went (best effort: the write itself is done and recorded)."""
    integration = registry.get(destination)
    if integration is None or type(integration).written is Integration.written:
        return  # the vendor keeps nothing about its writes
    investigation = _store().load(investigation_id)
    if investigation is None:
        return
    try:
        integration.written(get_settings(), redis_client(), investigation, target, result)
    except Exception as exc:  # never undo or repeat a finished write over bookkeeping
        log.warning("written_hook_failed", destination=destination, error=f"{type(exc).__name__}: {str(exc)[:200]}")


def dead_letter(task: Task, args: list[Any], reason: str, failures: int = 0) -> None:
    letter = DeadLetter(
        task=str(task.name),
        args=args,
        reason=reason,
        attempts=failures + 1,
        queue=str((task.request.delivery_info or {}).get("routing_key", "")),
    )
    DeadLetters(redis_client()).add(letter)
    log.error("dead_lettered", task=task.name, reason=reason, letter_id=letter.id)


@app.task(name=TASK_WRITE, bind=True, base=GuardedTask, max_retries=None)
def write(
    self: Task,
    investigation_id: str,
    destination: str,
    target: str,
    options: dict[str, Any] | None = None,
    failures: int = 0,
) -> str:
    """One destination's write: wait for the shared limiter, write, retry what a retry can fix.
    `options` are a routed destination's (token_env, mode, ...): positional, so retries keep them."""
    args: list[Any] = [investigation_id, destination, target, *([options] if options else [])]
    options_key = json.dumps(options, sort_keys=True) if options else ""
    limiter = rate_limiter()
    try:
        writer = writer_for(destination, options_key)
        turn = functools.partial(limiter.turn, destination, target)  # a paced target counts from the answer
        result = perform_write(redis_client(), writer, investigation_id, target, _store().load, turn)
    except NoTurn as throttled:
        # Throttled is not failed: come back when a slot frees (jitter spreads the waiting tasks).
        countdown = throttled.retry_after + random.uniform(0, 0.1 + throttled.retry_after / 4)
        raise self.retry(countdown=countdown, kwargs={"failures": failures}, max_retries=None) from None
    except WriteBusy as busy:
        raise self.retry(countdown=busy.retry_after, kwargs={"failures": failures}, max_retries=None) from None
    except NotConfigured as exc:
        dead_letter(self, args, str(exc), failures)
        _count_write(destination, "dead_lettered")
        return "dead-lettered"
    except WriteError as err:
        if isinstance(err, RateLimited):
            fleet_metrics.record(redis_client(), fleet_metrics.THROTTLED, {"vendor": destination})
            if err.retry_after:
                limiter.pause(destination, err.retry_after)
                fleet_metrics.record(redis_client(), fleet_metrics.PAUSES, {"vendor": destination})
        if err.recoverable and failures < get_settings().write_max_retries:
            log.warning("write_retry", destination=destination, reason=err.reason, retry_after=err.retry_after)
            _count_write(destination, "retried")
            countdown = backoff(failures, err.retry_after)
            raise self.retry(countdown=countdown, kwargs={"failures": failures + 1}, max_retries=None) from None
        dead_letter(self, args, f"{destination}: {err.reason}", failures)
        _count_write(destination, "dead_lettered")
        return "dead-lettered"
    if result is None:
        _count_write(destination, "nothing_to_write")
        return "nothing-to-write"
    _count_write(destination, result.action)
    _tell_written(destination, investigation_id, target, result)
    log.info("write_done", destination=destination, action=result.action, investigation_id=investigation_id)
    return result.action
