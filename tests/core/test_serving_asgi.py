"""Serving under uvicorn: ShopWatch's ASGI application (shopwatch.core.asgi) behind a real uvicorn server on
the listening socket `shopwatch serve` makes, against the test database.

What a user relies on: reports are stored over keep-alive connections, open live-alert streams receive
alerts and hold no request thread, a resumable upload's large PATCH body arrives whole, a download is the
original and is read only as fast as it is sent, each request thread keeps its database connection for the
next request, and stopping the server closes them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import hashlib
import http.client
import json
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from django.db import connections

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.asgi import StreamingASGIHandler, application
from shopwatch.core.management.commands._serving import listening_socket
from shopwatch.core.models import User
from shopwatch.evidence.models import EvidenceFile
from shopwatch.reporting.models import Incident
from tests.uploads.support import TUS, encode_metadata, mp4_bytes
from tests.world import World

WAIT = 60  # seconds allowed for a step on a loaded machine (a limit on waiting, not an assertion of speed)


class LiveASGIServer:
    """uvicorn in a thread of the test process, serving `application` on `listening_socket`."""

    def __init__(self, app: Any = application) -> None:
        self.sock = listening_socket("127.0.0.1", 0)
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + WAIT
        while not self.server.started:
            assert self.thread.is_alive(), "uvicorn stopped while starting"
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=WAIT)
        self.sock.close()


@pytest.fixture
def asgi_server(transactional_db: None, settings: Any, tmp_path: Path) -> Iterator[LiveASGIServer]:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    server = LiveASGIServer()
    try:
        yield server
    finally:
        server.stop()


def _key(world: World, name: str) -> str:
    user = User.objects.get(pk=world.users[name].pk)
    return apikey_create(viewer=world.viewer(name), user=user, name="serving tests").secret


def _create_upload(
    server: LiveASGIServer, headers: dict[str, str], incident: int, data: bytes, filename: str
) -> httpx.Response:
    """The tus creation request for an MP4 of ``data`` on the incident; asserts it was created."""
    created = httpx.post(
        f"{server.url}/api/v1/uploads",
        headers={
            **headers,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": encode_metadata(
                {"incident": str(incident), "filename": filename, "filetype": "video/mp4"}
            ),
        },
        timeout=WAIT,
    )
    assert created.status_code == 201, created.text
    return created


def _report(store: int, n: int) -> bytes:
    return json.dumps(
        {
            "store": store,
            "type": "theft",
            "occurred_at": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat(),
            "description": f"Took razor blades from aisle 4 (serving test {n})",
            "goods": [{"description": "Razor blades", "value": "24.99", "quantity": 2}],
        }
    ).encode()


def test_reports_posted_on_one_keep_alive_connection_are_each_stored(
    world: World, asgi_server: LiveASGIServer
) -> None:
    key = _key(world, "reporter")
    store = world.stores["nw-brighton"].pk
    conn = http.client.HTTPConnection("127.0.0.1", asgi_server.port, timeout=WAIT)
    ids = []
    for n in range(3):
        conn.request(
            "POST",
            "/api/v1/incidents",
            body=_report(store, n),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        body = json.loads(response.read())
        assert response.status == 201, body
        ids.append(body["id"])
    conn.close()
    stored = Incident.objects.filter(pk__in=ids)
    assert stored.count() == 3
    assert {i.reported_by_id for i in stored} == {world.users["reporter"].pk}


def test_bad_input_over_http_gets_field_errors_not_a_server_error(
    world: World, asgi_server: LiveASGIServer
) -> None:
    key = _key(world, "reporter")
    response = httpx.post(
        f"{asgi_server.url}/api/v1/incidents",
        content=b'{"store": "not a number"',
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=WAIT,
    )
    assert 400 <= response.status_code < 500
    assert not Incident.objects.exists()


def test_open_alert_streams_hold_no_request_thread_and_receive_the_alert(
    world: World, asgi_server: LiveASGIServer
) -> None:
    from shopwatch.alerts.services import alert_raise

    key = _key(world, "manager")
    streams = application.threads + 2  # more open pages than the server has request threads
    opened = [threading.Event() for _ in range(streams)]
    received: list[list[str]] = [[] for _ in range(streams)]
    delivered = [threading.Event() for _ in range(streams)]
    stop = threading.Event()

    def listen(i: int) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.stream(
            "GET", f"{asgi_server.url}/api/v1/alerts/stream", headers=headers, timeout=WAIT
        ) as response:
            for line in response.iter_lines():
                received[i].append(line)
                if line.startswith("retry:"):
                    opened[i].set()
                if "Two men with a holdall" in line:
                    delivered[i].set()
                    return
                if stop.is_set():
                    return

    listeners = [threading.Thread(target=listen, args=(i,), daemon=True) for i in range(streams)]
    for t in listeners:
        t.start()
    try:
        for e in opened:
            assert e.wait(WAIT), "a stream did not open"
        # Every request thread would be taken if open streams held one: a report must still go through.
        reporter = _key(world, "reporter")
        response = httpx.post(
            f"{asgi_server.url}/api/v1/incidents",
            content=_report(world.stores["nw-brighton"].pk, 1),
            headers={"Authorization": f"Bearer {reporter}", "Content-Type": "application/json"},
            timeout=WAIT,
        )
        assert response.status_code == 201
        alert_raise(
            viewer=world.viewer("reporter"),
            store_id=world.stores["nw-brighton"].pk,
            message="Two men with a holdall heading for the market",
        )
        for e in delivered:
            assert e.wait(WAIT), "a stream did not receive the alert"
    finally:
        stop.set()
        for t in listeners:
            t.join(timeout=WAIT)
        from shopwatch.alerts.broadcaster import broadcaster

        poller = (
            broadcaster._thread
        )  # it stops by itself once no page is open; let it, before the database goes
        if poller is not None:
            poller.join(timeout=WAIT)
    assert all(any("event: alert" in line for line in lines) for lines in received)


def test_a_resumable_upload_s_large_patch_arrives_whole_and_downloads_as_the_original(
    world: World, asgi_server: LiveASGIServer
) -> None:
    from django.conf import settings

    incident = world.report("reporter", "nw-brighton")
    data = mp4_bytes(3 * 1024 * 1024)  # larger than a memory-held body: it streams to the view
    assert len(data) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    key = _key(world, "reporter")
    headers = {"Authorization": f"Bearer {key}", **TUS}
    created = _create_upload(asgi_server, headers, incident.pk, data, "till-camera.mp4")
    location = created.headers["Location"]
    url = location if location.startswith("http") else f"{asgi_server.url}{urlsplit(location).path}"
    patched = httpx.patch(
        url,
        content=data,
        headers={**headers, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        timeout=WAIT,
    )
    assert patched.status_code == 204, patched.text
    assert patched.headers["Upload-Offset"] == str(len(data))
    evidence = EvidenceFile.objects.get(incident=incident)
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()

    downloaded = httpx.get(
        f"{asgi_server.url}/api/v1/evidence/{evidence.pk}/content",
        headers={"Authorization": f"Bearer {_key(world, 'security')}"},
        timeout=WAIT,
    )
    assert downloaded.status_code == 200
    assert downloaded.headers["Content-Length"] == str(len(data))
    assert downloaded.content == data


def test_an_upload_patch_cut_off_part_way_keeps_what_arrived_and_resumes(
    world: World, asgi_server: LiveASGIServer
) -> None:
    """The PATCH body streams to the view as it arrives, so a dropped connection loses nothing received."""
    import socket
    import time

    incident = world.report("reporter", "nw-brighton")
    data = mp4_bytes(6 * 1024 * 1024)
    key = _key(world, "reporter")
    headers = {"Authorization": f"Bearer {key}", **TUS}
    created = _create_upload(asgi_server, headers, incident.pk, data, "cam.mp4")
    path = urlsplit(created.headers["Location"]).path
    host, port = urlsplit(asgi_server.url).hostname, urlsplit(asgi_server.url).port
    assert port is not None
    sent = 5 * 1024 * 1024
    with socket.create_connection((host, port), timeout=WAIT) as raw:
        head = (
            f"PATCH {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
            "Tus-Resumable: 1.0.0\r\n"
            f"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        )
        raw.sendall(head.encode() + data[:sent])
        time.sleep(0.5)
    offset = -1
    for _ in range(50):  # the view finishes with what arrived once it sees the connection close
        answer = httpx.head(f"{asgi_server.url}{path}", headers=headers, timeout=WAIT)
        offset = int(answer.headers["Upload-Offset"])
        if offset == sent:
            break
        time.sleep(0.1)
    assert offset == sent  # everything that arrived was kept: more than a memory-held body would allow
    finished = httpx.patch(
        f"{asgi_server.url}{path}",
        content=data[offset:],
        headers={**headers, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
        timeout=WAIT,
    )
    assert finished.status_code == 204, finished.text
    assert EvidenceFile.objects.get(incident=incident).sha256 == hashlib.sha256(data).hexdigest()


def _scope(method: str, path: str, key: str, body: bytes = b"", **extra: str) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {key}".encode())]
    headers += [(k.lower().replace("_", "-").encode(), v.encode()) for k, v in extra.items()]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
        "headers": headers,
    }


def _in_own_loop(coro: Any) -> Any:
    """A fresh event loop on its own thread (a browser test may have left one running on this thread)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _read_position(path: Path) -> int | None:
    """Where this process's open file on ``path`` is reading (Linux /proc), or None if it is not open."""
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                for line in Path(f"/proc/self/fdinfo/{fd}").read_text().splitlines():
                    if line.startswith("pos:"):
                        return int(line.split()[1])
        except OSError:
            continue
    return None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not Path("/proc/self/fdinfo").exists(), reason="reads the file position from /proc")
