"""A process's active routing config, replaced on SIGHUP or when the file changes — and only by a valid one.

Every `current()` compares the file's stat (inode, mtime, size: a ConfigMap update swaps a symlink, so
all three move) with the loaded one — a stat costs microseconds — so the next alert after a change
already uses it, in every process including forked pool children. A watcher thread does the same
once a second so that a refused file is logged even when no alert comes.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import structlog

from alertfleet.config import ConfigError, RoutingConfig, load_config, parse_config
from alertfleet.log import register_secrets
from alertfleet.settings import FleetSettings

log = structlog.get_logger("config")

Stamp = tuple[int, int, int, int] | None
_holders: weakref.WeakSet[ConfigHolder] = weakref.WeakSet()


def _stamp(path: Path | None) -> Stamp:
    if path is None:
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)


class ConfigHolder:
    """Loads the config once (a bad file raises ConfigError: start-up refuses it), then keeps it current."""

    def __init__(self, settings: FleetSettings, path: Path | None = None, *, poll_interval: float = 1.0) -> None:
        self.settings = settings
        self.path = path if path is not None else settings.config_file
        self.poll_interval = poll_interval
        self._stamp = _stamp(self.path)
        self._config = load_config(settings, self.path)
        register_secrets(self._config.secret_values())
        self._reload_requested = False
        self._rejected: str | None = None
        self._reset_threading()
        _holders.add(self)

    def _reset_threading(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def config(self) -> RoutingConfig:
        """The active config, without looking at the file."""
        return self._config

    def current(self) -> RoutingConfig:
        """The config to use now: a changed file, or a requested reload, is taken into account first."""
        self.refresh()
        return self._config

    def request_reload(self) -> None:
        """Safe inside a signal handler: only sets a flag; the next refresh reads the file."""
        self._reload_requested = True

    def refresh(self) -> bool:
        """Reload when the file changed or a reload was requested; True when a new config is active."""
        if self.path is None:
            self._reload_requested = False
            return False
        if not self._reload_requested and _stamp(self.path) == self._stamp:
            return False
        with self._lock:
            forced, self._reload_requested = self._reload_requested, False
            stamp = _stamp(self.path)
            if stamp == self._stamp and not forced:
                return False
            self._stamp = stamp
            return self._reload(forced)

    def _reload(self, forced: bool) -> bool:
        path = str(self.path)
        reason = "sighup" if forced else "file-changed"
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            log.error("config_rejected", file=path, reason=reason, problems=[f"cannot read the file: {exc}"])
            return False
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest == self._config.digest:
            if forced:
                log.info("config_unchanged", file=path, reason=reason)
            return False
        if digest == self._rejected and not forced:
            return False
        try:
            config = parse_config(text, self.settings, path)
        except ConfigError as exc:
            self._rejected = digest
            log.error("config_rejected", file=path, reason=reason, problems=exc.problems, kept=self._config.digest[:12])
            return False
        register_secrets(config.secret_values())
        self._config, self._rejected = config, None
        log.info("config_reloaded", file=path, reason=reason, digest=digest[:12])
        return True

    def start_watching(self) -> None:
        """Check the file every `poll_interval` seconds in a daemon thread (no-op without a file)."""
        if self.path is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._watch, name="config-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_interval):
            try:
                self.refresh()
            except Exception as exc:  # the watcher must outlive any surprise; the old config stays
                log.error("config_watch_error", error=repr(exc))


def install_sighup(callback: Callable[[], None]) -> bool:
    """Call `callback` on SIGHUP; only the main thread may install a handler (False elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        return False

    def _handler(_signum: int, _frame: FrameType | None) -> None:
        callback()

    signal.signal(signal.SIGHUP, _handler)
    return True


def _after_fork_in_child() -> None:
    # A lock held by the parent's watcher thread at fork time would never be released in the child.
    for holder in list(_holders):
        holder._reset_threading()


os.register_at_fork(after_in_child=_after_fork_in_child)
