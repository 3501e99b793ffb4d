"""Upload-link tokens never appear in the web server's access log or Django's request logging (issue: they
did, so anyone reading the logs could use a live link). The servers are `shopwatch serve`'s uvicorn and its
gunicorn alternative on 127.0.0.1, started as processes of their own against the test database."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import Client

from shopwatch.core.logredact import RedactSecrets, redact
from shopwatch.core.management.commands._serving import gunicorn_command, uvicorn_command
from shopwatch.uploads.services.uploaders import upload_link_create
from tests.core.test_serving_command import _database_url, _free_port
from tests.world import World

ROOT = Path(__file__).resolve().parents[2]
WAIT = 120  # seconds allowed for starting on a loaded machine (a limit on waiting, not a speed assertion)


def _token(world: World) -> str:
    incident = world.report("reporter", "nw-brighton", report_to_police=True)
    return upload_link_create(viewer=world.viewer("police_sussex"), incident_id=incident.pk, hours=24).token


def _served_log(tmp_path: Path, server: str, paths: list[str]) -> tuple[str, list[int]]:
    """Start the server, GET each path, stop it; answer everything it wrote and the statuses."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _database_url(),
        "SHOPWATCH_DATA_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    if server == "uvicorn":
        cmd = uvicorn_command(host="127.0.0.1", port=port, workers=1)
    else:
        cmd = gunicorn_command(host="127.0.0.1", port=port, workers=1, threads=2)
    log = tmp_path / f"{server}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    statuses = []
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + WAIT
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                if httpx.get(f"{base}/account/login/", timeout=10).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        with httpx.Client(timeout=30) as client:
            statuses = [client.get(base + path).status_code for path in paths]
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return log.read_text(), statuses


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("server", ["uvicorn", "gunicorn"])
def test_upload_link_tokens_are_redacted_from_the_access_log(
    world: World, tmp_path: Path, server: str
) -> None:
    token = _token(world)
    unknown = "swu_" + "x" * 43
    text, statuses = _served_log(
        tmp_path, server, [f"/u/{token}/", f"/u/{unknown}/", f"/account/login/?next=/u/{token}/"]
    )
    assert statuses == [200, 404, 200]
    assert token not in text
    assert token[4:] not in text
    assert unknown not in text
    assert "/u/[redacted]/" in text  # the requests were logged, without their tokens
    assert '"GET /account/login/' in text or "GET /account/login/" in text


@pytest.mark.django_db
def test_django_request_logging_redacts_the_token(
    world: World, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    token = "swu_" + "Q" * 43
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/u/{token}/").status_code == 404
    assert "Not Found: /u/[redacted]/" in caplog.text
    assert token not in caplog.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('GET /u/swu_abc-DEF_123/ HTTP/1.1"', 'GET /u/[redacted]/ HTTP/1.1"'),
        ("/u/swu_abcDEF123", "/u/[redacted]"),
        ("/account/login/?next=/u/swu_abcDEF123/", "/account/login/?next=/u/[redacted]/"),
        ("/account/login/?next=%2Fu%2Fswu_abcDEF123%2F", "/account/login/?next=%2Fu%2Fswu_[redacted]%2F"),
        ("Referer: https://x.example/u/anything/", "Referer: https://x.example/u/[redacted]/"),
        ("/menu/swu/ and /api/v1/uploads/abc", "/menu/swu/ and /api/v1/uploads/abc"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_the_filter_keeps_the_shape_of_access_log_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4", "GET", "/u/swu_x/", "1.1", 200),
        None,
    )
    assert RedactSecrets().filter(record)
    assert record.getMessage() == '1.2.3.4 - "GET /u/[redacted]/ HTTP/1.1" 200'
    gunicorn: Any = logging.LogRecord(
        "gunicorn.access", logging.INFO, "", 0, "%(r)s %(s)s", ({"r": "GET /u/swu_y/", "s": "200"},), None
    )
    assert RedactSecrets().filter(gunicorn)
    assert gunicorn.getMessage() == "GET /u/[redacted]/ 200"
