"""`shopwatch demo` really serves: a real process, a real port, then Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.cli.conftest import SHOPWATCH, cli_env

STARTUP_LIMIT_SECONDS = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a local test server
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.slow
def test_demo_migrates_seeds_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "demo.log").open("wb")
    proc = subprocess.Popen(
        [SHOPWATCH, "demo", "--port", str(port), "--incidents", "250"],
        env=cli_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
        status = 0
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, body = _get(f"{base}/healthz")
            except OSError:
                status = 0
            if status == 200:
                break
            time.sleep(1)
        output = (tmp_path / "demo.log").read_text(errors="replace")
        assert status == 200, output
        assert json.loads(body) == {"status": "ok", "database": "ok"}
        assert f"ShopWatch demo: {base}/" in output
        assert "reporter@demo.shopwatch.test" in output
        assert "shopwatch-demo" in output

        status, body = _get(f"{base}/account/login/")
        assert status in (200, 404)
        if status == 200:
            assert b"<form" in body
        status, body = _get(f"{base}/api/v1/openapi.json")
        assert status == 200
        assert json.loads(body)["info"]["title"] == "ShopWatch API"
        status, _ = _get(f"{base}/api/v1/stores")
        assert status == 401

        # The task worker is a process of its own beside the web server: on a loaded machine it may still be
        # starting when the web server answers. Ctrl-C once it has started, so that both are stopped.
        while "Starting worker" not in (tmp_path / "demo.log").read_text(errors="replace"):
            assert proc.poll() is None, "the demo stopped before its task worker started"
            assert time.monotonic() < deadline, "the task worker did not start"
            time.sleep(0.5)
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(timeout=60) == 0
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0  # the web server stopped with it
        output = (tmp_path / "demo.log").read_text(errors="replace")
        assert "Stopping..." in output
        assert "Traceback" not in output
        _console_script_subcommands_work_on_the_demo_data(tmp_path)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the session this test started: the demo and its children
            proc.wait()
        log.close()


def _shopwatch(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SHOPWATCH, *args], env=cli_env(tmp_path), capture_output=True, text=True, timeout=300, check=False
    )


def _console_script_subcommands_work_on_the_demo_data(tmp_path: Path) -> None:
    """`shopwatch import incidents`, `apikey create`, `accounts --json` and `totp` as a person types them."""
    accounts = json.loads(_shopwatch(tmp_path, "accounts", "--json").stdout)
    assert {
        "email": "reporter@demo.shopwatch.test",
        "roles": ["store_reporter"],
        "organisation": "northway",
        "partnerships": ["brighton-bcrp"],
        "force": "sussex",
    }.items() <= accounts[[a["email"] for a in accounts].index("reporter@demo.shopwatch.test")].items()
    code = _shopwatch(tmp_path, "totp", "admin@demo.shopwatch.test").stdout.strip()
    assert len(code) == 6
    assert code.isdigit()
    made = _shopwatch(
        tmp_path, "apikey", "create", "--user", "security@demo.shopwatch.test", "--name", "Till"
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().splitlines()[-1].startswith("sw_")
    csv_file = tmp_path / "back.csv"
    csv_file.write_text("store,type,occurred_at,description\nNW0101,theft,2025-05-01 10:00,Took coffee\n")
    imported = _shopwatch(tmp_path, "import", "incidents", str(csv_file), "--org", "northway")
    assert imported.returncode == 0, imported.stderr
    assert "1 imported" in imported.stdout
    again = _shopwatch(tmp_path, "import", "incidents", str(csv_file), "--org", "northway")
    assert "0 imported, 1 already imported" in again.stdout


def test_serve_and_demo_refuse_a_port_in_use() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match="in use"):
            call_command("serve", "--port", str(port))
        with pytest.raises(CommandError, match="in use"):
            call_command("demo", "--port", str(port))
