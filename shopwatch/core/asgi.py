"""The ASGI application `shopwatch serve` runs under uvicorn: Django's, with two serving fixes.

1. Files stream. Django's ASGI handler reads a response built on a synchronous iterator (FileResponse:
   evidence downloads, person photos, whitenoise's static files) into memory whole before sending the first
   byte, so one download of a 2 GB video would hold 2 GB. Here such a response is read a chunk at a time in
   a worker thread and each chunk is sent before the next is read (the client's pace limits the reading).
2. No persistent database connections. Under ASGI each request runs its synchronous code on a thread of its
   own, so a connection kept open for reuse (CONN_MAX_AGE) would never be reused, only left behind; Django's
   documentation says to disable persistent connections under ASGI. Each request closes its connections.

Server-sent event streams (GET /api/v1/alerts/stream) are asynchronous generators and cost no thread while
they wait.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

import django
from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopwatch.settings")

_DONE = object()
Send = Callable[[Mapping[str, Any]], Awaitable[None]]


def _next_chunk(iterator: Iterator[Any]) -> Any:
    return next(iterator, _DONE)


def _release_request_thread() -> None:
    """Let the request's own thread go (asgiref runs a request's synchronous code on a thread kept for the
    whole request; an open event stream would keep it idle for hours)."""
    context = getattr(SyncToAsync, "thread_sensitive_context", None)
    current = context.get(None) if context is not None else None
    if current is None or getattr(current, "_executor", None) is not None:
        return
    executor = SyncToAsync.context_to_thread_executor.pop(current, None)
    if executor is not None:
        executor.shutdown(wait=False)


class StreamingASGIHandler(ASGIHandler):
    async def send_response(self, response: Any, send: Send) -> None:
        if response.streaming and getattr(response, "is_async", False):
            # An asynchronous stream (live alerts) needs no thread while it lasts: close the request's
            # database connections on the thread that opened them, then release that thread.
            await sync_to_async(connections.close_all)()
            _release_request_thread()
        if not response.streaming or getattr(response, "is_async", False):
            await super().send_response(response, send)
            return
        headers = [(str(k).encode("ascii"), str(v).encode("latin1")) for k, v in response.items()]
        headers += [
            (b"Set-Cookie", c.output(header="").encode("ascii").strip()) for c in response.cookies.values()
        ]
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        iterator = iter(response.streaming_content)  # Django's handler closes the response afterwards
        while (part := await sync_to_async(_next_chunk, thread_sensitive=False)(iterator)) is not _DONE:
            for chunk, _ in self.chunk_bytes(part):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body"})


def get_application() -> StreamingASGIHandler:
    for db in settings.DATABASES.values():
        db["CONN_MAX_AGE"] = 0
    django.setup(set_prefix=False)
    return StreamingASGIHandler()


application = get_application()
