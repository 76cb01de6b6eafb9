"""The one shape of an integration: a vendor is one folder under `integrations/<vendor>/` whose
`__init__.py` exposes `integration = <Vendor>Integration()`, a subclass of `Integration` below, and
one line in `alertfleet/registry.py` naming it (or, for one kept outside this repository, an entry in
ALERTFLEET_INTEGRATIONS). Nothing else in the fleet names a vendor.

What a subclass declares (class attributes) and fills in (methods), every part optional:

- **settings**  `settings_model`: a pydantic-settings mixin with the vendor's environment names as
  aliases (<VENDOR>_API_KEY, ...). The registry composes every mixin into the fleet's one `Settings`,
  so all of them are validated together at start-up with one line per bad variable.
- **destination**  `destination_model`: the YAML `destinations.<name>:` model (`type: Literal[name]`,
  strict keys); `write_target`, `describe`, `destination_problems`, `default_destination`, and
  `route_options` say how a routed destination becomes a write.
- **source**  `pollers()`: objects following `Poller` (an interval and a cursor kept in Redis by
  ingest); `webhooks()`: `WebhookSource`s (a route, its signature check, payload -> events). Both turn
  vendor payloads into `Event`s whose labels are what routes match on.
- **writer**  `writer()`: an object following `alertfleet.writing.Writer` (write / update through
  `previous`, and optionally `find_previous` for a write whose answer was lost).
- **render**  `render()`: investigation -> the vendor's text/blocks (what the writer sends).
- **limits**  `rate_limit`: the vendor's default fleet-wide limit; `limit()` may read an override
  from the vendor's settings. ingest (pollers) and workers (writers) take tokens from the same
  Redis limiter (alertfleet.limits), so the budget covers both, across every process and host.
- **CLI**  `cli()`: a typer command registered as `alertfleet investigate <name>`.
- **app**  for a chat tool people answer back in: `app_routes()` (FastAPI routers ingest mounts, e.g.
  the vendor's event and interaction callbacks), `background()` (long-lived tasks ingest runs on exactly
  one replica under a renewed Redis lease, e.g. an outbound socket), `worker_modules()` (Celery task
  modules the worker imports, which do the work those deliveries ask for) and `written()` (told after a
  write succeeded, so the vendor can remember which of its messages belongs to which investigation).

Heavy SDKs are imported inside `writer()`/`pollers()`, never at module import: the registry imports
every integration's `__init__` in every process (ingest stays free of SDKs it does not poll with).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings

from alertfleet.models import Event, Investigation, WriteTarget
from alertfleet.writing import Throttle, Writer

if TYPE_CHECKING:
    import redis

    from alertfleet.config import RoutingConfig
    from alertfleet.settings import FleetSettings
    from alertfleet.writing import WriteResult

__all__ = [
    "Background",
    "Cursor",
    "EventSink",
    "Integration",
    "NotConfigured",
    "Poller",
    "RateLimit",
    "SourceEvent",
    "StoredEvent",
    "WebhookOutcome",
    "WebhookSource",
]

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


class NotConfigured(LookupError):
    """A writer cannot be built (no key, read-only mode, unknown option): a configuration problem,
    dead-lettered with this reason; no retry can fix it."""


@dataclass(frozen=True)
class RateLimit:
    """A vendor's fleet-wide request limit in `limits` syntax ("60/minute"); `per_target` where the
    vendor limits per target (a chat tool: per channel)."""

    limit: str
    per_target: bool = False


# --- sources ----------------------------------------------------------------------------------------------


class StoredEvent(Protocol):
    """What ingest answers for a stored event."""

    @property
    def investigation_id(self) -> str: ...

    @property
    def action(self) -> str: ...  # investigate | attach | resolve | duplicate


class EventSink(Protocol):
    """Where a source puts events (ingest's intake): durably, deduplicated, or it raises."""

    async def store_event(
        self, source: str, event: Event, dedup_key: str, problem: str | None = None
    ) -> StoredEvent: ...


class Cursor(Protocol):
    """A poller's position, persisted by ingest (one per poller name)."""

    async def get(self) -> str | None: ...

    async def set(self, value: str) -> None: ...


class Poller(Protocol):
    """A pull source: asked for new events every `interval` seconds, once across all ingest replicas
    (ingest holds a lease and a lock per poller `name`)."""

    name: str
    interval: float

    async def poll_once(self, sink: EventSink, cursor: Cursor) -> int:
        """Store what is new since the cursor (advancing it); return how many events were new."""
        ...


@dataclass(frozen=True)
class SourceEvent:
    """One event a webhook delivery carries, with the keys that keep it idempotent.

    `problem` overrides sha256(group_key) (e.g. an incident that links to an Alertmanager group);
    `only_resolves_own`: a resolution that applies only when the problem's open investigation was
    started by this same source; otherwise it is ignored with this text as the answer's detail."""

    event: Event
    dedup_key: str
    problem: str | None = None
    only_resolves_own: str | None = None


@dataclass(frozen=True)
class WebhookOutcome:
    """What a verified delivery means: its vendor event type and the events to store (none: ignored)."""

    event_type: str
    events: Sequence[SourceEvent] = ()
    status_code: int = 202  # the answer to a delivery that stores nothing (GitHub's `ping` wants 200)


@dataclass(frozen=True)
class WebhookSource:
    """A signed push source; ingest serves `path`, answering 404 while `secret()` is None, 401 when
    `verify` fails, 422 when the body does not fit `payload_model`, and 202 with what was stored."""

    path: str
    summary: str
    source: str  # the Event source name (metrics label)
    secret: Callable[[FleetSettings], str | None]
    not_configured: str  # the 404 detail, naming the variable that turns the route on
    verify: Callable[[str, bytes, Mapping[str, str]], bool]  # (secret, raw body, headers)
    bad_signature: str  # the 401 detail
    payload_model: type[BaseModel]
    outcome: Callable[[Any], WebhookOutcome]  # a validated payload_model instance -> outcome


class Background(Protocol):
    """A long-lived task (a vendor's outbound socket): ingest runs `run()` on one replica at a time,
    holding the lease `name` and renewing it; when the lease is lost the task is cancelled, and when
    `run()` ends or fails it is started again (by whichever replica wins the lease)."""

    name: str

    async def run(self) -> None: ...


# --- the base class ---------------------------------------------------------------------------------------


class Integration(Generic[SettingsT]):
    """One vendor. Subclass, set the class attributes, override what the vendor has; see the module doc."""

    name: ClassVar[str]  # destination `type:`, queue `write.<name>`, limiter and write-record key
    settings_model: ClassVar[type[BaseSettings] | None] = None
    destination_model: ClassVar[type[BaseModel] | None] = None
    rate_limit: ClassVar[RateLimit | None] = None
    # The variable a destination's credential comes from unless it names another with `token_env`.
    credential_env: ClassVar[str | None] = None
    # A routed destination's option -> the settings field it replaces for that destination's writer.
    route_options: ClassVar[Mapping[str, str]] = {}
    # For a source written back to: the settings field of its mode (read-only | notes | update), which a
    # routed destination's `mode:` overrides; read-only means read from, never written to.
    mode_setting: ClassVar[str | None] = None

    # settings ------------------------------------------------------------------------------------------

    def own(self, settings: FleetSettings) -> SettingsT:
        """The fleet settings seen as this integration's (the composed class includes its mixin)."""
        model = self.settings_model
        if model is not None and not isinstance(settings, model):
            raise TypeError(f"settings were not composed with {model.__name__} (alertfleet.registry)")
        return settings  # type: ignore[return-value]

    def limit(self, settings: FleetSettings) -> RateLimit | None:
        """The limit in force; ALERTFLEET_RATE_LIMITS still overrides it (alertfleet.limits)."""
        return self.rate_limit

    def secrets(self, settings: FleetSettings) -> list[str]:
        """Secret values to mask in logs beyond *_API_KEY/_TOKEN/_SECRET/_PASSWORD variables."""
        return []

    # sources -------------------------------------------------------------------------------------------

    def pollers(self, settings: FleetSettings, throttle: Throttle) -> list[Poller]:
        """The pollers these settings turn on; `throttle` is the vendor's shared limiter (0 = go now)."""
        return []

    def webhooks(self) -> list[WebhookSource]:
        return []

    # destination ---------------------------------------------------------------------------------------

    def default_destination(self, settings: FleetSettings) -> BaseModel | None:
        """The destination the environment alone sets up (zero-config route), if any."""
        return None

    def write_target(self, destination: BaseModel, name: str = "") -> WriteTarget:
        """A routed destination (named `name` in the routing file) as the write task gets it; an empty
        target writes back to the source. Options only name things: no secret travels in a task."""
        options = {key: getattr(destination, key, None) for key in self.route_options}
        return WriteTarget(type=self.name, target="", options={k: v for k, v in options.items() if v})

    def describe(self, name: str, destination: BaseModel) -> str:
        """One line for `alertfleet config check|route`."""
        mode = getattr(destination, "mode", None)
        return f"{name} ({self.name}{f', mode {mode}' if mode else ''})"

    def secret_env_names(self, destination: BaseModel) -> list[str]:
        """The variables a destination reads its secrets from (their values are masked in logs)."""
        return [value for value in (getattr(destination, "token_env", None),) if value]

    def destination_problems(
        self, where: str, destination: BaseModel, settings: FleetSettings, env: Mapping[str, str]
    ) -> list[str]:
        """What the destination needs that is missing now, not at the first alert."""
        token_env = getattr(destination, "token_env", None)
        if token_env is not None:
            return [] if env.get(token_env) else [f"{where}.token_env: environment variable {token_env} is not set"]
        default = self.credential_env
        if default is None or env.get(default) or getattr(settings, default.lower(), None):
            return []
        return [f"{where}: {self.name} needs {default} (or token_env naming another variable)"]

    def writes_allowed(self, options: Mapping[str, Any], settings: FleetSettings) -> bool:
        """False for a source read from but never written back to (its mode, or the route's, read-only)."""
        if self.mode_setting is None:
            return True
        return (options.get("mode") or getattr(settings, self.mode_setting, None)) != "read-only"

    def settings_for(
        self, options: Mapping[str, Any], settings: FleetSettings, config: RoutingConfig | None = None
    ) -> FleetSettings:
        """The settings one routed destination's writer sees: the environment's with its options applied;
        `token_env`/`secret_env` name the variable holding the secret, so no secret travels in a task.
        `config` is the worker's routing config, for options that name a destination in it."""
        updates: dict[str, Any] = {}
        for key, value in options.items():
            field = self.route_options.get(key)
            if field is None or field not in type(settings).model_fields:
                raise NotConfigured(f"{self.name} destinations take no option {key!r}")
            updates[field] = self.option_value(key, value)
        return settings.model_copy(update=updates) if updates else settings

    def option_value(self, key: str, value: Any) -> Any:
        """A route option's value as the settings field holds it (secrets resolved from the environment)."""
        if key in ("token_env", "secret_env") and value is not None:
            secret = os.environ.get(str(value))
            if not secret:
                raise NotConfigured(f"{self.name}: environment variable {value} is not set")
            return SecretStr(secret)
        return value

    # writer, render, CLI -------------------------------------------------------------------------------

    def writer(self, settings: FleetSettings, throttle: Throttle) -> Writer:
        """The writer for these settings; raise NotConfigured when it cannot write. The write task took
        one token of `throttle` before each write; a writer charges further requests to it."""
        raise NotConfigured(f"{self.name} has no writer")

    def render(self, investigation: Investigation) -> object:
        """The vendor's rendering of an investigation (text, blocks, note, payload)."""
        raise NotImplementedError(f"{self.name} renders nothing")

    def cli(self) -> Callable[..., None] | None:
        """A typer command for `alertfleet investigate <name>`, or None."""
        return None

    # app: people answering back -------------------------------------------------------------------------

    def app_routes(self) -> list[Any]:
        """FastAPI routers ingest mounts (each answers 404 itself while its settings leave it off)."""
        return []

    def background(self, settings: FleetSettings) -> list[Background]:
        """Long-lived tasks these settings turn on, run by one ingest replica at a time."""
        return []

    def worker_modules(self) -> list[str]:
        """Celery task modules (dotted names) the worker imports beside its own."""
        return []

    def written(
        self,
        settings: FleetSettings,
        client: redis.Redis,
        investigation: Investigation,
        target: str,
        result: WriteResult,
    ) -> None:
        """Called by the write task after a write of `investigation` succeeded (best effort: a failure
        here is logged, never repeats the write)."""
        return None


def has_writer(integration: Integration[Any]) -> bool:
    """Whether the integration overrides `writer` (it is a destination with a `write.<name>` queue)."""
    return type(integration).writer is not Integration.writer