def test_a_download_is_read_from_storage_only_as_fast_as_it_is_sent(
    world: World, settings: Any, tmp_path: Path
) -> None:
    from django.db import transaction

    from shopwatch.evidence.services import evidence_add_received

    settings.MEDIA_ROOT = str(tmp_path / "files")
    incident = world.report("reporter", "nw-brighton")
    data = mp4_bytes(8 * 1024 * 1024)
    received = tmp_path / "received.mp4"
    received.write_bytes(data)
    with transaction.atomic():
        evidence, _ = evidence_add_received(
            viewer=world.viewer("reporter"),
            incident=incident,
            path=received,
            filename="till-camera.mp4",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content_type="video/mp4",
            declared_type="video/mp4",
            uploaded_by_id=world.users["reporter"].pk,
            captured_at=None,
            width=None,
            height=None,
            detail={},
        )
    stored = Path(settings.MEDIA_ROOT) / evidence.file.name
    key = _key(world, "security")
    handler = StreamingASGIHandler(threads=2)
    bodies: list[bytes] = []
    read_when_first_sent: list[int | None] = []

    async def scenario() -> dict[str, Any]:
        first = True
        done = asyncio.Event()
        start: dict[str, Any] = {}

        async def receive() -> dict[str, Any]:
            nonlocal first
            if first:
                first = False
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Mapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message.get("body") and not read_when_first_sent:
                read_when_first_sent.append(_read_position(stored))
            bodies.append(message.get("body", b""))
            if not message.get("more_body"):
                done.set()

        await handler(_scope("GET", f"/api/v1/evidence/{evidence.pk}/content", key), receive, send)
        return start

    start = _in_own_loop(scenario())
    assert start["status"] == 200
    assert b"".join(bodies) == data
    # When the first bytes went out, at most a chunk or two of the 8 MiB had been read from storage.
    position = read_when_first_sent[0]
    assert position is not None
    assert position <= 2 * 1024 * 1024
    # And once sent, the file is closed again.
    assert _read_position(stored) is None


