"""`shopwatch serve`'s web server: uvicorn with two worker processes on its own listening socket, serving
the ASGI application against the test database, and stopping cleanly on SIGTERM."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.management.commands._serving import uvicorn_command
from shopwatch.core.models import User
from shopwatch.reporting.models import Incident
from tests.world import World

ROOT = Path(__file__).resolve().parents[2]
WAIT = 120  # seconds allowed for starting on a loaded machine (a limit on waiting, not an assertion of speed)


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(str(db.get("USER") or ""), safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def web_server(transactional_db: None, tmp_path: Path) -> Iterator[int]:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _database_url(),
        "SHOPWATCH_DATA_DIR": str(tmp_path),
        "SHOPWATCH_API_RATE_LIMIT": str(settings.SHOPWATCH_API_RATE_LIMIT),
        "PYTHONPATH": str(ROOT),
    }
    cmd = uvicorn_command(host="127.0.0.1", port=port, workers=2)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + WAIT
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/api/v1/openapi.json")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        yield port
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=WAIT) == 0, log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_web_server_of_shopwatch_serve_runs_the_asgi_application_in_two_workers() -> None:
    cmd = uvicorn_command(host="127.0.0.1", port=8000, workers=2)
    assert cmd[:3] == [sys.executable, "-m", "shopwatch.core.management.commands._serving"]
    assert cmd[cmd.index("--workers") + 1] == "2"


def test_two_worker_processes_store_reports_sent_on_keep_alive_connections(
    world: World, web_server: int, tmp_path: Path
) -> None:
    user = User.objects.get(pk=world.users["reporter"].pk)
    key = apikey_create(viewer=world.viewer("reporter"), user=user, name="serve test").secret
    store = world.stores["nw-brighton"].pk
    ids: list[int] = []
    for _connection in range(2):
        conn = http.client.HTTPConnection("127.0.0.1", web_server, timeout=WAIT)
        for _report in range(3):
            body: dict[str, Any] = {
                "store": store,
                "type": "theft",
                "occurred_at": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat(),
                "description": f"Took razor blades from aisle 4 (serve test {len(ids)})",
                "goods": [{"description": "Razor blades", "value": "24.99", "quantity": 2}],
            }
            conn.request(
                "POST",
                "/api/v1/incidents",
                body=json.dumps(body).encode(),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            response = conn.getresponse()
            answer = json.loads(response.read())
            log = (tmp_path / "server.log").read_text(errors="replace")[-3000:]
            assert response.status == 201, (len(ids), answer, log)
            ids.append(answer["id"])
        conn.close()
    assert Incident.objects.filter(pk__in=ids).count() == 6
