"""Benchmark: the insights dashboards at scale (rollup build, incremental refresh, page and CSV server time).

    uv run python bench/dashboards.py                       # 1,000,000 incidents on SQLite in a temp dir
    uv run python bench/dashboards.py --incidents 200000    # a smaller run
    uv run python bench/dashboards.py --reuse DIR           # SQLite: reuse (or create and keep) DIR
    uv run python bench/dashboards.py --postgres auto --incidents 10000000
    uv run python bench/dashboards.py --postgres postgres://postgres@127.0.0.1:55433/shopwatch --reuse

Steps, each timed:

1. the database: ``shopwatch seed --incidents N`` into an empty database (skipped with ``--reuse`` when the
   database already holds the demo world);
2. a full ``rollup_refresh(full=True)``;
3. every dashboard kind (store, retailer, partnership, force, pcc), opened by a signed-in user of a role that
   sees it (two-factor roles pass the real TOTP step): ``--requests`` page views and as many CSV exports with
   Django's test client, server time p50/p95 and the queries per page;
4. an incremental refresh after 1,000 new incidents filed through ``incident_create``, then after a few sent
   to police and a few deleted; and a check that the rollups still agree with a direct count.

``--postgres auto`` starts a throwaway server with ``scripts/postgres-start`` on port 55433. Results go to
``bench/results/dashboards-<db>-<N>-<time>.json`` and a summary is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["store", "retailer", "partnership", "force", "pcc"]
TARGET_P95_MS = 500.0


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--incidents", type=int, default=None, help="default 1,000,000 (10,000,000 on PostgreSQL)")
    p.add_argument("--postgres", metavar="DATABASE_URL", help="a PostgreSQL URL, or 'auto' to start one")
    p.add_argument(
        "--reuse",
        nargs="?",
        const="",
        metavar="DIR",
        help="reuse the database if it is already seeded (SQLite: the data directory DIR)",
    )
    p.add_argument("--requests", type=int, default=20, help="timed requests per page (default 20)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=5000)
    p.add_argument(
        "--skip-full-refresh",
        action="store_true",
        help="with --reuse: bring the rollups up to date incrementally instead of rebuilding them",
    )
    return p.parse_args()


def _pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(q * len(s)) - 1)]


class _Counter:
    """Counts the SQL statements run while installed with ``connection.execute_wrapper``."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.n += 1
        return execute(sql, params, many, context)


