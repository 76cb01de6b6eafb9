"""The fleet's task base: an unexpected exception is retried a few times, then kept — never dropped.

Celery acknowledges a task that raised (`task_acks_on_failure_or_timeout`), so without this an
unforeseen error (a bug, a record the worker cannot read, a lock that never frees) would leave the
investigation `running` forever with nothing posted and nothing dead-lettered. Every task of the
fleet takes its investigation id first, so the reason can be put where the API shows it.
"""

from __future__ import annotations

from typing import Any

import structlog
from celery import Task
from celery.exceptions import Ignore, Reject, Retry

from alertfleet.redaction import error_text
from workers.policy import backoff

log = structlog.get_logger("worker")

# The attempt counter travels as a keyword so that the tasks' own retries and positional args stay as they are.
ATTEMPT_KWARG = "unexpected_errors"
UNEXPECTED_MAX_RETRIES = 3
REASON_CHARS = 500


def failure_reason(exc: BaseException) -> str:
    """What the dead letter and the API say: the error's type and message, secrets and internal URLs
    masked (alertfleet/redaction.py), bounded."""
    return error_text(exc, REASON_CHARS)


class GuardedTask(Task):  # type: ignore[misc]
    """Celery calls a base class's `__call__` with the request already pushed; `run` is the task body.

    `fails_investigation` (a task option): when the task gives up, its investigation is marked
    `failed` with the reason (the investigate task); other tasks leave the status and note the reason.
    """

    fails_investigation = False
    typing = False  # the attempt keyword is not in the tasks' signatures (Celery would refuse to send it)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        errors = int(kwargs.pop(ATTEMPT_KWARG, 0) or 0)
        try:
            return self.run(*args, **kwargs)
        except (Retry, Ignore, Reject):
            raise
        except Exception as exc:
            reason = failure_reason(exc)
            if errors < UNEXPECTED_MAX_RETRIES:
                log.warning("task_error_retry", task=self.name, attempt=errors + 1, reason=reason)
                raise self.retry(
                    args=list(args),
                    kwargs={**kwargs, ATTEMPT_KWARG: errors + 1},
                    countdown=backoff(errors),
                    max_retries=int(self.request.retries or 0) + 1,
                ) from None
            self.give_up(list(args), kwargs, reason, errors)
            return "dead-lettered"

    def give_up(self, args: list[Any], kwargs: dict[str, Any], reason: str, errors: int) -> None:
        """Dead-letter the task (replayable as it first came) and put the reason on its investigation."""
        from alertfleet.state import InvestigationStore
        from workers.app import redis_client
        from workers.dlq import DeadLetter, DeadLetters

        queue = str((self.request.delivery_info or {}).get("routing_key", ""))
        letter = DeadLetter(task=str(self.name), args=args, reason=reason, attempts=errors + 1, queue=queue)
        DeadLetters(redis_client()).add(letter)
        log.error("dead_lettered", task=self.name, reason=reason, letter_id=letter.id)
        if not args or not isinstance(args[0], str):
            return
        store = InvestigationStore(redis_client())
        if self.fails_investigation:
            store.fail(args[0], reason)
        elif store.exists(args[0]):
            store.note_error(args[0], f"{self.name}: {reason}")
