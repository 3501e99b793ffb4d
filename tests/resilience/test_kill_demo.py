"""`shopwatch demo` killed with SIGKILL while reports arrive, then started again on the same data directory:
it starts cleanly (no seeding again, no damaged database) and serves every report it had acknowledged."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.resilience.server import Serve
from tests.resilience.support import ROOT

DEMO_LIMIT = 400  # seconds to migrate, seed and start on a loaded machine (a limit on waiting)


def _demo_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "SHOPWATCH_ENV", "DATABASE_URL", "SHOPWATCH_TASKS_BACKEND")
    }
    env.update(DJANGO_SETTINGS_MODULE="shopwatch.settings", SHOPWATCH_DATA_DIR=str(data_dir))
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.mark.slow
def test_a_killed_demo_restarts_on_its_data_and_serves_every_acknowledged_report(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    env = _demo_env(data_dir)
    demo = Serve(env, tmp_path / "demo.log", "--incidents", "0", command="demo")
    try:
        demo.start(limit=DEMO_LIMIT)
        user = "security@demo.shopwatch.test"
        made = subprocess.run(
            [sys.executable, "-m", "shopwatch.cli", "apikey", "create", "--user", user, "--name", "Till"],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        auth = {"Authorization": f"Bearer {made.stdout.strip().splitlines()[-1]}"}
        store = requests.get(demo.base + "/api/v1/stores", headers=auth, timeout=30).json()["items"][0]["id"]

        acknowledged: dict[str, int] = {}
        lock = threading.Lock()
        stop = threading.Event()

        def client(name: str) -> None:
            session = requests.Session()
            n = 0
            while not stop.is_set():
                description = f"Demo kill test {name}-{n}"
                body = {
                    "store": store,
                    "type": "theft",
                    "occurred_at": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3)).isoformat(),
                    "description": description,
                }
                try:
                    r = session.post(
                        demo.base + "/api/v1/incidents",
                        json=body,
                        headers={**auth, "Idempotency-Key": f"demo-{name}-{n}"},
                        timeout=30,
                    )
                except requests.RequestException:
                    return
                assert r.status_code == 201, r.text
                with lock:
                    acknowledged[description] = r.json()["id"]
                n += 1

        clients = [threading.Thread(target=client, args=(f"c{i}",), daemon=True) for i in range(3)]
        for c in clients:
            c.start()
        began = time.monotonic()
        while len(acknowledged) < 40 and time.monotonic() - began < 30:
            time.sleep(0.02)
        demo.kill()
        stop.set()
        for c in clients:
            c.join(timeout=60)
        assert len(acknowledged) >= 10, demo.output()

        demo.start(limit=DEMO_LIMIT)
        assert "already holds data; not seeding" in demo.full_output(), demo.output()
        session = requests.Session()
        for description, pk in acknowledged.items():
            r = session.get(f"{demo.base}/api/v1/incidents/{pk}", headers=auth, timeout=30)
            assert r.status_code == 200, (pk, r.text)
            assert r.json()["description"] == description
        print(f"\ndemo kill test: {len(acknowledged)} reports acknowledged before the kill, all served after")
    finally:
        demo.stop()
