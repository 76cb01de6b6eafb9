"""The Celery app object, queue and task names: ingest enqueues by name and never imports workers."""

from __future__ import annotations

from typing import Any

from celery import Celery

from alertfleet.settings import FleetSettings

QUEUE_INVESTIGATE = "investigate"
# HTTP API requests (chat, investigate, sessions): their own queue, so a chat never waits behind alerts.
QUEUE_CHAT = "chat"

TASK_INVESTIGATE = "alertfleet.investigate"
TASK_ATTACH = "alertfleet.attach"
TASK_RESOLVE = "alertfleet.resolve"
TASK_WRITE = "alertfleet.write"
TASK_CHAT = "alertfleet.chat"

# Margin over the longest task so the Redis transport never redelivers a task that is still running.
VISIBILITY_MARGIN_SECONDS = 600


def write_queue(destination: str) -> str:
    """One queue per vendor, so a slow vendor cannot starve investigations or other vendors."""
    return f"write.{destination}"


def all_queues() -> tuple[str, ...]:
    """What a worker consumes by default: investigations, API requests and every registered destination's writes."""
    from alertfleet.registry import destinations

    return (QUEUE_INVESTIGATE, QUEUE_CHAT, *(write_queue(integration.name) for integration in destinations()))


def __getattr__(name: str) -> Any:
    # ALL_QUEUES is all_queues(), read when first used: the registry knows every integration by then.
    if name == "ALL_QUEUES":
        return all_queues()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def celery_config(settings: FleetSettings) -> dict[str, Any]:
    # A debounced investigation is held (unacknowledged) for ALERTFLEET_DEBOUNCE before it runs.
    visibility = int(settings.investigation_timeout + settings.debounce) + VISIBILITY_MARGIN_SECONDS
    return {
        "broker_url": settings.celery_broker_url,
        "broker_transport_options": {"visibility_timeout": visibility},
        "broker_connection_retry_on_startup": True,
        "result_backend": None,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": QUEUE_INVESTIGATE,
        "task_routes": {
            TASK_INVESTIGATE: {"queue": QUEUE_INVESTIGATE},
            TASK_ATTACH: {"queue": QUEUE_INVESTIGATE},
            TASK_RESOLVE: {"queue": QUEUE_INVESTIGATE},
            TASK_CHAT: {"queue": QUEUE_CHAT},
        },
        "task_soft_time_limit": int(settings.investigation_timeout),
        "task_time_limit": int(settings.investigation_timeout) + 30,
        "task_serializer": "json",
        "accept_content": ["json"],
        "worker_hijack_root_logger": False,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
    }


def make_celery(settings: FleetSettings) -> Celery:
    """A Celery app configured for the fleet; workers add their tasks to it, ingest only sends."""
    app = Celery("alertfleet")
    app.conf.update(celery_config(settings))
    return app
