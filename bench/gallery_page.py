"""Benchmark: a partnership's gallery page (GET /intelligence/galleries/<slug>/) with 2,000 listed people.

    uv run python bench/gallery_page.py                     # 2,000 people, a photo for every third one
    uv run python bench/gallery_page.py --people 2000 --photo-every 3 --requests 40

A fresh SQLite data directory: a partnership with one member store, its manager and a store reporter, and
N people listed through the real service (gallery_add_person; every fifth "ID sought"), some with a small
JPEG (person_photo_add; 240x300, about 10 KB, as a phone camera's picture cut down would be much larger).
Then, for the store reporter, signed in:

* in process, with Django's test client against the same database: queries per request for page 1 and
  page 20, and server time per request (p50/p95 over repeated requests, no network);
* over HTTP against uvicorn (the server `shopwatch serve` runs): p50/p95 of the whole request;
* in headless Chromium at 390x844 (a phone, as tests/browser): what the first page costs on the wire,
  counted with the DevTools protocol (HTML, CSS, JS, images; the images load lazily, so only those near
  the screen are fetched), and, for comparison, the sum of everything the HTML references.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import time
from typing import Any

from _harness import DataDir, Server, percentile
from playwright.sync_api import ViewportSize

WORLD = """
import io, json, random
from PIL import Image
from django.db import transaction
from shopwatch.core.entitlements import viewer_for
from shopwatch.core.models import Membership, Organisation, Role, Store, User
from shopwatch.intelligence.services.galleries import gallery_add_person
from shopwatch.subjects.services import person_photo_add

N, EVERY = {n}, {every}
rng = random.Random(7)
force = Organisation.objects.create(kind="police_force", slug="bench-force", name="Bench Police")
retailer = Organisation.objects.create(kind="retailer", slug="bench-retail", name="Bench Retail")
bcrp = Organisation.objects.create(kind="partnership", slug="bench-bcrp", name="Bench BCRP",
                                   partnership_type="bcrp")
store = Store.objects.create(retailer=retailer, name="Bench Store", code="B1", address="1 High Street",
                             town="Brighton", postcode="BN1 1AA", latitude=50.82, longitude=-0.14,
                             force=force)
store.partnerships.set([bcrp])
manager = User.objects.create(email="manager@bench.example", full_name="Bench Manager", password="!")
Membership.objects.create(user=manager, organisation=bcrp, role=Role.PARTNERSHIP_MANAGER)
member = User.objects.create(email="member@bench.example", full_name="Bench Member", password="!")
Membership.objects.create(user=member, organisation=retailer, role=Role.STORE_REPORTER, store=store)
viewer = viewer_for(manager)
given = ["Alex", "Sam", "Jo", "Chris", "Kim", "Lee", "Max", "Ray", "Pat", "Terry", "Dale", "Robin"]
family = ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright"]
photos = 0
with transaction.atomic():
    for i in range(N):
        id_sought = i % 5 == 0
        entry = gallery_add_person(
            viewer=viewer, partnership=bcrp, given_name="" if id_sought else rng.choice(given),
            family_name="" if id_sought else f"{{rng.choice(family)}}-{{i}}", date_of_birth=None,
            description="White van, grey hoodie, often with a dog", id_sought=id_sought, confirm_new=True,
            reason="Repeated thefts of meat and spirits from member stores; threatening when challenged",
        )
        if i % EVERY == 0:
            img = Image.new("RGB", (240, 300), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
            for _ in range(40):
                x, y = rng.randrange(240), rng.randrange(300)
                colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
                img.paste(colour, (x, y, x + 30, y + 30))
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=80)
            buf.seek(0)
            person_photo_add(viewer=viewer, person=entry.person, fileobj=buf, filename=f"p{{i}}.jpg")
            photos += 1
print(json.dumps({{"slug": bcrp.slug, "member": member.pk, "photos": photos}}))
"""

IN_PROCESS = """
import json, statistics, time
from django.db import connection
from django.test import Client
from shopwatch.core.models import User
c = Client()
c.force_login(User.objects.get(pk={member}))
out = {{}}
base = "/intelligence/galleries/{slug}/"
for label, url in (("page 1", base), ("page 20", base + "?page=20"),
                   ("search", base + "?q=smith")):
    seen = []
    def count(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)
    with connection.execute_wrapper(count):  # Django empties queries_log when a request starts
        r = c.get(url, HTTP_HOST="127.0.0.1")
    assert r.status_code == 200, (url, r.status_code)
    times = []
    for _ in range({repeat}):
        t0 = time.perf_counter()
        c.get(url, HTTP_HOST="127.0.0.1")
        times.append(time.perf_counter() - t0)
    times.sort()
    out[label] = {{"queries": len(seen), "html_bytes": len(r.content),
                  "p50_ms": round(times[len(times) // 2] * 1000, 1),
                  "p95_ms": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] * 1000, 1)}}
if {profile}:
    timed = []
    def timing(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append((time.perf_counter() - t0, sql))
    with connection.execute_wrapper(timing):
        c.get(base, HTTP_HOST="127.0.0.1")
    for took, sql in timed:
        print(f"{{took * 1000:7.2f}} ms  {{sql[:600]}}")
    import cProfile, io, pstats
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(10):
        c.get(base, HTTP_HOST="127.0.0.1")
    prof.disable()
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text).sort_stats("cumulative")
    stats.print_stats("shopwatch|template/base|defaulttags", 30)
    print(text.getvalue())