def test_accepted_connections_have_nagles_algorithm_off() -> None:
    async def scenario() -> tuple[int, int]:
        sock = listening_socket("127.0.0.1", 0)
        seen: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                s = transport.get_extra_info("socket")
                seen.set_result((s.proto, s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        _, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
        result = await asyncio.wait_for(seen, WAIT)
        writer.close()
        server.close()
        await server.wait_closed()
        return result

    proto, nodelay = _in_own_loop(scenario())
    assert proto == socket.IPPROTO_TCP
    assert nodelay != 0


@pytest.mark.django_db(transaction=True)
def test_request_threads_keep_their_connection_until_its_age_and_shutdown_closes_it(world: World) -> None:
    handler = StreamingASGIHandler(threads=1)
    key = _key(world, "reporter")
    store = world.stores["nw-brighton"].pk
    statuses: list[int] = []

    async def post(n: int) -> None:
        body = _report(store, n)
        first = True

        async def receive() -> dict[str, Any]:
            nonlocal first
            if first:
                first = False
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()
            return {"type": "http.disconnect"}

        async def send(message: Mapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await handler(_scope("POST", "/api/v1/incidents", key, body), receive, send)

    def thread_connection() -> Any:
        return handler._pool.submit(lambda: connections["default"].connection).result(timeout=WAIT)

    _in_own_loop(post(10))
    kept = thread_connection()
    assert kept is not None  # not closed after the request
    _in_own_loop(post(11))
    assert thread_connection() is kept  # the next request reused it
    settings_dict = connections["default"].settings_dict
    max_age = settings_dict["CONN_MAX_AGE"]
    try:
        handler._pool.submit(lambda: connections["default"].close()).result(timeout=WAIT)
        settings_dict["CONN_MAX_AGE"] = 0  # no reuse: a request's connection closes when it finishes
        _in_own_loop(post(12))
        assert thread_connection() is None
    finally:
        settings_dict["CONN_MAX_AGE"] = max_age
    _in_own_loop(post(13))
    assert thread_connection() is not None

    async def lifespan() -> None:
        messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        answers: list[str] = []

        async def receive() -> dict[str, Any]:
            return messages.pop(0)

        async def send(message: Mapping[str, Any]) -> None:
            answers.append(message["type"])

        await handler({"type": "lifespan"}, receive, send)
        assert answers == ["lifespan.startup.complete", "lifespan.shutdown.complete"]

    _in_own_loop(lifespan())
    assert thread_connection() is None  # stopping the server closed it
    assert statuses == [201, 201, 201, 201]
    assert Incident.objects.filter(description__contains="serving test 1").count() == 4
