"""Benchmark: live alert fan-out to open pages (GET /api/v1/alerts/stream) under the ASGI server.

    uv run python bench/alerts_fanout.py            # 100 then 1,000 subscribers, uvicorn --workers 2
    uv run python bench/alerts_fanout.py --levels 100 1000 2000 --alerts 5 --workers 2

A fresh SQLite data directory with a small world: a police force, a retailer, a partnership with one member
store, N store reporters at that store (bulk-created, each with an API key) and one more reporter who raises
the alerts. The server is uvicorn on shopwatch.asgi. The subscribers are one asyncio process of httpx
streams, one connection each, each a different member. At each level the subscribers are connected (the
earlier level's stay connected), then alerts are raised with POST /api/v1/alerts one after another; for each
alert and subscriber, the time from the POST being answered to the event's data line arriving is recorded.

Printed per level: connect time, p50/p95/max delivery latency over all (alert, subscriber) pairs, events
missing after 15 s, and the server's resident memory (all processes) before and after connecting, so the
memory per connected subscriber. The load generator shares the machine's CPUs with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

import httpx
from _harness import DataDir, Server, percentile

WORLD = """
import json
from django.db import transaction
from shopwatch.core.apikeys import apikey_create
from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import Channel, Membership, Organisation, Role, Store, User

N = {n}
with transaction.atomic():
    force = Organisation.objects.create(kind="police_force", slug="bench-force", name="Bench Police")
    retailer = Organisation.objects.create(kind="retailer", slug="bench-retail", name="Bench Retail")
    bcrp = Organisation.objects.create(kind="partnership", slug="bench-bcrp", name="Bench BCRP",
                                       partnership_type="bcrp")
    store = Store.objects.create(retailer=retailer, name="Bench Store", code="B1", address="1 High Street",
                                 town="Brighton", postcode="BN1 1AA", latitude=50.82, longitude=-0.14,
                                 force=force)
    store.partnerships.set([bcrp])
    users = User.objects.bulk_create([User(email=f"member{{i}}@bench.example", full_name=f"Member {{i}}",
                                           password="!") for i in range(N + 1)])
    Membership.objects.bulk_create([Membership(user=u, organisation=retailer, role=Role.STORE_REPORTER,
                                               store=store) for u in users])
    system = Viewer(user_id=None, channel=Channel.CLI)
    keys = [apikey_create(viewer=system, user=u, name="bench").secret for u in users]
