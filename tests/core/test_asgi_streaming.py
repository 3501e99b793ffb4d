"""Under the ASGI server a file download streams: the first bytes go out before the rest is read."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from django.http import FileResponse, HttpResponse, StreamingHttpResponse

from shopwatch.core.asgi import StreamingASGIHandler
from tests.world import World

CHUNK = b"x" * 8192


def _run_loop(coro: Any) -> Any:
    """Run a coroutine on a fresh event loop in its own thread: a browser test earlier in the same process
    may have left an event loop running on this one."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _run(response: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(dict(message))

    _run_loop(StreamingASGIHandler().send_response(response, send))
    return sent


@pytest.mark.django_db  # finishing a response closes the request's database connections
def test_a_large_download_is_sent_piece_by_piece_not_read_whole_first() -> None:
    read = []
    read_when_first_sent: list[int] = []

    def pieces() -> Iterator[bytes]:
        for i in range(50):
            read.append(i)
            yield CHUNK

    sent: list[dict[str, Any]] = []

    async def send(message: Mapping[str, Any]) -> None:
        if message.get("body") and not read_when_first_sent:
            read_when_first_sent.append(len(read))
        sent.append(dict(message))

    response = StreamingHttpResponse(pieces(), content_type="video/mp4")
    _run_loop(StreamingASGIHandler().send_response(response, send))
    assert read_when_first_sent == [1]
    assert sent[0]["type"] == "http.response.start"
    assert b"".join(m.get("body", b"") for m in sent[1:]) == CHUNK * 50
    assert sent[-1] == {"type": "http.response.body"}


@pytest.mark.django_db  # finishing a response closes the request's database connections
def test_file_response_keeps_its_headers_and_content(tmp_path: Any) -> None:
    f = tmp_path / "clip.bin"
    f.write_bytes(bytes(range(256)) * 1000)
    response = FileResponse(f.open("rb"), content_type="application/octet-stream")
    response.set_cookie("seen", "1")
    sent = _run(response)
    headers = dict(sent[0]["headers"])
    assert sent[0]["status"] == 200
    assert headers[b"Content-Length"] == b"256000"
    assert headers[b"Set-Cookie"].startswith(b"seen=1")
    assert b"".join(m.get("body", b"") for m in sent[1:]) == f.read_bytes()
    response.close()


@pytest.mark.django_db  # finishing a response closes the request's database connections
def test_ordinary_responses_are_unchanged() -> None:
    sent = _run(HttpResponse(b"hello", content_type="text/plain"))
    assert sent[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"hello"


@pytest.mark.django_db(transaction=True)
def test_open_alert_streams_hold_no_thread_and_still_get_alerts(world: World) -> None:
    from shopwatch.alerts.services import alert_raise
    from shopwatch.core.apikeys import apikey_create
    from shopwatch.core.asgi import application

    key = apikey_create(viewer=world.viewer("manager"), user=world.users["manager"], name="stream").secret
    streams = 12

    async def scenario() -> tuple[int, list[bytes]]:
        bodies: list[list[bytes]] = [[] for _ in range(streams)]
        opened = [asyncio.Event() for _ in range(streams)]
        delivered = [asyncio.Event() for _ in range(streams)]
        disconnect = asyncio.Event()

        def stream(i: int) -> Any:
            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "GET",
                "scheme": "http",
                "path": "/api/v1/alerts/stream",
                "raw_path": b"/api/v1/alerts/stream",
                "query_string": b"",
                "root_path": "",
                "server": ("127.0.0.1", 80),
                "client": ("127.0.0.1", 5000 + i),
                "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {key}".encode())],
            }
            first = True

            async def receive() -> dict[str, Any]:
                nonlocal first
                if first:
                    first = False
                    return {"type": "http.request", "body": b"", "more_body": False}
                await disconnect.wait()
                return {"type": "http.disconnect"}

            async def send(message: Mapping[str, Any]) -> None:
                body = message.get("body", b"")
                bodies[i].append(body)
                if b"retry:" in body:
                    opened[i].set()
                if b"event: alert" in body:
                    delivered[i].set()

            return application(scope, receive, send)

        before = threading.active_count()
        tasks = [asyncio.create_task(stream(i)) for i in range(streams)]
        for e in opened:
            await asyncio.wait_for(e.wait(), timeout=60)
        held = threading.active_count() - before
        await asyncio.to_thread(
            lambda: alert_raise(
                viewer=world.viewer("reporter"),
                store_id=world.stores["nw-brighton"].pk,
                message="Two men with a holdall heading for the market",
            )
        )
        for e in delivered:
            await asyncio.wait_for(e.wait(), timeout=60)
        disconnect.set()
        await asyncio.gather(*tasks)
        return held, [b"".join(b) for b in bodies]

    held, bodies = _run_loop(scenario())
    from shopwatch.alerts.broadcaster import broadcaster

    poller = broadcaster._thread  # it stops by itself once no page is open; let it, before the database goes
    if poller is not None:
        poller.join(timeout=30)
    # The broadcaster and a few pooled threads, not one thread per open stream.
    assert held < streams // 2
    for body in bodies:
        assert b"Two men with a holdall heading for the market" in body
