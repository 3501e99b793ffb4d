"""GET /api/v1/alerts/stream: server-sent events of the alerts for the caller's areas.

Authenticated like the rest of the API (Bearer key or signed-in session). A reconnecting client sends
Last-Event-ID and first receives the alerts it missed that it may see. Works under WSGI (a worker thread
waits on a queue) and ASGI (an async generator, so thousands of open pages cost little).
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator, Iterator

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from shopwatch.core.api import TWO_FACTOR_REQUIRED, problem
from shopwatch.core.apikeys import apikey_authenticate
from shopwatch.core.entitlements import Viewer, viewer_for
from shopwatch.core.ids import parse_id
from shopwatch.core.middleware import session_may_proceed
from shopwatch.core.models import Channel

from .broadcaster import (
    END_OF_STREAM,
    Subscriber,
    broadcaster,
    event_payload,
    release_connections,
    sse_frame,
)
from .models import Alert
from .selectors import stream_recipient_ids

HEARTBEAT_SECONDS = 15.0
MISSED_LIMIT = 50


def _viewer(request: HttpRequest) -> Viewer | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        key = apikey_authenticate(header[7:].strip())
        if key is None:
            return None
        return viewer_for(key.user, channel=Channel.API, api_key_id=key.pk)
    if request.user.is_authenticated:
        return viewer_for(request.user)
    return None


def _refusal(request: HttpRequest) -> HttpResponseBase | None:
    """A signed-in session that has not given its second factor is refused, as on the rest of the API."""
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return None
    if request.user.is_authenticated and not session_may_proceed(request.user):
        return problem(
            403,
            TWO_FACTOR_REQUIRED,
            [{"field": "session", "message": "Confirm the code from your authenticator app first."}],
        )
    return None


def _missed(viewer: Viewer, last_event_id: str | None) -> list[str]:
    after = 0 if last_event_id == "0" else parse_id(last_event_id)
    if after is None or viewer.user_id is None:
        return []
    frames = []
    for alert in Alert.objects.filter(id__gt=after).select_related("store").order_by("id")[:MISSED_LIMIT]:
        if viewer.user_id in stream_recipient_ids(alert):
            frames.append(sse_frame(event_payload(alert)))
    return frames


@require_GET
def alerts_stream(request: HttpRequest) -> HttpResponseBase:
    refused = _refusal(request)
    if refused is not None:
        return refused
    viewer = _viewer(request)
    if viewer is None or viewer.user_id is None:
        return problem(
            401,
            "Authentication required",
            detail="Send 'Authorization: Bearer <API key>' or sign in.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    missed = _missed(viewer, request.headers.get("Last-Event-ID"))
    user_id = viewer.user_id
    if isinstance(request, ASGIRequest):
        body: Iterator[str] | AsyncIterator[str] = _async_events(user_id, missed)
    else:
        body = _sync_events(user_id, missed)
    response = StreamingHttpResponse(body, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"
    return response


def _sync_events(user_id: int, missed: list[str]) -> Iterator[str]:
    # Under WSGI each open page holds a worker thread for as long as it streams; it must not also hold a
    # (PostgreSQL) connection.
    release_connections()
    sub = broadcaster.subscribe(Subscriber(user_id=user_id, sync_queue=queue.SimpleQueue()))
    assert sub.sync_queue is not None
    try:
        yield "retry: 3000\n\n"
        yield from missed
        while True:
            try:
                frame = sub.sync_queue.get(timeout=HEARTBEAT_SECONDS)
            except queue.Empty:
                frame = ": keep-alive\n\n"
            if frame == END_OF_STREAM:
                return
            yield frame
    finally:
        broadcaster.unsubscribe(sub)


async def _async_events(user_id: int, missed: list[str]) -> AsyncIterator[str]:
    q: asyncio.Queue[str] = asyncio.Queue()
    # Subscribing is in-memory work (no database), so it runs on the event loop: an open stream holds no
    # thread.
    sub = broadcaster.subscribe(Subscriber(user_id=user_id, loop=asyncio.get_running_loop(), async_queue=q))
    try:
        yield "retry: 3000\n\n"
        for frame in missed:
            yield frame
        while True:
            try:
                async with asyncio.timeout(HEARTBEAT_SECONDS):  # no task per wait, unlike wait_for
                    frame = await q.get()
            except TimeoutError:
                frame = ": keep-alive\n\n"
            if frame == END_OF_STREAM:
                return
            yield frame
    finally:
        broadcaster.unsubscribe(sub)
