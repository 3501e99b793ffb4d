"""A real `shopwatch serve` on the test database, which a test can kill with SIGKILL and start again."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.resilience.support import LIMIT, ROOT, free_port


class Serve:
    """`shopwatch serve` (and its children, in a session of their own) on ``port`` with ``env``."""

    def __init__(self, env: dict[str, str], log: Path, *args: str, command: str = "serve") -> None:
        self.env = env
        self.log = log
        self.args = args
        self.command = command
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, ready_path: str = "/healthz", limit: float = LIMIT) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "shopwatch.cli", self.command, "--port", str(self.port), *self.args],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + limit
        while True:
            assert self.proc.poll() is None, self.output()
            assert time.monotonic() < deadline, self.output()
            try:
                if requests.get(self.base + ready_path, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)

    def output(self) -> str:
        """The end of the log, for assertion messages."""
        return self.log.read_text(errors="replace")[-4000:]

    def full_output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL to the command and every child at once: nothing gets to finish or clean up."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=60)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
