"""Kill `shopwatch serve` with SIGKILL in the middle of a load of single and batch reports, start it again on
the same data, and check that every answered report is there and that retrying every request (same
idempotency keys) creates no duplicate; and the same for a tus upload, resumed from the offset the server
reports after the restart. Runs on SQLite and, when the suite runs there, on PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import socket
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.models import User
from shopwatch.evidence.models import EvidenceFile
from shopwatch.reporting.models import Incident
from tests.resilience.server import Serve
from tests.resilience.support import database_url, sha256_file, shopwatch_env
from tests.world import World

SINGLE_CLIENTS = 4
BATCH_CLIENTS = 2
BATCH_SIZE = 20
KILL_AFTER_ANSWERED = 120  # reports answered before the kill (or KILL_AFTER_SECONDS, whichever first)
KILL_AFTER_SECONDS = 8.0


@dataclass
class Sent:
    """One request: its idempotency key, its body, and what it was answered (None: no answer)."""

    key: str
    path: str
    body: dict[str, Any]
    items: list[str]  # each report's description (unique), in order
    answered_ids: list[int] | None = None


@dataclass
class Load:
    base: str
    secret: str
    store: int
    stop: threading.Event = field(default_factory=threading.Event)
    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self) -> int:
        with self.lock:
            return sum(len(s.answered_ids or []) for s in self.sent)

    def report(self, description: str) -> dict[str, Any]:
        return {
            "store": self.store,
            "type": "theft",
            "occurred_at": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat(),
            "description": description,
        }

    def request(self, session: requests.Session, sent: Sent) -> list[int]:
        response = session.post(
            self.base + sent.path,
            json=sent.body,
            headers={"Authorization": f"Bearer {self.secret}", "Idempotency-Key": sent.key},
            timeout=30,
        )
        assert response.status_code in (200, 201), response.text
        answer = response.json()
        if "results" in answer:
            assert all(r["status"] in (200, 201) for r in answer["results"]), answer
            return [int(r["incident"]["id"]) for r in answer["results"]]
        return [int(answer["id"])]

    def client(self, name: str, batch: bool) -> None:
        session = requests.Session()
        n = 0
        while not self.stop.is_set():
            key = f"crash-{name}-{n}"
            if batch:
                items = [f"Crash test {key} item {i}" for i in range(BATCH_SIZE)]
                body = {"incidents": [self.report(d) for d in items]}
                sent = Sent(key, "/api/v1/incidents/batch", body, items)
            else:
                items = [f"Crash test {key}"]
                sent = Sent(key, "/api/v1/incidents", self.report(items[0]), items)
            with self.lock:
                self.sent.append(sent)
            try:
                ids = self.request(session, sent)
            except requests.RequestException:
                return  # the server is gone: this request has no answer
            with self.lock:
                sent.answered_ids = ids
            n += 1


@pytest.fixture
def api_secret(world: World) -> str:
    user = User.objects.get(pk=world.users["reporter"].pk)
    return apikey_create(viewer=world.viewer("reporter"), user=user, name="kill test").secret


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[Serve]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = shopwatch_env(data_dir, database_url())
    serve = Serve(env, tmp_path / "serve.log", "--workers", "1", "--no-scheduler")
    try:
        yield serve
    finally:
        serve.stop()


def test_killed_mid_load_loses_no_answered_report_and_retries_create_no_duplicate(
    world: World, api_secret: str, server: Serve
) -> None:
    server.start()
    load = Load(server.base, api_secret, world.stores["nw-brighton"].pk)
    kinds = [(f"s{i}", False) for i in range(SINGLE_CLIENTS)]
    kinds += [(f"b{i}", True) for i in range(BATCH_CLIENTS)]
    clients = [threading.Thread(target=load.client, args=kind, daemon=True) for kind in kinds]
    for c in clients:
        c.start()
    began = time.monotonic()
    while load.answered() < KILL_AFTER_ANSWERED and time.monotonic() - began < KILL_AFTER_SECONDS:
        time.sleep(0.02)
    server.kill()  # in the middle of the load: requests are in flight
    load.stop.set()
    for c in clients:
        c.join(timeout=60)

    answered = {
        d: i for s in load.sent if s.answered_ids for d, i in zip(s.items, s.answered_ids, strict=True)
    }
    unanswered = [s for s in load.sent if s.answered_ids is None]
    assert len(answered) >= 20, server.output()  # the load really ran before the kill
    assert unanswered  # and something was in flight when it was killed

    # Every answered report is in the database, as answered, before anything is retried.
    found = dict(Incident.objects.filter(pk__in=answered.values()).values_list("description", "pk"))
    assert found == answered

    server.start()
    session = requests.Session()
    for sent in load.sent:  # every request again, same key and body: answered ones replay their answer
        ids = load.request(session, sent)
        if sent.answered_ids is not None:
            assert ids == sent.answered_ids
        else:
            sent.answered_ids = ids
    every = [d for s in load.sent for d in s.items]
    stored = Incident.objects.filter(description__startswith="Crash test ")
    counts = Counter(stored.values_list("description", flat=True))
    duplicates = {d: n for d, n in counts.items() if n > 1}
    assert duplicates == {}
    assert set(counts) == set(every)
    print(
        f"\nkill test ({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}): "
        f"{len(answered)} reports answered before the kill, {len(found)} found after it; "
        f"{len(unanswered)} requests ({sum(len(s.items) for s in unanswered)} reports) unanswered, "
        f"retried: {len(every)} distinct reports stored once each, {len(duplicates)} duplicates"
    )


def _zip_of(size: int) -> bytes:
    """A valid ZIP export (stored, not compressed) of about ``size`` random bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("camera-3/2026-12-06T10-15.bin", os.urandom(size))
    return out.getvalue()


