"""Benchmark: filing one report on a phone, counted in page loads, requests, bytes and seconds.

    uv run python bench/phone_report.py                       # starts `shopwatch demo` on a fresh data dir
    uv run python bench/phone_report.py --url http://127.0.0.1:8000 --email ... --password ...
    uv run python bench/phone_report.py --runs 5 --warm-cache

Debian Chromium (/usr/bin/chromium, headless) at 390x844 runs the scripted journey: sign in, open
/incidents/new/, choose a type (radio group `type`), write a description (textarea `description`), press the
form's submit button, wait for the confirmation (the reference number). No photos.

Counted from the form's page load to the confirmation (sign-in excluded), through the Chrome DevTools
Protocol: page loads (main-frame document requests), requests, and bytes transferred (the sum of
Network.loadingFinished encodedDataLength: response headers and bodies as they crossed the wire, plus the
request headers and bodies the browser sent). By default the cache is disabled, so the stylesheet and scripts
count as they would for a first report; --warm-cache measures a repeat report instead. Wall time is measured
for the whole journey (sign-in included) and for the report alone. Targets: at most 2 page loads and
100 KB. Results are printed and written to bench/results/phone_report-<time>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _harness import wait_until_answering

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
UV = shutil.which("uv") or "uv"
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_demo(port: int, incidents: int, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["SHOPWATCH_DATA_DIR"] = str(data_dir)
    log = (data_dir / "demo.log").open("wb")
    cmd = [UV, "run", "--no-sync", "shopwatch", "demo", "--port", str(port), "--incidents", str(incidents)]
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    wait_until_answering(proc, port, data_dir / "demo.log", path="/account/login/", timeout=600)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


class NetworkLog:
    """Requests seen through CDP: what was asked for, and how many bytes each took on the wire."""

    def __init__(self) -> None:
        self.requests: dict[str, dict[str, Any]] = {}
        self.counting = False

    def on_request(self, event: dict[str, Any]) -> None:
        if not self.counting:
            return
        req = event["request"]
        sent = len(req.get("postData", "") or "") + sum(
            len(k) + len(str(v)) + 4 for k, v in req["headers"].items()
        )
        if req["url"].startswith("data:"):
            return  # inline data, nothing crosses the network
        rid = event["requestId"]
        if rid in self.requests and "redirectResponse" in event:
            # A redirect reuses the request id: close the earlier hop and keep it under its own key.
            hop = self.requests.pop(rid)
            redirect = event["redirectResponse"]
            hop.update(
                status=redirect["status"],
                received=int(redirect.get("encodedDataLength", 0)),
                done=True,
                redirected=True,
            )
            self.requests[f"{rid}:hop{len(self.requests)}"] = hop
        self.requests[rid] = {
            "url": req["url"],
            "method": req["method"],
            "type": event.get("type", ""),
            "sent": sent,
            "received": 0,
            "status": None,
            "done": False,
            "redirected": False,
        }

    def on_response(self, event: dict[str, Any]) -> None:
        if event["requestId"] in self.requests:
            self.requests[event["requestId"]]["status"] = event["response"]["status"]

    def on_finished(self, event: dict[str, Any]) -> None:
        if event["requestId"] in self.requests:
            r = self.requests[event["requestId"]]
            r["received"], r["done"] = int(event["encodedDataLength"]), True

    def on_failed(self, event: dict[str, Any]) -> None:
        if event["requestId"] in self.requests:
            self.requests[event["requestId"]].update(done=True, failed=event.get("errorText", "failed"))


def journey(browser: Any, base: str, email: str, password: str, warm_cache: bool) -> dict[str, Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    began = time.perf_counter()
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if "/account/login" in page.url:
        raise RuntimeError(f"sign-in failed for {email}: still on {page.url}")
    signed_in = time.perf_counter()

    net = NetworkLog()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": not warm_cache})
    cdp.on("Network.requestWillBeSent", net.on_request)
    cdp.on("Network.responseReceived", net.on_response)
    cdp.on("Network.loadingFinished", net.on_finished)
    cdp.on("Network.loadingFailed", net.on_failed)
    if warm_cache:  # a repeat report: the stylesheet and scripts are already cached
        page.goto(f"{base}/incidents/new/")
    net.counting = True

    report_began = time.perf_counter()
    page.goto(f"{base}/incidents/new/")
    form = page.locator("form:has(textarea[name=description])")
    radios = form.locator("input[type=radio][name=type]")
    theft = form.locator("input[type=radio][name=type][value=theft]")
    (theft if theft.count() else radios.first).check()
    form.locator("textarea[name=description]").fill("Filled a bag with coffee and walked out past the tills.")
    with page.expect_navigation():
        form.locator("[type=submit]").last.click()
    page.locator("#reference").wait_for(state="visible")
    page.wait_for_load_state("load")
    ended = time.perf_counter()
    reference = page.locator("#reference").inner_text().strip()
    deadline = time.time() + 5
    # Wait for what is still arriving; an EventSource (live alerts) stays open by design.
    while time.time() < deadline and not all(
        r["done"] or r["type"] == "EventSource" for r in net.requests.values()
    ):
        page.wait_for_timeout(50)
    net.counting = False
    context.close()

    reqs = list(net.requests.values())
    # A page load is a main-frame document that arrived: a POST answered with a redirect and the page it
    # leads to are one page load.
    page_loads = [r for r in reqs if r["type"] == "Document" and not r["redirected"]]
    host = urlsplit(base).netloc
    return {
        "reference": reference,
        "page_loads": len(page_loads),
        "requests": len(reqs),
        "bytes_received": sum(r["received"] for r in reqs),
        "bytes_sent": sum(r["sent"] for r in reqs),
        "bytes_total": sum(r["received"] + r["sent"] for r in reqs),
        "failed_or_error": [r for r in reqs if r.get("failed") or (r["status"] or 0) >= 400],
        "third_party": [r["url"] for r in reqs if urlsplit(r["url"]).netloc not in (host, "")],
        "sign_in_s": round(signed_in - began, 3),
        "report_s": round(ended - report_began, 3),
        "journey_s": round(ended - began, 3),
        "detail": [
            {k: r[k] for k in ("method", "url", "type", "status", "received", "sent", "redirected")}
            for r in reqs
        ],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="a running ShopWatch (default: start `shopwatch demo` on a fresh data dir)")
    p.add_argument("--email", default="reporter@demo.shopwatch.test")
    p.add_argument("--password", default="shopwatch-demo")
    p.add_argument("--incidents", type=int, default=5000, help="incidents the demo seeds (default 5000)")
    p.add_argument("--runs", type=int, default=3, help="journeys to run (each in a fresh browser context)")
    p.add_argument("--warm-cache", action="store_true", help="count a repeat report (cache enabled)")
    p.add_argument("--chromium", default=os.environ.get("SHOPWATCH_CHROMIUM", "/usr/bin/chromium"))
    args = p.parse_args()

    from playwright.sync_api import sync_playwright

    proc = None
    data_dir = None
    base = args.url
    try:
        if base is None:
            data_dir = Path(tempfile.mkdtemp(prefix="shopwatch-phone-"))
            port = free_port()
            t0 = time.perf_counter()
            proc = start_demo(port, args.incidents, data_dir)
            base = f"http://127.0.0.1:{port}"
            took = time.perf_counter() - t0
            print(f"shopwatch demo ({args.incidents} incidents) ready at {base} in {took:.0f} s")
        runs = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            for i in range(args.runs):
                r = journey(browser, base.rstrip("/"), args.email, args.password, args.warm_cache)
                runs.append(r)
                print(
                    f"run {i + 1}: {r['page_loads']} page loads, {r['requests']} requests, "
                    f"{r['bytes_total']:,} bytes ({r['bytes_received']:,} received, "
                    f"{r['bytes_sent']:,} sent); "
                    f"report {r['report_s']:.2f} s, whole journey {r['journey_s']:.2f} s "
                    f"(sign-in {r['sign_in_s']:.2f} s); {r['reference']}"
                )
                for bad in r["failed_or_error"]:
                    print(f"   failed or error: {bad}")
                for url in r["third_party"]:
                    print(f"   third-party request: {url}")
            browser.close()
        last = runs[-1]
        print("requests in the last run:")
        for d in last["detail"]:
            print(
                f"   {d['status']} {d['method']:<4} {d['type']:<10} {d['received'] + d['sent']:>7,} B  "
                f"{d['url'].removeprefix(base)}"
            )
        summary = {
            "page_loads": max(r["page_loads"] for r in runs),
            "requests": max(r["requests"] for r in runs),
            "bytes_total_max": max(r["bytes_total"] for r in runs),
            "report_s_median": round(statistics.median(r["report_s"] for r in runs), 3),
            "journey_s_median": round(statistics.median(r["journey_s"] for r in runs), 3),
            "cache": "warm" if args.warm_cache else "cold",
        }
        ok = summary["page_loads"] <= 2 and summary["bytes_total_max"] <= 100 * 1024
        print(
            f"\nsummary ({summary['cache']} cache): {summary['page_loads']} page loads (target <= 2), "
            f"{summary['bytes_total_max']:,} bytes (target <= {100 * 1024:,}), "
            f"{summary['requests']} requests; median report {summary['report_s_median']:.2f} s, "
            f"whole journey {summary['journey_s_median']:.2f} s"
            f" -> {'meets' if ok else 'MISSES'} the targets"
        )
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS / f"phone_report-{stamp}.json"
        out.write_text(json.dumps({"at": stamp, "base": base, "summary": summary, "runs": runs}, indent=2))
        print(f"wrote {out.relative_to(ROOT)}")
    finally:
        if proc is not None:
            stop(proc)
        if data_dir is not None:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
