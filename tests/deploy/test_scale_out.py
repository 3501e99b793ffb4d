"""The scale-out profile on this machine: the database (PostgreSQL when the suite runs there, else one SQLite
file in WAL mode shared by every process), Debian's redis-server (task queue, rate limits, caches), moto's S3
server (evidence and photos), two `shopwatch serve` web processes without a worker of their own, and one RQ
worker. The main flow runs across the two web processes, and every stored object's SHA-256 is checked."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.client
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from PIL import Image

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.models import User
from shopwatch.evidence.models import EvidenceFile
from shopwatch.policing.models import Delivery
from tests.resilience.server import Serve
from tests.resilience.support import LIMIT, ROOT, database_url, free_port, shopwatch, shopwatch_env
from tests.world import World

pytestmark = pytest.mark.scale_out

RATE_LIMIT = 6  # requests a second per API key, shared by both web processes through Redis
BUCKET = "shopwatch-evidence"
MOTO_SERVER = Path(sys.executable).with_name("moto_server")
PART = 5 * 1024 * 1024  # S3's smallest part: tus uploads go to the bucket in parts of this size


class Receiver:
    """A force's records system on 127.0.0.1: keeps every body it is sent and answers 202."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/rms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _wait_for(check: Callable[[], bool], what: str, output: Callable[[], str] = lambda: "") -> None:
    deadline = time.monotonic() + LIMIT
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen\n{output()}"
        time.sleep(0.2)


def _port_open(port: int) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}/", timeout=2)
    except requests.ConnectionError:
        return False
    except requests.RequestException:
        return True
    return True


