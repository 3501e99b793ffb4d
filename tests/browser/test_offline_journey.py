"""A shop worker reports with no signal: the report, two photos included, waits on the phone (encrypted in
IndexedDB) and is filed exactly once when the connection returns, also when the connection drops during
the send (the server filed it, the phone never heard) and when the page was closed in between.

Chromium's offline mode (context.set_offline) cuts the page and its service worker off the network.
"""

from __future__ import annotations

import inspect
import re
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

from shopwatch.evidence.models import EvidenceFile
from shopwatch.reporting.models import Incident
from tests.browser.axe import assert_accessible
from tests.browser.conftest import CspWatch
from tests.world import PASSWORD, World

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"SW-[0-9A-Z]{4}-[0-9A-Z]{4}")
QUEUED = """async () => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open("shopwatch-offline", 1);
    r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  const rows = await new Promise(ok => { const r = db.transaction("reports").objectStore("reports").getAll();
    r.onsuccess = () => ok(r.result); });
  db.close();
  return rows.map(r => ({ key: r.key, encrypted: r.encrypted, bytes: r.data.byteLength,
    plain: new TextDecoder().decode(r.data).includes("coffee") }));
}"""


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    paths = []
    for i, colour in enumerate(((180, 40, 40), (40, 40, 180)), start=1):
        path = tmp_path / f"IMG_30{i}.jpg"
        Image.new("RGB", (1200, 900), colour).save(path, "JPEG", quality=85)
        paths.append(path)
    return paths


def wait_until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.05)


def sign_in_ready_offline(page: Page, base: str) -> None:
    """Sign in; wait until the service worker controls the page and has saved the report form."""
    page.goto(f"{base}/account/login/", wait_until="domcontentloaded", timeout=60_000)
    page.get_by_label("Email address").fill("reporter@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Report an incident")).to_be_visible()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    saved = "() => caches.open('shopwatch-pages-v1').then(c => c.match('/incidents/new/')).then(r => !!r)"
    wait_until(lambda: bool(page.evaluate(saved)))
    for path in ("/incidents/waiting/", "/incidents/"):

        def page_saved(path: str = path) -> bool:
            return bool(page.evaluate(saved.replace("/incidents/new/", path)))

        wait_until(page_saved)
    script = "() => caches.open('shopwatch-static-v1').then(c => c.match('/static/shopwatch/offline.js'))"
    wait_until(lambda: bool(page.evaluate(script + ".then(r => !!r)")))


def report_offline(page: Page, context: BrowserContext, base: str, photos: list[Path]) -> None:
    context.set_offline(True)
    page.goto(f"{base}/incidents/new/")  # from the service worker's copy
    expect(page.get_by_role("heading", name="Report an incident")).to_be_visible()
    page.get_by_label("Theft (shoplifting)").check()
    page.get_by_label("Tell us what happened").fill("Took six jars of coffee and left by the side door.")
    page.get_by_label("Photos (optional)").set_input_files([str(p) for p in photos])
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("heading", name="Reports waiting to send")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="1 report waiting to send")).to_be_visible()
    assert_accessible(page)
    queued = page.evaluate(QUEUED)
    assert len(queued) == 1
    assert queued[0]["encrypted"] is True
    assert queued[0]["plain"] is False  # not readable at rest
    assert queued[0]["bytes"] > sum(p.stat().st_size for p in photos)  # the photos are in it
    assert not Incident.objects.exists()


def assert_filed_once(page: Page, photos: list[Path]) -> str:
    sent = page.locator("#offline-sent")
    expect(sent.get_by_role("heading", name="Report sent")).to_be_visible(timeout=20_000)
    reference = sent.locator(".reference").inner_text().strip()
    assert REFERENCE.fullmatch(reference)
    incident = Incident.objects.get()
    assert incident.reference == reference
    names = sorted(EvidenceFile.objects.filter(incident=incident).values_list("original_filename", flat=True))
    assert names == [p.name for p in photos]
    wait_until(lambda: page.evaluate(QUEUED) == [])  # nothing personal stays on the phone
    expect(page.locator("#offline-status")).to_be_hidden()
    return reference


def test_a_report_made_offline_is_filed_once_when_back_online(
    live_server: Any, world: World, phone_context: BrowserContext, csp_watch: CspWatch, photos: list[Path]
) -> None:
    base = live_server.url
    page = phone_context.new_page()
    sign_in_ready_offline(page, base)
    started = time.perf_counter()
    report_offline(page, phone_context, base, photos)
    print(f"\nOffline: form from the cache, filled, kept encrypted in {time.perf_counter() - started:.2f} s")

    # The recent reports page is there without a network too, with the count of what is waiting.
    page.goto(f"{base}/incidents/")
    expect(page.get_by_role("status").filter(has_text="1 report waiting to send")).to_be_visible()

    started = time.perf_counter()
    phone_context.set_offline(False)  # the "online" event sends it
    reference = assert_filed_once(page, photos)
    waited = time.perf_counter() - started
    print(f"\nOffline report, two photos: reference shown {waited:.2f} s after reconnecting")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    expect(page.locator("#reference")).to_have_text(reference)
    assert Incident.objects.count() == 1
    assert csp_watch.errors == []