print(json.dumps({{"store": store.pk, "raiser": keys[0], "members": keys[1:]}}))
"""


class Subscriber:
    def __init__(self, key: str) -> None:
        self.key = key
        self.arrived: dict[int, float] = {}
        self.connected = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.error: str | None = None

    async def run(self, client: httpx.AsyncClient) -> None:
        try:
            async with client.stream(
                "GET", "/api/v1/alerts/stream", headers={"Authorization": f"Bearer {self.key}"}
            ) as resp:
                if resp.status_code != 200:
                    self.error = f"HTTP {resp.status_code}"
                    self.connected.set()
                    return
                async for line in resp.aiter_lines():
                    if line.startswith("retry:"):
                        self.connected.set()
                    elif line.startswith("data: "):
                        now = time.perf_counter()
                        self.arrived[json.loads(line[6:])["id"]] = now
        except (httpx.HTTPError, OSError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self.connected.set()


async def connect(client: httpx.AsyncClient, subs: list[Subscriber], concurrency: int = 50) -> float:
    t0 = time.perf_counter()
    sem = asyncio.Semaphore(concurrency)

    async def one(s: Subscriber) -> None:
        async with sem:
            s.task = asyncio.create_task(s.run(client))
            await asyncio.wait_for(s.connected.wait(), timeout=120)

    await asyncio.gather(*(one(s) for s in subs))
    return time.perf_counter() - t0


async def raise_alerts(
    client: httpx.AsyncClient, store: int, key: str, subs: list[Subscriber], alerts: int, gap: float
) -> dict[str, Any]:
    lat: list[float] = []
    missing = 0
    for i in range(alerts):
        resp = await client.post(
            "/api/v1/alerts",
            headers={"Authorization": f"Bearer {key}"},
            json={"store": store, "message": f"Bench alert {i}: group moving towards the market"},
        )
        answered = time.perf_counter()
        if resp.status_code != 201:
            raise RuntimeError(f"POST /api/v1/alerts: {resp.status_code} {resp.text[:300]}")
        alert_id = resp.json()["id"]
        deadline = answered + 15
        while time.perf_counter() < deadline and any(alert_id not in s.arrived for s in subs):
            await asyncio.sleep(0.02)
        for s in subs:
            if alert_id in s.arrived:
                lat.append(s.arrived[alert_id] - answered)
            else:
                missing += 1
        await asyncio.sleep(gap)
    lat.sort()
    return {
        "pairs": len(lat),
        "missing": missing,
        "p50_s": round(percentile(lat, 0.5), 3),
        "p95_s": round(percentile(lat, 0.95), 3),
        "max_s": round(lat[-1], 3) if lat else None,
        "min_s": round(lat[0], 3) if lat else None,
    }


async def bench(
    port: int, server: Server, info: dict[str, Any], levels: list[int], alerts: int, gap: float
) -> list[dict[str, Any]]:
    limits = httpx.Limits(max_connections=max(levels) + 10, max_keepalive_connections=max(levels) + 10)
    timeout = httpx.Timeout(60.0, read=None)
    out = []
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=timeout) as client,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as poster,
    ):
        subs: list[Subscriber] = []
        await asyncio.sleep(1.0)
        rss_idle = server.rss_bytes()
        for level in levels:
            rss_before = server.rss_bytes()
            new = [Subscriber(k) for k in info["members"][len(subs) : level]]
            took = await connect(client, new)
            subs.extend(new)
            errors = [s.error for s in subs if s.error]
            await asyncio.sleep(2.0)  # let the servers settle
            rss_after = server.rss_bytes()
            threads = server.threads()
            r = await raise_alerts(poster, info["store"], info["raiser"], subs, alerts, gap)
            r.update(
                subscribers=len(subs),
                connect_s=round(took, 1),
                errors=len(errors),
                server_threads=threads,
                error_samples=sorted(set(errors))[:3],
                rss_idle_mib=round(rss_idle / 2**20, 1),
                rss_before_mib=round(rss_before / 2**20, 1),
                rss_after_mib=round(rss_after / 2**20, 1),
                kib_per_subscriber=round((rss_after - rss_idle) / max(len(subs), 1) / 1024, 1),
            )
            out.append(r)
            print(
                f"{len(subs):>5} subscribers: connected in {r['connect_s']} s ({r['errors']} errors)  "
                f"latency p50 {r['p50_s']} s  p95 {r['p95_s']} s  max {r['max_s']} s  "
                f"(min {r['min_s']} s; {r['pairs']} deliveries, {r['missing']} missing)  "
                f"server RSS {r['rss_idle_mib']} MiB idle -> {r['rss_after_mib']} MiB connected  "
                f"= {r['kib_per_subscriber']} KiB per subscriber, {threads} server threads "
                f"{r['error_samples'] or ''}",
                flush=True,
            )
        for s in subs:
            if s.task:
                s.task.cancel()
        await asyncio.gather(*(s.task for s in subs if s.task), return_exceptions=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--levels", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--alerts", type=int, default=5, help="Alerts raised at each level")
    ap.add_argument("--gap", type=float, default=1.0, help="Seconds between alerts")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument(
        "--malloc-arena-max",
        type=int,
        default=0,
        help="Run the server with MALLOC_ARENA_MAX set to this (0: the C library's default)",
    )
    args = ap.parse_args()
    data = DataDir()
    try:
        t0 = time.perf_counter()
        info = json.loads(data.python(WORLD.format(n=max(args.levels))).strip().splitlines()[-1])
        print(
            f"World: {max(args.levels):,} members with API keys in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        env = {"MALLOC_ARENA_MAX": str(args.malloc_arena_max)} if args.malloc_arena_max else {}
        server = Server(data, "uvicorn", workers=args.workers, env=env)
        print(f"Server: {server.label}", flush=True)
        try:
            results = asyncio.run(bench(server.port, server, info, args.levels, args.alerts, args.gap))
        finally:
            server.stop()
        print(json.dumps(results, indent=1))
        if results:
            print(f"median p95 {statistics.median(r['p95_s'] for r in results)} s")
    finally:
        data.close()


if __name__ == "__main__":
    main()