def _start_postgres() -> str:
    env = {**os.environ, "SHOPWATCH_PG_PORT": os.environ.get("SHOPWATCH_PG_PORT", "55433")}
    out = subprocess.run(
        [str(ROOT / "scripts" / "postgres-start")],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return out.stdout.strip()


def main() -> None:
    a = _args()
    if a.postgres:
        url = _start_postgres() if a.postgres == "auto" else a.postgres
        os.environ["DATABASE_URL"] = url
        data_dir = tempfile.mkdtemp(prefix="shopwatch-bench-dash-")
        n = a.incidents or 10_000_000
        db_label = "postgresql"
    else:
        os.environ.pop("DATABASE_URL", None)
        data_dir = a.reuse or tempfile.mkdtemp(prefix="shopwatch-bench-dash-")
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        n = a.incidents or 1_000_000
        db_label = "sqlite"
    os.environ["SHOPWATCH_DATA_DIR"] = data_dir
    os.environ["SHOPWATCH_TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    os.environ["DJANGO_SETTINGS_MODULE"] = "shopwatch.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0)

    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from shopwatch.core.entitlements import viewer_for
    from shopwatch.core.models import TWO_FACTOR_ROLES, Membership, Role, User
    from shopwatch.demo.seed import database_is_empty
    from shopwatch.insights.models import DailyRollup
    from shopwatch.insights.rollups import rollup_refresh
    from shopwatch.insights.scopes import available_scopes
    from shopwatch.reporting.models import Incident, IncidentType
    from shopwatch.reporting.services import (
        GoodsInput,
        IncidentInput,
        incident_create,
        incident_delete,
        incident_send_to_police,
    )
    from tests.core.support import sign_in_verified

    out: dict[str, Any] = {
        "database": db_label,
        "data_dir": data_dir if db_label == "sqlite" else None,
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
    }

    # 1. the data
    if a.reuse is not None and not database_is_empty():
        out["seed_s"] = None
        print(f"Reusing the database: {Incident.objects.count():,} incidents")
    else:
        print(f"Seeding {n:,} incidents ({db_label}, {data_dir}) ...", flush=True)
        began = time.perf_counter()
        call_command("seed", incidents=n, seed=a.seed, batch_size=a.batch_size, verbosity=1)
        out["seed_s"] = round(time.perf_counter() - began, 1)
    n = Incident.objects.count()
    out["incidents"] = n

    # 2. a full rollup build
    began = time.perf_counter()
    full = rollup_refresh(full=not a.skip_full_refresh)
    out["rollup_full_s"] = round(time.perf_counter() - began, 1)
    out["rollup_full_buckets"] = full.buckets
    print(
        f"Full rollup refresh: {out['rollup_full_s']} s, {full.stores} stores, {full.buckets:,} daily rows",
        flush=True,
    )

    # 3. the dashboards
    # For each kind, the dashboard with the most incidents that some demo account may open.
    candidates: dict[str, dict[str, tuple[User, Any, str]]] = {}
    for m in Membership.objects.filter(active=True).select_related("user").order_by("user__email"):
        for s in available_scopes(viewer_for(m.user)):
            if not (s.kind == "force" and m.role == Role.PLATFORM_ADMIN):
                candidates.setdefault(s.kind, {}).setdefault(s.key, (m.user, s, m.role))
    users: dict[str, tuple[User, str, str]] = {}
    for kind, options in candidates.items():
        size = {
            k: DailyRollup.objects.filter(sc.filter).aggregate(n=django.db.models.Sum("incidents"))["n"] or 0
            for k, (_, sc, _) in options.items()
        }
        key = max(size, key=lambda k: size[k])
        users[kind] = (options[key][0], key, options[key][2])
    pages: dict[str, Any] = {}
    for kind in KINDS:
        if kind not in users:
            print(f"  no demo account sees a {kind} dashboard; skipped")
            continue
        user, key, role = users[kind]
        client = Client()
        if role in TWO_FACTOR_ROLES:
            sign_in_verified(client, user)
        else:
            client.force_login(user)
        result: dict[str, Any] = {"user": user.email, "role": str(role), "key": key}
        for label, url in (
            ("page", f"/insights/{kind}/{key}/"),
            ("csv", f"/insights/{kind}/{key}/export.csv"),
        ):
            # Cold: the first view after a rollup refresh computes the sums (cached under the refresh).
            cold = []
            for _ in range(3):
                cache.clear()
                cold_count = _Counter()
                with connection.execute_wrapper(cold_count):
                    began = time.perf_counter()
                    first = client.get(url)
                    cold.append((time.perf_counter() - began) * 1000)
                assert first.status_code == 200, (url, first.status_code)
            times = []
            queries = 0
            for _ in range(a.requests):
                count = _Counter()
                with connection.execute_wrapper(count):
                    began = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, (url, response.status_code)
                queries = count.n
            result[label] = {
                "cold_ms": [round(c, 1) for c in cold],
                "cold_queries": cold_count.n,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(_pct(times, 0.95), 1),
                "max_ms": round(max(times), 1),
                "queries": queries,
                "bytes": len(response.content),
            }
        pages[kind] = result
        print(
            f"  {kind:<12} {key:<16} page p50 {result['page']['p50_ms']:>7} ms  "
            f"p95 {result['page']['p95_ms']:>7} ms  cold {statistics.median(result['page']['cold_ms']):>7} ms"
            f"  {result['page']['queries']:>3} queries | csv p50 {result['csv']['p50_ms']:>7} ms  "
            f"p95 {result['csv']['p95_ms']:>7} ms  cold {statistics.median(result['csv']['cold_ms']):>7} ms  "
            f"{result['csv']['queries']:>3} queries",
            flush=True,
        )
    out["pages"] = pages

    # 4. incremental refresh after real reports, changes and deletions
    store_user = (
        Membership.objects.filter(role=Role.STORE_REPORTER, active=True, store__isnull=False)
        .select_related("user", "store")
        .order_by("pk")
        .first()
    )
    assert store_user is not None
    assert store_user.store is not None
    viewer = viewer_for(store_user.user)
    rng = random.Random(a.seed)
    now = dt.datetime.now(dt.UTC)
    began = time.perf_counter()
    made = []
    for i in range(1000):
        made.append(
            incident_create(
                viewer=viewer,
                data=IncidentInput(
                    store_id=store_user.store.pk,
                    type=IncidentType.THEFT,
                    occurred_at=now - dt.timedelta(minutes=rng.randint(5, 60 * 24 * 60)),
                    description=f"Benchmark report {i}: took goods from the shelves and left without paying.",
                    goods=[
                        GoodsInput(
                            description="Razor blades", value=Decimal("24.99"), quantity=rng.randint(1, 3)
                        )
                    ],
                ),
            )
        )
    out["create_1000_s"] = round(time.perf_counter() - began, 1)
    began = time.perf_counter()
    inc = rollup_refresh()
    out["rollup_after_1000_new_s"] = round(time.perf_counter() - began, 2)
    out["rollup_after_1000_new_buckets"] = inc.buckets
    manager = Membership.objects.filter(role=Role.STORE_MANAGER, store=store_user.store, active=True).first()
    sender = viewer_for(manager.user) if manager else viewer
    for incident in made[:5]:
        incident_send_to_police(viewer=sender, incident=incident)
    owner = Membership.objects.filter(
        role=Role.RETAIL_SECURITY_MANAGER, organisation=store_user.store.retailer, active=True
    ).first()
    old = list(Incident.objects.filter(store=store_user.store).order_by("occurred_at")[:3])
    if owner is not None:
        for incident in [*made[5:8], *old]:
            incident_delete(
                viewer=viewer_for(owner.user), incident=incident, reason="Benchmark: filed in error"
            )
    began = time.perf_counter()
    inc = rollup_refresh()
    out["rollup_after_changes_s"] = round(time.perf_counter() - began, 2)
    out["rollup_after_changes_buckets"] = inc.buckets
    began = time.perf_counter()
    inc = rollup_refresh()
    out["rollup_nothing_changed_s"] = round(time.perf_counter() - began, 3)
    rolled = DailyRollup.objects.aggregate(n=django.db.models.Sum("incidents"))["n"]
    direct = Incident.objects.count()
    out["rollups_agree"] = rolled == direct
    print(
        f"1,000 incidents through incident_create: {out['create_1000_s']} s; incremental refresh "
        f"{out['rollup_after_1000_new_s']} s; after 5 sent to police and 6 deleted "
        f"{out['rollup_after_changes_s']} s; with nothing new {out['rollup_nothing_changed_s']} s; "
        f"rollups agree with a direct count: {out['rollups_agree']} ({rolled:,} / {direct:,})"
    )
    out["load_average_after"] = os.getloadavg()
    out["misses_target"] = [
        k for k, r in pages.items() for lbl in ("page", "csv") if r[lbl]["p95_ms"] > TARGET_P95_MS
    ]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = ROOT / "bench" / "results" / f"dashboards-{db_label}-{n}-{stamp}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2, default=str) + "\n")
    print(f"Results: {path}")


if __name__ == "__main__":
    main()