print(json.dumps({{"results": out, "session": c.cookies["sessionid"].value}}))
"""

PHONE: ViewportSize = {"width": 390, "height": 844}


def over_http(port: int, slug: str, session: str, requests: int) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": f"sessionid={session}"}
    lat = []
    body = b""
    for i in range(requests + 3):
        t0 = time.perf_counter()
        conn.request("GET", f"/intelligence/galleries/{slug}/", headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"gallery page: HTTP {resp.status}")
        if i >= 3:
            lat.append(time.perf_counter() - t0)
    lat.sort()
    # Everything the first page references, fetched once each: an upper bound for a phone with no cache.
    html = body.decode()
    refs = sorted(set(re.findall(r'(?:src|href)="(/[^"]+)"', html)))
    sizes: dict[str, int] = {}
    for ref in refs:
        if ("/photos/" not in ref and ref.endswith("/")) or "?" in ref or "print.pdf" in ref:
            continue  # links to other pages, not resources
        conn.request("GET", ref.replace("&amp;", "&"), headers=headers)
        r = conn.getresponse()
        sizes[ref] = len(r.read())
    conn.close()
    images = {k: v for k, v in sizes.items() if "/photos/" in k}
    return {
        "p50_ms": round(percentile(lat, 0.5) * 1000, 1),
        "p95_ms": round(percentile(lat, 0.95) * 1000, 1),
        "html_bytes": len(body),
        "referenced_resources": len(sizes),
        "referenced_bytes": sum(sizes.values()) + len(body),
        "images": len(images),
        "image_bytes": sum(images.values()),
    }


def in_chromium(base: str, slug: str, session: str) -> dict[str, Any]:
    import os

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("SHOPWATCH_CHROMIUM", "/usr/bin/chromium"),
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        got: dict[str, dict[str, Any]] = {}
        cdp.on(
            "Network.responseReceived",
            lambda e: got.setdefault(e["requestId"], {}).update(
                url=e["response"]["url"], type=e.get("type", "")
            ),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: got.setdefault(e["requestId"], {}).update(bytes=int(e["encodedDataLength"])),
        )
        t0 = time.perf_counter()
        page.goto(f"{base}/intelligence/galleries/{slug}/", wait_until="load")
        page.wait_for_load_state("networkidle")
        loaded = time.perf_counter() - t0
        browser.close()
    by_type: dict[str, list[int]] = {}
    for r in got.values():
        if "bytes" in r and r.get("type") != "EventSource":
            by_type.setdefault(r.get("type", "Other"), []).append(r["bytes"])
    return {
        "requests": sum(len(v) for v in by_type.values()),
        "bytes": sum(sum(v) for v in by_type.values()),
        "by_type": {k: {"requests": len(v), "bytes": sum(v)} for k, v in sorted(by_type.items())},
        "load_s": round(loaded, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=2000)
    ap.add_argument("--photo-every", type=int, default=3)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--profile", action="store_true", help="Print a cProfile of page 1 (in process)")
    ap.add_argument("--no-http", action="store_true", help="Only the in-process measurements")
    args = ap.parse_args()
    data = DataDir()
    try:
        t0 = time.perf_counter()
        info = json.loads(
            data.python(WORLD.format(n=args.people, every=args.photo_every)).strip().splitlines()[-1]
        )
        print(
            f"World: {args.people:,} listed people, {info['photos']} photos, "
            f"in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        data.manage("collectstatic", "--noinput", "-v", "0")
        script = IN_PROCESS.format(
            member=info["member"], slug=info["slug"], repeat=args.requests, profile=args.profile
        )
        lines = data.python(script).strip().splitlines()
        if args.profile:
            print("\n".join(lines[:-1]))
        proc = json.loads(lines[-1])
        for label, r in proc["results"].items():
            print(
                f"In process, {label:<8}: {r['queries']} queries, {r['html_bytes']:,} bytes of HTML, "
                f"server time p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms",
                flush=True,
            )
        if args.no_http:
            return
        server = Server(data, "uvicorn", workers=2)
        try:
            h = over_http(server.port, info["slug"], proc["session"], args.requests)
            print(
                f"Over HTTP ({server.label}): p50 {h['p50_ms']} ms, p95 {h['p95_ms']} ms; first page HTML "
                f"{h['html_bytes']:,} bytes; all it references: {h['referenced_resources']} resources, "
                f"{h['images']} images ({h['image_bytes']:,} bytes), "
                f"{h['referenced_bytes']:,} bytes in all",
                flush=True,
            )
            if not args.no_browser:
                b = in_chromium(f"http://127.0.0.1:{server.port}", info["slug"], proc["session"])
                print(
                    f"Chromium 390x844, no cache: {b['requests']} requests, "
                    f"{b['bytes']:,} bytes on the wire, "
                    f"loaded in {b['load_s']} s; "
                    + ", ".join(f"{k} {v['requests']} / {v['bytes']:,} B" for k, v in b["by_type"].items()),
                    flush=True,
                )
        finally:
            server.stop()
        print(
            json.dumps(
                {"in_process": proc["results"], "http": h, "median_p95_ms": statistics.median([h["p95_ms"]])},
                indent=1,
            )
        )
    finally:
        data.close()


if __name__ == "__main__":
    main()
