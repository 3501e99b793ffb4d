"""Benchmark: the incident API on the scale-out profile beside the embedded default, in one run.

    uv run python bench/scale_out.py                  # 8 and 32 clients, 10 s each
    uv run python bench/scale_out.py --postgres       # the scale-out profile on PostgreSQL (DATABASE_URL, or
                                                      # a throwaway cluster from scripts/postgres-start)

Reuses bench/api_create.py: a fresh data directory, `migrate`, a seeded world, a store reporter's API key,
then `shopwatch serve` and POST /api/v1/incidents (one report per request) at 8 and 32 concurrent clients.

* embedded: SQLite, files on local disk, the database task queue and worker, the per-process cache;
* scale-out: Redis (redis-server on a free port) for the rate-limit cache and, through django-tasks-rq, the
  task queue with one `shopwatch rqworker`; moto's S3 server as the object store; the database is SQLite (WAL)
  unless --postgres. `shopwatch serve` starts no task worker there.

The per-key rate limit stays on (raised, so that it does not refuse the load): on the scale-out profile every
request counts against it in Redis, as in production. Results are printed and written to
bench/results/scale_out-<time>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_create

ROOT = api_create.ROOT
RESULTS = ROOT / "bench" / "results"


def wait_port(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP answer: it is up
                return
            time.sleep(0.2)
    raise SystemExit(f"nothing answered on port {port}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--postgres", action="store_true", help="the scale-out profile on PostgreSQL")
    p.add_argument("--clients", type=lambda s: [int(x) for x in s.split(",")], default=[8, 32])
    p.add_argument("--duration", type=float, default=10.0, help="seconds measured per level")
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--workers", type=int, help="web server processes (default: shopwatch serve's)")
    p.add_argument("--threads", type=int, help="request threads per process (default: shopwatch serve's)")
    p.add_argument("--seed-incidents", type=int, default=500)
    p.add_argument("--rate-limit", type=int, default=1_000_000)
    args = p.parse_args()
    shared = {
        "batch_clients": [],
        "batch_duration": 0.0,
        "batch_size": 0,
        "configs": None,
        "port": None,
        "server": None,
    }
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    redis_server = shutil.which("redis-server")
    moto = Path(sys.executable).with_name("moto_server")
    if redis_server is None or not moto.exists():
        raise SystemExit("needs redis-server (apt-get install redis-server) and moto_server (moto[server])")

    runs: list[dict[str, Any]] = []
    embedded = argparse.Namespace(**vars(args), **shared, no_task_worker=False)
    runs.extend({**r, "profile": "embedded"} for r in api_create.run_database(embedded, "sqlite", None))

    tmp = Path(tempfile.mkdtemp(prefix="shopwatch-scaleout-"))
    redis_port, s3_port = api_create.free_port(), api_create.free_port()
    procs = [
        subprocess.Popen(
            [
                redis_server,
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
                "--port",
                str(redis_port),
            ],
            stdout=subprocess.DEVNULL,
        ),
        subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(s3_port)], stderr=subprocess.DEVNULL),
    ]
    saved = dict(os.environ)
    database_url = None
    try:
        wait_port(s3_port)
        endpoint = f"http://127.0.0.1:{s3_port}"
        os.environ.update(
            SHOPWATCH_RQ_URL=f"redis://127.0.0.1:{redis_port}/0",
            SHOPWATCH_CACHE_URL=f"redis://127.0.0.1:{redis_port}/1",
            SHOPWATCH_S3_BUCKET="bench",
            SHOPWATCH_S3_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
        )
        import boto3

        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="bench")
        worker_env = dict(os.environ, DJANGO_SETTINGS_MODULE="shopwatch.settings", PYTHONPATH=str(ROOT))
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "shopwatch.cli",
                    "rqworker",
                    "default",
                    "--job-class",
                    "django_tasks_rq.Job",
                ],
                env={**worker_env, "SHOPWATCH_DATA_DIR": str(tmp)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        if args.postgres:
            database_url = (
                os.environ.get("DATABASE_URL")
                or subprocess.run(
                    [str(ROOT / "scripts" / "postgres-start")], check=True, capture_output=True, text=True
                ).stdout.strip()
            )
        scale = argparse.Namespace(**vars(args), **shared, no_task_worker=True)
        label = "postgresql" if database_url else "sqlite"
        runs.extend(
            {**r, "profile": "scale-out"} for r in api_create.run_database(scale, label, database_url)
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # an RQ worker finishes its job first (slow on a busy machine)
                proc.kill()
                proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)

    print("\nprofile     database    clients  reports/s   p50 ms   p95 ms   errors")
    for run in runs:
        for level in run["levels"]:
            print(
                f"{run['profile']:<11} {run['database']:<11} {level['clients']:>7} "
                f"{level['reports_per_s']:>9.1f} {level['p50_ms']:>8.1f} {level['p95_ms']:>8.1f} "
                f"{level['errors']:>8}"
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"scale_out-{stamp}.json"
    path.write_text(json.dumps({"at": stamp, "runs": runs}, indent=2))
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
