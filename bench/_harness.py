"""Shared set-up for the serving benchmarks: a fresh data directory, a server process, its memory.

Used by bench/serving.py, bench/alerts_fanout.py and bench/gallery_page.py. Each benchmark gets its own
SHOPWATCH_DATA_DIR (SQLite, the embedded default), migrated, and starts the server itself. The "uvicorn"
server is the web server `shopwatch serve` runs (its launcher: uvicorn on a listening socket with
TCP_NODELAY, see shopwatch/core/management/commands/_serving.py), without task worker or scheduler;
"uvicorn-raw" is `python -m uvicorn` binding the socket itself (Nagle's algorithm left on with several
workers), kept for comparison.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

sys.path.insert(0, str(ROOT))
from shopwatch.core.management.commands._serving import REQUEST_THREADS_ENV, uvicorn_command  # noqa: E402


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_answering(
    proc: subprocess.Popen[bytes],
    port: int,
    log: Path,
    *,
    path: str = "/api/v1/openapi.json",
    method: str = "GET",
    status: int = 200,
    timeout: float = 120,
) -> None:
    """Wait until the server started as ``proc`` answers ``method path`` with ``status`` on ``port``.

    Raises RuntimeError with the end of its log if it exits first or does not answer within ``timeout`` s.
    """
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request(method, path)
            if conn.getresponse().status == status:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server did not answer within {timeout:.0f} s: {log.read_text()[-3000:]}")


class DataDir:
    """A temporary SHOPWATCH_DATA_DIR with a migrated database; removed by close()."""

    def __init__(self, *, rate_limit: int = 1_000_000) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="shopwatch-bench-"))
        self.env = {
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
        }
        self.env.update(
            SHOPWATCH_DATA_DIR=str(self.path),
            DJANGO_SETTINGS_MODULE="shopwatch.settings",
            SHOPWATCH_API_RATE_LIMIT=str(rate_limit),
            PYTHONPATH=str(ROOT),
        )
        self.manage("migrate", "-v", "0")

    def manage(self, *args: str) -> str:
        out = subprocess.run(
            [PY, "-m", "shopwatch.cli", *args],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout

    def python(self, script: str) -> str:
        """Run a script with Django set up in this data directory; returns its standard output."""
        out = subprocess.run(
            [PY, "-c", "import django; django.setup()\n" + script],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class Server:
    """A web server on a free port in its own process group: 'uvicorn' (ASGI, as `shopwatch serve` runs
    it), 'uvicorn-raw' (ASGI, uvicorn binding the socket itself) or 'gunicorn' (gthread).

    ``threads`` is gunicorn's threads per worker; ``request_threads`` the ASGI request pool per process
    (SHOPWATCH_REQUEST_THREADS, `shopwatch serve --threads`; default: its own)."""

    def __init__(
        self,
        data: DataDir,
        kind: str,
        *,
        workers: int = 2,
        threads: int = 8,
        request_threads: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.kind = kind
        env = dict(env or {})
        if kind == "uvicorn":
            cmd = [*uvicorn_command(host="127.0.0.1", port=self.port, workers=workers), "--no-access-log"]
            if request_threads:
                env[REQUEST_THREADS_ENV] = str(request_threads)
            self.label = f"shopwatch serve's uvicorn --workers {workers}" + (
                f" x {request_threads}" if request_threads else ""
            )
        elif kind == "uvicorn-raw":
            cmd = [
                PY,
                "-m",
                "uvicorn",
                "shopwatch.core.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ]
            self.label = f"python -m uvicorn --workers {workers}"
        elif kind == "gunicorn":
            cmd = [
                PY,
                "-m",
                "gunicorn",
                "shopwatch.wsgi:application",
                "-k",
                "gthread",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "-b",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ]
            self.label = f"gunicorn gthread {workers}x{threads}"
        else:
            raise ValueError(kind)
        self.log = data.path / f"server-{self.port}.log"
        with self.log.open("wb") as fh:
            self.proc = subprocess.Popen(
                cmd,
                env={**data.env, **env},
                cwd=ROOT,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_until_answering(self.proc, self.port, self.log)
        except RuntimeError:
            self.stop()
            raise

    def pids(self) -> list[int]:
        found = []
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                stat = (d / "stat").read_text()
                if int(stat[stat.rindex(")") + 2 :].split()[2]) == self.proc.pid:
                    found.append(int(d.name))
            except (OSError, ValueError):
                continue
        return found

    def rss_bytes(self) -> int:
        """Resident memory of every process of the server (the supervisor and its workers)."""
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                continue
        return total

    def threads(self) -> int:
        """Operating-system threads of every process of the server."""
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("Threads:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total

    def cpu_seconds(self) -> float:
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                f = stat[stat.rindex(")") + 2 :].split()
                total += int(f[11]) + int(f[12])
            except (OSError, ValueError):
                continue
        return total / ticks

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