def test_a_send_cut_off_after_the_server_filed_it_is_not_filed_twice(
    live_server: Any, world: World, phone_context: BrowserContext, csp_watch: CspWatch, photos: list[Path]
) -> None:
    base = live_server.url
    page = phone_context.new_page()
    sign_in_ready_offline(page, base)
    report_offline(page, phone_context, base, photos)

    # The server files the first send; the phone goes offline before the answer leaves, and the connection is
    # cut (whoever sent it: this page, or the service worker's Background Sync).
    httpd = live_server.thread.httpd
    app = httpd.get_app()
    cut: list[int] = []
    offline_again = threading.Event()

    def file_then_drop(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] != "POST" or environ["PATH_INFO"] != "/incidents/new/" or cut:
            return app(environ, start_response)
        response = app(environ, lambda *args, **kwargs: None)
        b"".join(response)
        response.close()
        cut.append(Incident.objects.count())
        offline_again.wait(30)
        frame = inspect.currentframe()
        while frame is not None and not hasattr(frame.f_locals.get("self"), "close_connection"):
            frame = frame.f_back
        assert frame is not None, "the live server's request handler"
        handler = frame.f_locals["self"]
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)  # nothing is sent back
        raise ConnectionResetError("the phone lost its signal")

    httpd.set_app(file_then_drop)
    try:
        phone_context.set_offline(False)
        wait_until(lambda: bool(cut))
        phone_context.set_offline(True)
    finally:
        offline_again.set()
    assert cut == [1]
    expect(page.get_by_role("status").filter(has_text="1 report waiting to send")).to_be_visible()
    expect(page.get_by_role("button", name="Send now")).to_be_enabled(timeout=20_000)  # that send failed
    assert page.evaluate(QUEUED) != []
    httpd.set_app(app)

    phone_context.set_offline(False)  # back again: the retry carries the same key
    assert_filed_once(page, photos)
    assert Incident.objects.count() == 1
    assert csp_watch.errors == []


def test_a_report_left_when_the_page_was_closed_is_sent_on_the_next_page(
    live_server: Any, world: World, phone_context: BrowserContext, csp_watch: CspWatch, photos: list[Path]
) -> None:
    base = live_server.url
    page = phone_context.new_page()
    sign_in_ready_offline(page, base)
    report_offline(page, phone_context, base, photos)
    page.close()

    phone_context.set_offline(False)
    later = phone_context.new_page()
    later.goto(f"{base}/incidents/")
    # Sent by this page's load, or already by the service worker's Background Sync: either way the
    # confirmation appears here.
    assert_filed_once(later, photos)
    assert Incident.objects.count() == 1
    assert csp_watch.errors == []


def test_signing_out_with_an_unsent_report_asks_first_and_without_one_signs_out_at_once(
    live_server: Any, world: World, phone_context: BrowserContext, csp_watch: CspWatch, photos: list[Path]
) -> None:
    base = live_server.url
    page = phone_context.new_page()
    sign_in_ready_offline(page, base)
    report_offline(page, phone_context, base, photos)

    # Still offline, so the report cannot go: Sign out says how many are waiting, and staying keeps them.
    page.get_by_role("button", name="Sign out").click()
    dialog = page.get_by_role("dialog", name="Reports not sent yet")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("1 report has not been sent yet")
    expect(dialog).to_contain_text("deleted from this device")
    expect(dialog.get_by_role("button", name="Stay signed in")).to_be_focused()
    expect(dialog.get_by_role("button", name="Send now")).to_be_hidden()  # offline: nothing to send it on
    expect(dialog.get_by_role("button", name="Sign out and delete them")).to_be_visible()
    assert_accessible(page)
    dialog.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="1 report waiting to send")).to_be_visible()
    assert len(page.evaluate(QUEUED)) == 1
    assert not Incident.objects.exists()

    # Back online, the report is sent; with nothing waiting, Sign out signs out at once and clears the device.
    phone_context.set_offline(False)
    assert_filed_once(page, photos)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate("() => document.querySelectorAll('dialog[open]').length") == 0
    assert page.evaluate(QUEUED) == []
    assert not page.evaluate("() => caches.has('shopwatch-pages-v1')")
    assert Incident.objects.count() == 1
    assert csp_watch.errors == []


def test_signing_out_anyway_deletes_the_unsent_report_from_the_device(
    live_server: Any, world: World, phone_context: BrowserContext, csp_watch: CspWatch, photos: list[Path]
) -> None:
    base = live_server.url
    page = phone_context.new_page()
    sign_in_ready_offline(page, base)
    report_offline(page, phone_context, base, photos)
    page.get_by_role("button", name="Sign out").click()
    dialog = page.get_by_role("dialog", name="Reports not sent yet")
    dialog.get_by_role("button", name="Sign out and delete them").click()

    def left_or_cleared() -> bool:
        try:
            return bool(page.evaluate(QUEUED) == [])
        except PlaywrightError:  # the sign-out's navigation, which fails offline, has begun
            return True

    wait_until(left_or_cleared)
    # The report was deleted from the device before anything was sent: nothing waits, nothing is filed. The
    # sign-out itself usually cannot reach the server offline (the session is still open when the phone is
    # back online); if its request was still on its way as the connection returned, it signed out.
    phone_context.set_offline(False)
    page.goto(f"{base}/incidents/")
    incidents = page.get_by_role("heading", name="Incidents", exact=True)
    sign_in = page.get_by_role("button", name="Sign in")
    expect(incidents.or_(sign_in)).to_be_visible()
    assert page.evaluate(QUEUED) == []
    if incidents.is_visible():
        expect(page.locator("#offline-status")).to_be_hidden()
        page.get_by_role("button", name="Sign out").click()  # nothing waiting now: no dialog
        expect(sign_in).to_be_visible()
    assert not Incident.objects.exists()
    assert csp_watch.errors == []
