"""The test MCP server (tests/stubs/mcp_server.py) as its own process, startable and stoppable."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from tests.harness.processes import free_port, wait_for


class McpServerProcess:
    def __init__(self, workdir: Path, port: int | None = None, transport: str = "streamable-http") -> None:
        self.port = port or free_port()
        self.transport = transport
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{'sse' if self.transport == 'sse' else 'mcp'}"

    def start(self) -> McpServerProcess:
        log = (self.workdir / f"mcp-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.stubs.mcp_server", str(self.port), self.transport], stdout=log, stderr=subprocess.STDOUT
        )
        if not wait_for(self._listening, 30, 0.1):
            self.stop()
            raise RuntimeError("MCP server did not start: " + (self.workdir / f"mcp-{self.port}.log").read_text())
        return self

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # uvicorn waits for in-flight calls (a sleeping tool): then kill
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
