"""Past SHOPWATCH_REQUEST_QUEUE requests waiting for a request thread, the web server answers 503 with
Retry-After at once (a problem document under /api/), without running Django or touching the database."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from shopwatch.core.asgi import QUEUE_EXEMPT_PATHS, StreamingASGIHandler, request_queue


def _call(handler: StreamingASGIHandler, path: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    scope = {"type": "http", "method": "POST", "path": path, "headers": [], "query_string": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    # A thread of its own: an earlier browser test in this worker may have left an event loop running here.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, handler(scope, receive, send)).result()
    return sent


def test_a_full_queue_answers_503_with_retry_after_and_a_problem_document() -> None:
    handler = StreamingASGIHandler(threads=1)
    handler._waiting = handler.queue_limit  # as many requests waiting as allowed
    start, body = _call(handler, "/api/v1/incidents")
    headers = dict(start["headers"])
    assert start["status"] == 503
    assert headers[b"retry-after"] == b"1"
    assert headers[b"content-type"] == b"application/problem+json"
    problem = json.loads(body["body"])
    assert (problem["status"], problem["title"]) == (503, "Server busy")
    assert handler.overloaded == 1
    page_start, page = _call(handler, "/incidents/new/")
    assert page_start["status"] == 503
    assert b"busy" in page["body"]


def test_the_default_queue_and_the_alert_stream_exemption() -> None:
    assert StreamingASGIHandler(threads=1).queue_limit == request_queue() == 32
    assert "/api/v1/alerts/stream" in QUEUE_EXEMPT_PATHS  # every open page reconnects at once after a restart


def test_the_queue_limit_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPWATCH_REQUEST_QUEUE", "7")
    assert request_queue() == 7
    monkeypatch.setenv("SHOPWATCH_REQUEST_QUEUE", "0")
    with pytest.raises(ValueError, match="between 1 and 100000"):
        request_queue()
