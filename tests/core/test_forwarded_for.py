"""The web server believes X-Forwarded-For only from SHOPWATCH_TRUSTED_PROXIES (issue: uvicorn's default
trusted any local client, so rotating the header dodged sign-in lock-out). Requests go to `shopwatch serve`'s
uvicorn on 127.0.0.1, started as a process of its own against the test database."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from axes.models import AccessAttempt
from django.conf import settings

from shopwatch.core.management.commands._serving import gunicorn_command, uvicorn_command
from tests.core.test_serving_command import _database_url, _free_port
from tests.world import PASSWORD, World

ROOT = Path(__file__).resolve().parents[2]
WAIT = 120  # seconds allowed for starting on a loaded machine (a limit on waiting, not a speed assertion)


@pytest.fixture
def serve(transactional_db: None, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Start the web server with the given SHOPWATCH_TRUSTED_PROXIES; answers its base URL."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(trusted: str) -> str:
        port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": _database_url(),
            "SHOPWATCH_DATA_DIR": str(tmp_path),
            "SHOPWATCH_TRUSTED_PROXIES": trusted,
            "FORWARDED_ALLOW_IPS": "*",  # uvicorn's own fallback must not matter either
            "PYTHONPATH": str(ROOT),
        }
        log = tmp_path / f"server-{port}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                uvicorn_command(host="127.0.0.1", port=port, workers=1),
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + WAIT
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                if httpx.get(f"{base}/account/login/", timeout=10).status_code == 200:
                    return base
            except httpx.HTTPError:
                time.sleep(0.3)

    yield start
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _sign_in(
    client: httpx.Client, base: str, email: str, password: str, forwarded_for: str
) -> httpx.Response:
    page = client.get(f"{base}/account/login/")
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match is not None
    return client.post(
        f"{base}/account/login/",
        data={"username": email, "password": password, "csrfmiddlewaretoken": match.group(1)},
        headers={"X-Forwarded-For": forwarded_for, "Referer": f"{base}/account/login/"},
    )


def test_rotating_x_forwarded_for_does_not_dodge_lock_out(world: World, serve: Callable[[str], str]) -> None:
    base = serve("")
    email = world.users["manager"].email
    with httpx.Client(timeout=30) as client:
        for i in range(settings.AXES_FAILURE_LIMIT):
            wrong = _sign_in(client, base, email, "wrong-password", forwarded_for=f"203.0.113.{i + 1}")
            assert wrong.status_code in (200, 429)
        right = _sign_in(client, base, email, PASSWORD, forwarded_for="198.51.100.77")
    assert right.status_code == 429, right.status_code
    assert "Sign-in is locked for now" in right.text
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_a_configured_proxy_s_x_forwarded_for_is_believed(world: World, serve: Callable[[str], str]) -> None:
    base = serve("127.0.0.1")
    with httpx.Client(timeout=30) as client:
        _sign_in(client, base, world.users["manager"].email, "wrong-password", forwarded_for="203.0.113.9")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]


def test_gunicorn_believes_no_proxy_unless_configured(settings: Any) -> None:
    cmd = gunicorn_command(host="127.0.0.1", port=8000, workers=1, threads=2)
    assert "--forwarded-allow-ips=" in cmd
    settings.SHOPWATCH_TRUSTED_PROXIES = ["10.0.0.5", "10.1.0.0/16"]
    cmd = gunicorn_command(host="127.0.0.1", port=8000, workers=1, threads=2)
    assert "--forwarded-allow-ips=10.0.0.5,10.1.0.0/16" in cmd
    assert sys.executable == cmd[0]
