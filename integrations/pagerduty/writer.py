"""Writes an investigation to a PagerDuty incident: a note, and in `update` mode the fields config names.

Notes are append-only. A write whose findings are unchanged adds nothing (resolutions and attached
alerts included: PagerDuty already shows the incident's state); changed findings add one follow-up
note. Each note ends with a marker, so `find_previous` (called by the write pipeline when an earlier
attempt may have reached PagerDuty) finds a note whose answer was lost instead of adding another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from alertfleet.keys import content_hash
from alertfleet.models import Investigation, WriteRecord
from alertfleet.writing import RateLimited, RequestBudget, WriteError, WriteResult, truncate
from integrations.pagerduty.client import PagerDutyApi, PagerDutyError
from integrations.pagerduty.render import note_body, note_marker, render_note
from integrations.pagerduty.settings import PagerDutySettings

TITLE_LIMIT = 1024
URGENCY_FOR_SEVERITY = {
    "critical": "high",
    "error": "high",
    "high": "high",
    "page": "high",
    "warning": "low",
    "warn": "low",
    "info": "low",
    "low": "low",
}
# What to tell whoever reads the dead letter, by PagerDuty status.
_HINTS = {
    400: "check PAGERDUTY_USER_EMAIL (a user of the account) and the update fields",
    401: "check PAGERDUTY_API_KEY",
    402: "the PagerDuty plan lacks this feature",
    403: "the API key cannot write: use a read/write key",
    404: "no such incident for this key (deleted, or another account or region: check PAGERDUTY_API_URL)",
}


@dataclass(frozen=True)
class WriterOptions:
    """PAGERDUTY_MODE and what `update` may change; read-only never gets here (not fanned out)."""

    mode: str = "notes"
    update_fields: tuple[str, ...] = ()
    priority_map: Mapping[str, str] = field(default_factory=dict)
    public_url: str | None = None


def classify(err: PagerDutyError) -> WriteError:
    """PagerDuty's answer -> the retry contract: 429/5xx/unreachable retry, other 4xx dead-letter."""
    if err.status == 429:
        return RateLimited(err.message, err.retry_after)
    if err.status is None or err.status >= 500 or err.status in (408, 409):
        return WriteError(err.message, recoverable=True, retry_after=err.retry_after)
    hint = _HINTS.get(err.status)
    return WriteError(f"HTTP {err.status}: {err.message}" + (f" — {hint}" if hint else ""), recoverable=False)


class PagerDutyWriter:
    destination = "pagerduty"

    def __init__(
        self,
        api: PagerDutyApi,
        options: WriterOptions,
        *,
        throttle: Callable[[], float] | None = None,
        prepaid_requests: int = 0,
    ) -> None:
        self.api = api
        self.options = options
        self.throttle = throttle
        self.prepaid_requests = prepaid_requests

    def incident_changes(self, investigation: Investigation) -> dict[str, Any]:
        """In `update` mode, the fields config allows, derived from the alert's severity and findings."""
        if self.options.mode != "update":
            return {}
        fields = self.options.update_fields
        labels = investigation.event.labels
        severity = labels.get("severity", "").lower()
        changes: dict[str, Any] = {}
        urgency = URGENCY_FOR_SEVERITY.get(severity)
        if "urgency" in fields and urgency and labels.get("urgency") != urgency:
            changes["urgency"] = urgency
        priority = self.options.priority_map.get(severity)
        if "priority" in fields and priority and labels.get("priority") != priority:
            changes["priority"] = priority  # a name: PagerDuty picks the highest priority with it
        result = investigation.result
        cause = next((line.strip("-*• ") for line in (result.sections.root_causes if result else "").splitlines()), "")
        if "title" in fields and cause:
            changes["title"] = truncate(f"{investigation.event.title} — alertfleet: {cause}", TITLE_LIMIT, "…")
        return changes

    def write(self, investigation: Investigation, target: str, previous: WriteRecord | None) -> WriteResult:
        changes = self.incident_changes(investigation)
        note_hash = content_hash(note_body(investigation))
        digest = content_hash({"note": note_hash, "changes": changes})
        if previous is not None and previous.content_hash == digest:
            return WriteResult(previous.external_id, digest, "unchanged", previous.details)
        budget = RequestBudget(self.throttle, self.prepaid_requests, "pagerduty")
        details: dict[str, Any] = {"incident_id": target, "note_hash": note_hash, "updated_fields": sorted(changes)}
        try:
            if previous is not None and previous.details.get("note_hash") == note_hash:
                note_id = previous.external_id  # only the incident fields changed
            else:
                note_id = self._add_note(investigation, target, note_hash[:12], budget, follow_up=previous is not None)
            if changes:
                budget.take()
                self.api.update_incident(target, changes)
        except PagerDutyError as err:
            raise classify(err) from None
        return WriteResult(note_id, digest, "updated" if previous is not None else "created", details)

    def find_previous(self, investigation: Investigation, target: str, since: float) -> WriteResult | None:
        """The note an earlier attempt added before its answer was lost, found by its marker.

        Its hash leaves the incident fields out, so an `update` whose note arrived but whose field
        change did not is completed by the next write instead of being taken for done.
        """
        note_hash = content_hash(note_body(investigation))
        try:
            RequestBudget(self.throttle, 0, "pagerduty").take()
            note_id = self._find_note(target, note_marker(investigation, note_hash[:12]))
        except PagerDutyError as err:
            raise classify(err) from None
        if note_id is None:
            return None
        details = {"incident_id": target, "note_hash": note_hash, "updated_fields": [], "found": True}
        return WriteResult(note_id, content_hash({"note": note_hash, "changes": {}}), "created", details)

    def _add_note(
        self, investigation: Investigation, incident_id: str, ref: str, budget: RequestBudget, *, follow_up: bool
    ) -> str:
        if follow_up:
            # A first note is recovered through find_previous; a follow-up has no such marker, so look.
            budget.take()
            found = self._find_note(incident_id, note_marker(investigation, ref))
            if found is not None:
                return found
        content = render_note(investigation, ref, self.options.public_url, follow_up=follow_up)
        budget.take()
        note = self.api.create_note(incident_id, content)
        return str(note.get("id", ""))

    def _find_note(self, incident_id: str, marker: str) -> str | None:
        try:
            notes = self.api.list_notes(incident_id)
        except PagerDutyError as err:
            if err.status is not None and 400 <= err.status < 500 and err.status not in (401, 403, 429):
                return None  # cannot list (e.g. 404): the note's own answer will tell what is wrong
            raise
        return next((str(n.get("id", "")) for n in notes if marker in str(n.get("content", ""))), None)


def build_pagerduty_writer(
    settings: PagerDutySettings,
    public_url: str | None,
    *,
    mode: str | None = None,
    throttle: Callable[[], float] | None = None,
    prepaid_requests: int = 0,
    api_key: str | None = None,
) -> PagerDutyWriter:
    """The writer as settings describe it (workers and the CLI differ only in mode and throttle)."""
    key = api_key or (settings.pagerduty_api_key.get_secret_value() if settings.pagerduty_api_key else "")
    options = WriterOptions(
        mode=mode or settings.pagerduty_mode,
        update_fields=tuple(settings.pagerduty_update_fields),
        priority_map=dict(settings.pagerduty_priority_map),
        public_url=public_url,
    )
    api = PagerDutyApi(key, settings.pagerduty_api_url, settings.pagerduty_user_email)
    return PagerDutyWriter(api, options, throttle=throttle, prepaid_requests=prepaid_requests)
