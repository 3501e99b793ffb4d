"""Running the web server, the task worker and the scheduler side by side.

The web server is uvicorn on the ASGI application (shopwatch.core.asgi; see docs/decisions/0005-serving.md:
an open page's live alert stream costs no thread there), or gunicorn with gthread workers on request. All
are child processes of the command. Ctrl-C or SIGTERM stops them all. One that exits on its own (killed, out
of memory) is started again and the log says so; one that keeps dying (more than MAX_RESTARTS times in a
minute) stops the others, and the command exits with an error for a supervisor to see.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from django.conf import settings
from django.core.management import call_command

DB_BACKEND = "django_tasks_db.DatabaseBackend"
STOP_GRACE_SECONDS = 15
STATIC_STAMP = ".shopwatch-static-stamp"


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def uses_db_worker() -> bool:
    return str(settings.TASKS.get("default", {}).get("BACKEND", "")) == DB_BACKEND


def _static_fingerprint() -> str:
    from django.contrib.staticfiles.finders import get_finders

    h = hashlib.sha256()
    for finder in get_finders():
        for path, storage in finder.list([]):
            full = Path(storage.path(path))
            stat = full.stat()
            h.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return h.hexdigest()


def collect_static_if_needed(write: Callable[[str], None]) -> bool:
    """Run collectstatic only when the static sources changed since the last run."""
    root = Path(settings.STATIC_ROOT)
    stamp = root / STATIC_STAMP
    fingerprint = _static_fingerprint()
    if stamp.exists() and stamp.read_text().strip() == fingerprint:
        return False
    write("Collecting static files...")
    call_command("collectstatic", interactive=False, verbosity=0)
    root.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint + "\n")
    return True


def _has_gunicorn_setting(name: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS  # type: ignore[import-untyped]

    return any(s.name == name for s in KNOWN_SETTINGS)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


SERVERS = ("uvicorn", "gunicorn")
GUNICORN_THREADS = 8
REQUEST_THREADS_ENV = "SHOPWATCH_REQUEST_THREADS"  # read by shopwatch.core.asgi (its pool, default 4)
ASGI_APP = "shopwatch.core.asgi:application"
GRACEFUL_SECONDS = 10  # open alert streams never end by themselves: stop waiting for them after this


def trusted_proxies() -> list[str]:
    """SHOPWATCH_TRUSTED_PROXIES: the only peers whose X-Forwarded-For the web server believes."""
    return [str(p) for p in getattr(settings, "SHOPWATCH_TRUSTED_PROXIES", [])]


def listening_socket(host: str, port: int) -> socket.socket:
    """The web server's listening socket, with Nagle's algorithm off on every connection it accepts.

    uvicorn's own binding for several workers leaves the socket's protocol at 0, so asyncio never sets
    TCP_NODELAY on the connections, and each keep-alive response waits for the client's delayed ACK: about
    40 ms a request on Linux (Kludex/uvicorn#3149). Declaring the protocol makes asyncio set it; the option
    on the listening socket is inherited by accepted connections as well.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def run_uvicorn(*, host: str, port: int, workers: int, http: str = "auto", access_log: bool = True) -> int:
    """Serve the ASGI application with uvicorn on our own listening socket (see listening_socket)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from shopwatch.core.logredact import uvicorn_log_config

    trusted = trusted_proxies()
    config = uvicorn.Config(
        ASGI_APP,
        host=host,
        port=port,
        workers=workers,
        http=http,
        access_log=access_log,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        # X-Forwarded-For is believed only from the configured proxies (uvicorn's default trusts 127.0.0.1,
        # so anything on the machine could choose its address and dodge sign-in lock-out).
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted,
        log_config=uvicorn_log_config(),  # upload-link tokens are redacted from the access log
    )
    sock = listening_socket(host, port)
    server = uvicorn.Server(config)
    try:
        if workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0 if workers > 1 or server.started else 3  # uvicorn's exit status for a failed start


def uvicorn_command(*, host: str, port: int, workers: int) -> list[str]:
    """`python -m shopwatch.core.management.commands._serving`: run_uvicorn in a process of its own."""
    return [
        sys.executable,
        "-m",
        __name__,
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def gunicorn_command(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "shopwatch.wsgi:application",
        "--bind",
        f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--graceful-timeout",
        "10",
        "--timeout",
        "60",
        "--access-logfile",
        "-",
        f"--forwarded-allow-ips={','.join(trusted_proxies())}",  # empty: no proxy is believed
        "--logger-class",
        "shopwatch.core.logredact.GunicornLogger",  # upload-link tokens are redacted from the access log
    ]
    if _has_gunicorn_setting("control_socket_disable"):
        # Several servers on one machine (a demo beside a test run) must not fight over one control socket.
        cmd.append("--no-control-socket")
    return cmd


# A child that dies is started again (and the log says so), unless it died this often within the window:
# then it would only die again (a port taken, a bad configuration), and the command stops with an error.
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 60
RESTART_PAUSE_SECONDS = 0.5


class Child:
    """One child process of `shopwatch serve`: its command, the running process, when it last exited.

    The task worker gets a new worker id each time it starts (shopwatch.core.taskrecovery), so that the tasks
    it leaves running when it dies can be found and run again."""

    def __init__(self, name: str, cmd: list[str], *, task_worker: bool = False) -> None:
        self.name = name
        self.cmd = cmd
        self.task_worker = task_worker
        self.worker_id = ""
        self.started = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.exits: list[float] = []

    def start(self, env: dict[str, str]) -> subprocess.Popen[bytes]:
        cmd = self.cmd
        if self.task_worker:
            from shopwatch.core.taskrecovery import worker_id

            self.worker_id = worker_id(self.started)
            cmd = [*cmd, "--worker-id", self.worker_id]
        self.started += 1
        self.proc = subprocess.Popen(cmd, env=env)  # noqa: S603 - our own interpreter and arguments
        return self.proc

    def poll(self) -> int | None:
        """The exit status if the process has exited since it was last (re)started."""
        assert self.proc is not None
        code = self.proc.poll()
        if code is not None:
            now = time.monotonic()
            self.exits = [t for t in self.exits if now - t < RESTART_WINDOW_SECONDS] + [now]
        return code

    def may_restart(self) -> bool:
        return len(self.exits) <= MAX_RESTARTS


def _requeue_abandoned(write: Callable[[str], None], worker_ids: set[str] | None) -> None:
    from django.db import connections

    from shopwatch.core.taskrecovery import tasks_requeue_abandoned

    try:
        again = tasks_requeue_abandoned(worker_ids=worker_ids)
    except Exception as exc:  # the supervisor goes on; the log says why
        write(f"Could not check for tasks left running: {exc}")
        return
    finally:
        connections.close_all()
    if again:
        write(f"{len(again)} task(s) left running by a stopped task worker were enqueued again.")


def serve(
    *,
    host: str,
    port: int,
    workers: int,
    threads: int | None,
    write: Callable[[str], None],
    worker: bool = True,
    scheduler: bool = True,
    server: str = "uvicorn",
) -> int:
    """Run the web server and, with the database task backend, django-tasks-db's worker and the scheduler
    until stopped."""
    if server not in SERVERS:
        raise ValueError(f"server must be one of {SERVERS}")
    env = os.environ.copy()
    env.setdefault("DJANGO_SETTINGS_MODULE", "shopwatch.settings")
    env["PYTHONUNBUFFERED"] = "1"  # the children's logs appear as they happen, and survive a stop
    if server == "uvicorn":
        web_cmd = uvicorn_command(host=host, port=port, workers=workers)
        if threads is not None:
            env[REQUEST_THREADS_ENV] = str(threads)
    else:
        web_cmd = gunicorn_command(host=host, port=port, workers=workers, threads=threads or GUNICORN_THREADS)
    children = [Child(f"web server ({server})", web_cmd)]
    if worker and uses_db_worker():
        db_worker = [sys.executable, "-m", "shopwatch.cli", "db_worker"]
        children.append(Child("task worker (db_worker)", db_worker, task_worker=True))
    elif worker:
        write("Task worker not started: TASKS uses a backend other than the database one.")
    if scheduler:
        children.append(Child("scheduler", [sys.executable, "-m", "shopwatch.cli", "scheduler"]))
    procs: list[subprocess.Popen[bytes]] = []
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        if any(child.task_worker for child in children):
            _requeue_abandoned(write, None)  # left running by a task worker of an earlier, killed, serve
        for child in children:
            procs.append(child.start(env))
        while True:
            for i, child in enumerate(children):
                code = child.poll()
                if code is None:
                    continue
                if not child.may_restart():
                    write(
                        f"The {child.name} stopped (exit status {code}) {len(child.exits)} times within "
                        f"{RESTART_WINDOW_SECONDS} s; stopping the rest."
                    )
                    return code or 1
                write(f"The {child.name} stopped (exit status {code}); restarting it.")
                if child.task_worker:
                    _requeue_abandoned(write, {child.worker_id})
                time.sleep(RESTART_PAUSE_SECONDS * len(child.exits))  # a little longer each time it fails
                procs[i] = child.start(env)
                write(f"The {child.name} was restarted (process {procs[i].pid}).")
            time.sleep(0.5)
    except KeyboardInterrupt:
        write("Stopping...")
        return 0
    finally:
        # A second SIGTERM or Ctrl-C (a terminal sends one to every process of the group, and `uv run` passes
        # its own on) must not cut the stopping short with a traceback: the children stop within the grace.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            _stop(procs)
        finally:
            signal.signal(signal.SIGTERM, previous)
            signal.signal(signal.SIGINT, previous_int)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="uvicorn on the ASGI application, for `shopwatch serve`")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--http", default="auto", choices=("auto", "h11", "httptools"))
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args(argv)
    return run_uvicorn(
        host=args.host,
        port=args.port,
        workers=args.workers,
        http=args.http,
        access_log=not args.no_access_log,
    )


# The web server child of `shopwatch serve` (uvicorn's worker processes re-import this module as __mp_main__).
if __name__ == "__main__":
    sys.exit(main())