@dataclass
class Profile:
    env: dict[str, str]
    web: tuple[Serve, Serve]
    worker: subprocess.Popen[bytes]
    worker_log: Path
    s3: Any  # a boto3 S3 client on the moto server
    data_dir: Path

    def output(self) -> str:
        return "\n".join(
            [self.web[0].output(), self.web[1].output(), self.worker_log.read_text(errors="replace")[-4000:]]
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


@pytest.fixture
def profile(transactional_db: None, tmp_path: Path) -> Iterator[Profile]:
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    if not MOTO_SERVER.exists():
        pytest.skip("moto's S3 server (moto_server, from moto[server]) is not installed")
    import boto3  # type: ignore[import-untyped]

    procs: list[subprocess.Popen[bytes]] = []
    redis_port, s3_port = free_port(), free_port()
    with (tmp_path / "redis.log").open("ab") as log:
        procs.append(
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
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    with (tmp_path / "moto.log").open("ab") as log:
        procs.append(
            subprocess.Popen(
                [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(s3_port)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    web: list[Serve] = []
    try:
        _wait_for(lambda: _port_open(s3_port), "moto's S3 server starting")
        endpoint = f"http://127.0.0.1:{s3_port}"
        aws = {
            "AWS_ACCESS_KEY_ID": "scaleout",
            "AWS_SECRET_ACCESS_KEY": "scaleout",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="scaleout",
            aws_secret_access_key="scaleout",
        )
        s3.create_bucket(Bucket=BUCKET)
        data_dir = tmp_path / "data"
        data_dir.mkdir()
        env = shopwatch_env(
            data_dir,
            database_url(),
            DJANGO_SETTINGS_MODULE="shopwatch.settings",
            SHOPWATCH_ENV="development",
            SHOPWATCH_RQ_URL=f"redis://127.0.0.1:{redis_port}/0",
            SHOPWATCH_CACHE_URL=f"redis://127.0.0.1:{redis_port}/1",
            SHOPWATCH_S3_BUCKET=BUCKET,
            SHOPWATCH_S3_ENDPOINT_URL=endpoint,
            SHOPWATCH_API_RATE_LIMIT=str(RATE_LIMIT),
            SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK="1",
            SHOPWATCH_MAX_BODY_BYTES=str(32 * 1024 * 1024),
            SHOPWATCH_UPLOAD_PART_BYTES=str(PART),
            **aws,
        )
        env.pop("SHOPWATCH_TASKS_BACKEND", None)
        worker_log = tmp_path / "rqworker.log"
        with worker_log.open("ab") as log:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "shopwatch.cli",
                    "rqworker",
                    "default",
                    "--job-class",
                    "django_tasks_rq.Job",
                ],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        procs.append(worker)
        for i in (1, 2):
            serve = Serve(env, tmp_path / f"web{i}.log", "--workers", "1", "--no-scheduler")
            web.append(serve)
            serve.start()
        yield Profile(env, (web[0], web[1]), worker, worker_log, s3, data_dir)
    finally:
        for serve in web:
            serve.stop()
        for proc in reversed(procs):
            _stop(proc)


def _key(world: World, name: str) -> str:
    user = User.objects.get(pk=world.users[name].pk)
    return apikey_create(viewer=world.viewer(name), user=user, name=f"scale-out {name}").secret


def _call(method: str, url: str, key: str, **kwargs: Any) -> requests.Response:
    """One API request; a 429 (the shared limit, hit by the test's own pace) is waited out and tried again."""
    headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
    for _ in range(20):
        r = requests.request(method, url, headers=headers, timeout=120, **kwargs)
        if r.status_code != 429:
            return r
        time.sleep(float(r.headers.get("Retry-After", "1")))
    raise AssertionError(f"{method} {url} kept answering 429")


def _tus(base: str, key: str, incident: int, name: str, data: bytes) -> requests.Response:
    def b64(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    tus = {"Tus-Resumable": "1.0.0"}
    created = _call(
        "POST",
        base + "/api/v1/uploads",
        key,
        headers={
            **tus,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": f"incident {b64(str(incident))},filename {b64(name)}",
        },
    )
    assert created.status_code == 201, created.text
    url = created.headers["Location"]
    url = url if url.startswith("http") else base + url
    return _call(
        "PATCH",
        url,
        key,
        data=data,
        headers={**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )


def _photo() -> bytes:
    """A real JPEG, as a phone camera would send (a gradient, so it is not trivially compressible)."""
    image = Image.new("RGB", (1280, 960))
    image.putdata([((x * 7) % 256, (y * 3) % 256, (x * y) % 256) for y in range(960) for x in range(1280)])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _cctv_export(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("camera-2/2026-12-06T09-40.bin", os.urandom(size))
    return out.getvalue()


def test_the_main_flow_runs_across_two_web_processes_on_postgres_or_sqlite_redis_s3_and_rq(
    world: World, profile: Profile
) -> None:
    one, two = (s.base for s in profile.web)
    reporter, police, manager = _key(world, "reporter"), _key(world, "police_sussex"), _key(world, "manager")
    store = world.stores["nw-brighton"].pk
    for serve in profile.web:  # neither web process started a task worker of its own
        assert "Task worker not started" in serve.output()

    # The force's records system, configured with the deployment's own keys.
    receiver = Receiver()
    try:
        configured = shopwatch(
            profile.env,
            "handoff",
            "configure",
            "--force",
            "sussex",
            "--url",
            receiver.url,
            "--secret",
            "s" * 32,
        )
        assert configured.returncode == 0, configured.stderr

        # An alert stream open on process 2.
        events: list[dict[str, Any]] = []
        opened = threading.Event()

        def listen() -> None:
            with httpx.stream(
                "GET",
                two + "/api/v1/alerts/stream",
                headers={"Authorization": f"Bearer {manager}"},
                timeout=LIMIT,
            ) as r:
                assert r.status_code == 200
                opened.set()
                for line in r.iter_lines():
                    if line.startswith("data: "):
                        events.append(json.loads(line[6:]))
                        return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        assert opened.wait(LIMIT)

        # A phone-style report with a photo, on process 1: the report, then its photo by tus.
        occurred = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)).isoformat()
        created = _call(
            "POST",
            one + "/api/v1/incidents",
            reporter,
            json={
                "store": store,
                "type": "theft",
                "occurred_at": occurred,
                "description": "Took razor blades",
                "report_to_police": True,
            },
            headers={"Idempotency-Key": "scale-out-report-1"},
        )
        assert created.status_code == 201, created.text
        incident = created.json()["id"]
        photo = _photo()
        sent_photo = _tus(one, reporter, incident, "till.jpg", photo)
        assert sent_photo.status_code == 204, sent_photo.text
        assert sent_photo.headers["ShopWatch-Evidence-Sha256"] == hashlib.sha256(photo).hexdigest()

        # A 20 MB CCTV export by tus on process 2, into the object store; no partial file is left behind.
        export = _cctv_export(20 * 1024 * 1024)
        sent_export = _tus(two, reporter, incident, "cctv.zip", export)
        assert sent_export.status_code == 204, sent_export.text
        assert sent_export.headers["ShopWatch-Evidence-Sha256"] == hashlib.sha256(export).hexdigest()
        assert list((profile.data_dir / "uploads").glob("*.part")) == []
        assert not (profile.data_dir / "files").exists()  # nothing stored on the local disk

        # The police accept on process 2: the hand-off goes through Redis and the RQ worker to the force.
        accepted = _call(
            "POST", two + f"/api/v1/incidents/{incident}/triage", police, json={"decision": "accept"}
        )
        assert accepted.status_code == 200, accepted.text
        _wait_for(lambda: bool(receiver.bodies), "the hand-off through the RQ worker", profile.output)
        assert json.loads(receiver.bodies[0])["source"]["reference"] == created.json()["reference"]
        _wait_for(
            lambda: Delivery.objects.filter(incident_id=incident, status="delivered").exists(),
            "the hand-off recorded as delivered",
            profile.output,
        )

        # An alert raised on process 1 reaches the stream open on process 2.
        raised = _call(
            "POST", one + "/api/v1/alerts", reporter, json={"store": store, "message": "Two men, red van"}
        )
        assert raised.status_code == 201, raised.text
        listener.join(timeout=LIMIT)
        assert [e["id"] for e in events] == [raised.json()["id"]]
    finally:
        receiver.close()

    # One rate limit for both processes: a burst within one second, alternating between them.
    limiter = _key(world, "security")
    for _ in range(5):
        time.sleep(1 - time.time() % 1 + 0.01)  # the start of a second
        window = int(time.time())
        answers = [
            requests.get(base + "/api/v1/alerts", headers={"Authorization": f"Bearer {limiter}"}, timeout=30)
            for base in (one, two) * RATE_LIMIT
        ]
        if int(time.time()) == window:
            break
    else:
        pytest.fail("no burst fitted in one second on this machine")
    codes = [r.status_code for r in answers]
    assert codes.count(200) == RATE_LIMIT, codes
    assert codes.count(429) == RATE_LIMIT, codes
    assert {r.status_code for r in answers[1::2]} >= {429}  # process 2 counted process 1's requests
    assert all(r.headers.get("Retry-After") for r in answers if r.status_code == 429)

    # Every object in the bucket is a stored file whose bytes hash to what the database says.
    files = list(EvidenceFile.objects.values_list("file", "sha256", "thumbnail"))
    expected = {name: sha for name, sha, _ in files}
    objects = [
        o["Key"]
        for page in profile.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        for o in page.get("Contents", [])
    ]
    originals = {key for key in objects if key in expected}
    assert len(expected) == 2
    assert originals == set(expected)
    for key in objects:
        body = profile.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        if key in expected:
            assert hashlib.sha256(body).hexdigest() == expected[key], key
    shas = {hashlib.sha256(photo).hexdigest(), hashlib.sha256(export).hexdigest()}
    assert set(expected.values()) == shas


# --- tus straight to the object store ---------------------------------------------------------------------


TUS = {"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream"}


class SpoolWatch:
    """Samples the web hosts' upload directory every few milliseconds while an upload runs: the largest
    file and the most bytes it ever held at once."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.max_file = 0
        self.max_total = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            sizes = []
            for path in self.directory.glob("*"):
                try:
                    sizes.append(path.stat().st_size)
                except FileNotFoundError:
                    continue
            self.max_file = max([self.max_file, *sizes])
            self.max_total = max(self.max_total, sum(sizes))
            self.samples += 1
            self._stop.wait(0.005)

    def __enter__(self) -> SpoolWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def _tus_create(base: str, key: str, incident: int, name: str, length: int) -> str:
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in (("incident", str(incident)), ("filename", name))
    )
    created = _call(
        "POST",
        base + "/api/v1/uploads",
        key,
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(length), "Upload-Metadata": meta},
    )
    assert created.status_code == 201, created.text
    return created.headers["Location"].split("/api/v1/uploads/", 1)[1]


def _tus_offset(base: str, key: str, upload: str) -> int:
    head = _call("HEAD", f"{base}/api/v1/uploads/{upload}", key, headers={"Tus-Resumable": "1.0.0"})
    assert head.status_code == 200, head.text
    return int(head.headers["Upload-Offset"])


def _tus_send(
    base: str, key: str, upload: str, data: bytes, start: int, end: int, piece: int
) -> requests.Response:
    """PATCH bytes [start, end) in requests of ``piece`` bytes; the last answer."""
    answer = None
    while start < end:
        stop = min(end, start + piece)
        answer = _call(
            "PATCH",
            f"{base}/api/v1/uploads/{upload}",
            key,
            data=data[start:stop],
            headers={**TUS, "Upload-Offset": str(start)},
        )
        assert answer.status_code == 204, answer.text
        start = int(answer.headers["Upload-Offset"])
    assert answer is not None
    return answer


def _incident(base: str, key: str, store: int, idem: str) -> int:
    occurred = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat()
    created = _call(
        "POST",
        base + "/api/v1/incidents",
        key,
        json={"store": store, "type": "theft", "occurred_at": occurred, "description": "CCTV of a theft"},
        headers={"Idempotency-Key": idem},
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _bucket_keys(profile: Profile) -> set[str]:
    return {
        o["Key"]
        for page in profile.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        for o in page.get("Contents", [])
    }


def test_a_tus_upload_streams_into_the_object_store_across_two_web_processes_never_whole_on_local_disk(
    world: World, profile: Profile
) -> None:
    one, two = (s.base for s in profile.web)
    reporter = _key(world, "reporter")
    incident = _incident(one, reporter, world.stores["nw-brighton"].pk, "scale-out-stream-1")
    export = _cctv_export(27 * 1024 * 1024)  # six parts: five of 5 MiB and a last of 2 MiB and a little
    half = len(export) // 2
    uploads = profile.data_dir / "uploads"

    upload = _tus_create(one, reporter, incident, "cctv.zip", len(export))
    with SpoolWatch(uploads) as watch:
        # The first half to process 1 in 3 MiB requests (parts fill across requests) ...
        _tus_send(one, reporter, upload, export, 0, half, 3 * 1024 * 1024)
        # ... process 2 reports exactly that offset, and takes the rest in one request.
        assert _tus_offset(two, reporter, upload) == half
        done = _tus_send(two, reporter, upload, export, half, len(export), len(export))
    sha = hashlib.sha256(export).hexdigest()
    assert done.headers["ShopWatch-Evidence-Sha256"] == sha

    # The web hosts never held more than one part of the upload (the spool), never the whole file.
    assert watch.samples > 20
    assert 0 < watch.max_file <= PART, watch.max_file
    assert watch.max_total < 2 * PART, watch.max_total
    assert list(uploads.glob("*")) == []
    assert not (profile.data_dir / "files").exists()

    # The object in the bucket is the file, assembled from its six parts, and its hash is the one recorded.
    evidence = EvidenceFile.objects.get(pk=int(done.headers["ShopWatch-Evidence-Id"]))
    assert evidence.sha256 == sha
    assert evidence.size == len(export)
    stored = profile.s3.get_object(Bucket=BUCKET, Key=evidence.file.name)
    assert stored["ETag"].strip('"').endswith("-6")
    assert hashlib.sha256(stored["Body"].read()).hexdigest() == sha
    assert _bucket_keys(profile) == {evidence.file.name}
    assert profile.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []

    # An upload cancelled part-way has its multipart upload aborted: nothing of it stays in the bucket.
    other = _cctv_export(12 * 1024 * 1024)
    cancelled = _tus_create(two, reporter, incident, "other.zip", len(other))
    _tus_send(two, reporter, cancelled, other, 0, 7 * 1024 * 1024, 7 * 1024 * 1024)
    assert len(profile.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])) == 1
    deleted = _call(
        "DELETE", f"{one}/api/v1/uploads/{cancelled}", reporter, headers={"Tus-Resumable": "1.0.0"}
    )
    assert deleted.status_code == 204, deleted.text
    assert profile.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert _bucket_keys(profile) == {evidence.file.name}
    assert list(uploads.glob("*")) == []


def test_a_tus_upload_into_the_object_store_resumes_exactly_after_its_web_process_is_killed(
    world: World, profile: Profile
) -> None:
    one, two = profile.web
    reporter = _key(world, "reporter")
    incident = _incident(one.base, reporter, world.stores["nw-brighton"].pk, "scale-out-stream-kill")
    export = _cctv_export(18 * 1024 * 1024)
    upload = _tus_create(one.base, reporter, incident, "cctv.zip", len(export))

    # Process 1 takes the whole file in one request, sent slowly after 8 MiB, and is killed part-way through.
    sent = threading.Event()

    def patch() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", one.port, timeout=LIMIT)
        try:
            conn.putrequest("PATCH", f"/api/v1/uploads/{upload}")
            headers = {"Authorization": f"Bearer {reporter}", **TUS, "Upload-Offset": "0"}
            for name, value in {**headers, "Content-Length": str(len(export))}.items():
                conn.putheader(name, value)
            conn.endheaders()
            for start in range(0, len(export), 256 * 1024):
                if start >= 8 * 1024 * 1024:
                    sent.set()
                    time.sleep(0.05)
                conn.send(export[start : start + 256 * 1024])
            conn.getresponse()
        except OSError:
            pass  # the server was killed under it
        finally:
            conn.close()

    sender = threading.Thread(target=patch, daemon=True)
    sender.start()
    assert sent.wait(LIMIT)
    time.sleep(1.0)
    one.kill()
    sender.join(timeout=LIMIT)

    # Process 2 reports an offset the database and the store agree on, and the rest from there is exact.
    offset = _tus_offset(two.base, reporter, upload)
    assert PART <= offset < len(export), offset
    done = _tus_send(two.base, reporter, upload, export, offset, len(export), len(export))
    sha = hashlib.sha256(export).hexdigest()
    assert done.headers["ShopWatch-Evidence-Sha256"] == sha
    evidence = EvidenceFile.objects.get(pk=int(done.headers["ShopWatch-Evidence-Id"]))
    body_back = profile.s3.get_object(Bucket=BUCKET, Key=evidence.file.name)["Body"].read()
    assert hashlib.sha256(body_back).hexdigest() == sha == evidence.sha256
    assert profile.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
