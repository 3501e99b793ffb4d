"""Benchmark: the police triage queue with 50,000 open incidents, hand-off throughput, case-file export.

    uv run python bench/police_queue.py [N_INCIDENTS]

A new SQLite database in a temporary directory (the data directory is never the real one). Builds one force
with N open incidents sent to police (bulk-inserted rows shaped exactly as incident_create writes them, with
their status trail), then measures:

- GET /api/v1/police/queue (first page and a deep page by cursor) and the /police/queue/ web page (all, and
  only the overdue): server time (median of 5) and query count; the overdue count over the whole queue;
- hand-off throughput: accepting incidents with a real HTTP endpoint on 127.0.0.1, deliveries per second;
- case-file export for a prolific offender with 200 incidents and 500 exhibits (PDF + ZIP), seconds and MB.
"""

from __future__ import annotations

import datetime as dt
import http.server
import io
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="shopwatch-bench-queue-")
    os.environ["SHOPWATCH_DATA_DIR"] = tmp
    os.environ.pop("DATABASE_URL", None)
    os.environ["SHOPWATCH_TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    os.environ["DJANGO_SETTINGS_MODULE"] = "shopwatch.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SHOPWATCH_API_RATE_LIMIT = 10**9
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The hand-off measurement posts to a receiver on this machine; outbound checks refuse loopback otherwise.
    settings.SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK = True
    settings.MEDIA_ROOT = str(Path(tmp) / "files")
    call_command("migrate", verbosity=0)

    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from shopwatch.core.apikeys import apikey_create
    from shopwatch.core.entitlements import viewer_for
    from shopwatch.core.models import Membership, Organisation, OrganisationKind, Role, Store, User
    from shopwatch.evidence.models import EvidenceFile
    from shopwatch.policing.models import Delivery, DeliveryStatus
    from shopwatch.policing.services import casefiles, handoff, triage
    from shopwatch.reporting.models import Incident, IncidentOffender, IncidentStatus, Priority, StatusChange
    from shopwatch.subjects.models import Person

    force = Organisation.objects.create(
        kind=OrganisationKind.POLICE_FORCE, slug="benchshire", name="Benchshire"
    )
    bcrp = Organisation.objects.create(
        kind=OrganisationKind.PARTNERSHIP, slug="bench-bcrp", name="Bench BCRP", force=force
    )
    retailer = Organisation.objects.create(kind=OrganisationKind.RETAILER, slug="benchmart", name="Benchmart")
    stores = []
    for i in range(40):
        s = Store.objects.create(
            retailer=retailer,
            name=f"Benchmart {i}",
            code=str(i),
            address=f"{i} High St",
            town=random.choice(["Northtown", "Southtown", "Eastbury"]),
            postcode="BN1 1AA",
            latitude=50.8 + i * 0.002,
            longitude=-0.13 - i * 0.002,
            force=force,
        )
        s.partnerships.set([bcrp])
        stores.append(s)
    officer = User.objects.create_user("officer@bench.example", "bench-password-1", full_name="Ofc Bench")
    Membership.objects.create(user=officer, organisation=force, role=Role.POLICE_INVESTIGATOR)
    witness = User.objects.create_user("witness@bench.example", "bench-password-1", full_name="Wit Ness")
    Membership.objects.create(user=witness, organisation=retailer, role=Role.STORE_MANAGER, store=stores[0])

    rng = random.Random(7)
    now = timezone.now()
    started = time.perf_counter()
    batch: list[Incident] = []
    for i in range(N):
        when = now - dt.timedelta(minutes=rng.randint(5, 60 * 24 * 60))
        prio = rng.choices(list(Priority.values), weights=[5, 20, 60, 15])[0]
        # One in ten was reported first and sent to police later by the store or partnership.
        direct = rng.random() >= 0.1
        batch.append(
            Incident(
                reference=f"SW-B{i:07d}",
                owner_org=retailer,
                store=rng.choice(stores),
                force=force,
                distribution="partnership",
                type="theft",
                occurred_at=when - dt.timedelta(minutes=3),
                description="Took goods and left",
                goods_value=Decimal(rng.randint(5, 400)),
                report_to_police=direct,
                sent_to_police=True,
                status=IncidentStatus.SENT_TO_POLICE,
                priority=prio,
                priority_score=rng.randint(0, 120),
                created_at=when,
                updated_at=when,
            )
        )
    with transaction.atomic():
        Incident.objects.bulk_create(batch, batch_size=2000)
        trail = [
            StatusChange(
                incident=inc,
                from_status="shared",
                to_status=IncidentStatus.SENT_TO_POLICE,
                at=inc.created_at
                if inc.report_to_police
                else inc.created_at + dt.timedelta(hours=rng.randint(1, 48)),
            )
            for inc in batch
        ]
        StatusChange.objects.bulk_create(trail, batch_size=5000)
    print(f"setup: {N:,} open incidents for one force in {time.perf_counter() - started:.1f} s")

    key = apikey_create(viewer=viewer_for(officer), user=officer, name="bench")
    api = Client(headers={"Authorization": f"Bearer {key.secret}"})
    web = Client()
    web.force_login(officer)
    device = TOTPDevice.objects.create(user=officer, name="bench", confirmed=True)
    session = web.session
    session["otp_device_id"] = device.persistent_id
    session.save()

    def measure(label: str, client: Client, path: str) -> str:
        times, queries, body = [], 0, b""
        for _ in range(5):
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - t)
            assert response.status_code == 200, (path, response.status_code)
            queries, body = len(ctx), response.content
        print(
            f"{label}: median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms, "
            f"{queries} queries"
        )
        return body.decode()

    import json

    first = json.loads(measure("API queue, first page of 50", api, "/api/v1/police/queue?limit=50"))
    assert len(first["items"]) == 50
    cursor_url = first["next"]
    pages = 1
    for _ in range(20):
        following = json.loads(api.get(cursor_url).content)["next"]
        if following is None:
            break
        cursor_url, pages = following, pages + 1
    deep_path = cursor_url.split("testserver", 1)[-1]
    measure(f"API queue, page {pages + 1} by cursor", api, deep_path)
    measure("API queue, 200 a page", api, "/api/v1/police/queue?limit=200")
    measure("Web queue page (50 rows)", web, "/police/queue/")
    measure("Web queue page, overdue only", web, "/police/queue/?overdue=1")
    from shopwatch.policing.selectors.queue import overdue_count

    counts, times = [], []
    for _ in range(5):
        t = time.perf_counter()
        counts.append(overdue_count(viewer_for(officer)))
        times.append(time.perf_counter() - t)
    print(
        f"Overdue count over the whole queue ({counts[-1]:,} of {N:,} overdue): "
        f"median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms"
    )

    # --- Hand-off throughput to a local endpoint --------------------------------------------------------
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handoff.endpoint_configure(
        viewer=viewer_for(officer),
        force=force,
        check_role=False,
        url=f"http://127.0.0.1:{server.server_address[1]}/in",
        secret="bench-secret-000000",
    )
    viewer = viewer_for(officer)
    todo = list(Incident.objects.order_by("id").values_list("pk", flat=True)[:300])
    t = time.perf_counter()
    for pk in todo:
        with transaction.atomic():
            inc = Incident.objects.select_related("force", "store").get(pk=pk)
            triage.triage_decide(viewer=viewer, incident=inc, decision="accept")
    accept_s = time.perf_counter() - t
    delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
    print(
        f"hand-off: accepted and delivered {delivered} of {len(todo)} in {accept_s:.1f} s "
        f"= {delivered / accept_s:.0f} hand-offs/s end to end (decision, payload, signed POST, audit)"
    )
    # Queued deliveries sent by the scheduled sender (the worker path), measured on its own.
    Delivery.objects.update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), delivered_at=None)
    t = time.perf_counter()
    results = handoff.deliveries_send_due(limit=1000)
    send_s = time.perf_counter() - t
    ok = sum(r.status == "delivered" for r in results)
    print(f"hand-off: send-due delivered {ok} queued hand-offs in {send_s:.1f} s = {ok / send_s:.0f}/s")
    server.shutdown()

    # --- Case file for a prolific offender: 200 incidents, 500 exhibits --------------------------------
    person = Person.objects.create(
        owner_org=bcrp, partnership=bcrp, given_name="Pro", family_name="Lific", distribution="police"
    )
    chosen = list(Incident.objects.order_by("-id")[:200])
    IncidentOffender.objects.bulk_create([IncidentOffender(incident=i, person=person) for i in chosen])
    from django.core.files.base import ContentFile

    t = time.perf_counter()
    payload = os.urandom(200_000)
    import hashlib

    for n in range(500):
        inc = chosen[n % 200]
        body = payload[n:] + n.to_bytes(4, "big")
        ef = EvidenceFile(
            incident=inc,
            owner_org=retailer,
            original_filename=f"cctv-{n}.jpg",
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            content_type="image/jpeg",
        )
        ef.file.save(f"cctv-{n}.jpg", ContentFile(body), save=False)
        ef.save()
    print(f"setup: 500 exhibits of ~200 kB written in {time.perf_counter() - t:.1f} s")
    case = casefiles.casefile_create(
        viewer=viewer,
        kind="offender",
        title="CBO: Pro Lific",
        person=person,
        summary="Prolific shoplifter.",
        offending_history="200 thefts.",
        exclusion_zone="Town centre",
    )
    at_store = next((c for c in chosen if c.store_id == stores[0].pk), None)
    if at_store is not None:
        st = casefiles.statement_create(
            viewer=viewer,
            case_file=case,
            incident=at_store,
            witness_id=witness.pk,
            text="I saw him take goods and leave. " * 100,
        )
        casefiles.statement_sign(
            viewer=viewer_for(witness), statement=st, signed_name="Wit Ness", declaration=True
        )
    t = time.perf_counter()
    data = casefiles.casefile_export(viewer=viewer, case_file=case)
    export_s = time.perf_counter() - t
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        pdf_size = zf.getinfo("case-file.pdf").file_size
    print(
        f"case file: {len(manifest['incidents'])} incidents, "
        f"{len(manifest['files']) - 1} exhibits, all hashes match: {manifest['all_exhibits_match']}; "
        f"export {export_s:.1f} s, ZIP {len(data) / 1e6:.1f} MB, PDF {pdf_size / 1e3:.0f} kB"
    )


if __name__ == "__main__":
    main()