def test_a_tus_upload_killed_mid_patch_resumes_from_the_reported_offset_with_an_exact_hash(
    world: World, api_secret: str, server: Serve
) -> None:
    incident = world.report("reporter", "nw-brighton", description="Took the charity box")
    data = _zip_of(12 * 1024 * 1024)
    tus = {"Authorization": f"Bearer {api_secret}", "Tus-Resumable": "1.0.0"}
    metadata = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in {"incident": str(incident.pk), "filename": "cctv.zip"}.items()
    )
    server.start()
    created = requests.post(
        server.base + "/api/v1/uploads",
        headers={**tus, "Upload-Length": str(len(data)), "Upload-Metadata": metadata},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    url = location if location.startswith("http") else server.base + location
    path = url.removeprefix(server.base)

    # One PATCH for the whole file; 9 MiB of it sent, then the server is killed while it waits for the rest.
    sent = 9 * 1024 * 1024
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        head = (
            f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Authorization: Bearer {api_secret}\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
            f"Content-Type: application/offset+octet-stream\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        sock.sendall(head.encode() + data[:sent])
        time.sleep(1.0)  # let the server write what arrived
        server.kill()

    server.start()
    offset = int(requests.head(url, headers=tus, timeout=30).headers["Upload-Offset"])
    assert 0 <= offset <= sent
    finished = requests.patch(
        url,
        data=data[offset:],
        headers={**tus, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
        timeout=120,
    )
    assert finished.status_code == 204, finished.text
    sha = hashlib.sha256(data).hexdigest()
    assert finished.headers["ShopWatch-Evidence-Sha256"] == sha
    evidence = EvidenceFile.objects.get(pk=finished.headers["ShopWatch-Evidence-Id"])
    assert evidence.sha256 == sha
    assert evidence.size == len(data)
    stored = Path(server.env["SHOPWATCH_DATA_DIR"]) / "files" / evidence.file.name
    assert sha256_file(stored) == sha
    print(f"\ntus kill test: {sent:,} bytes sent before the kill, resumed from offset {offset:,}, hash exact")
