"""The ASGI application `shopwatch serve` runs under uvicorn: Django's ASGI handler, serving each request in
one hop to a shared pool of threads.

1. One hop per request. Django's own ASGI handler runs every request in a fresh asgiref thread-sensitive
   context (a new single-thread executor per request) and, because all our middleware is synchronous,
   hops between the event loop and that thread for each middleware's request and response halves, the view,
   the signals and the closing: about 5 ms of CPU per API request more than its WSGI handler
   (docs/benchmarks.md, "One hop per request and TCP_NODELAY"). Here the body is read on the event loop
   (into a temporary file that rolls over to disk past FILE_UPLOAD_MAX_MEMORY_SIZE, as Django does), then
   Django's synchronous request handling (the same middleware chain as under WSGI) runs in one call on a
   bounded, shared thread pool (SHOPWATCH_REQUEST_THREADS per process, default 4), and the event loop sends
   the answer.
2. Files stream. A response built on a synchronous iterator (FileResponse: evidence downloads, person photos,
   whitenoise's static files) is read a chunk at a time on the pool and each chunk is sent before the next
   is read (Django's handler would read it into memory whole first), so the client's pace limits the
   reading and a 2 GB download never holds 2 GB.
3. Server-sent event streams (GET /api/v1/alerts/stream) are asynchronous generators: the view returns on
   the pool, the request's database connections are closed there, and the stream then runs on the event loop
   alone, holding no thread however long the page stays open.
4. Each pool thread keeps its database connections between requests (CONN_MAX_AGE, 60 s by default;
   SHOPWATCH_DB_CONN_MAX_AGE): the threads are few and long-lived, unlike Django's handler's thread per
   request. request_started and request_finished are sent as under WSGI, so a connection past its age or
   left in error is closed when a request finishes, and checked before reuse (CONN_HEALTH_CHECKS).
5. Upload bodies stream. A resumable upload's PATCH (under /api/v1/uploads/) is not copied into a temporary
   file before the view starts: the view reads it as it arrives (``StreamedBody``), so each byte is written
   to disk once, storing overlaps receiving, and a connection that drops part-way keeps what arrived.

A client that disconnects ends a streamed response (the file is no longer read, the event stream
unsubscribes); an ordinary response's view runs to its end, as under WSGI, and its answer is dropped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import json
import os
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import IO, Any

import django
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.db import connections
from django.http import FileResponse
from django.http.response import HttpResponseBase
from django.urls import set_script_prefix

from shopwatch.core.shutdown import run_shutdown_hooks

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopwatch.settings")

REQUEST_THREADS_ENV = "SHOPWATCH_REQUEST_THREADS"
DEFAULT_REQUEST_THREADS = 4
# Requests allowed to wait for a request thread, per process; past it a request is answered 503 with
# Retry-After at once (a client retries later) instead of waiting ever longer behind the others.
REQUEST_QUEUE_ENV = "SHOPWATCH_REQUEST_QUEUE"
DEFAULT_REQUEST_QUEUE = 32
OVERLOADED_RETRY_AFTER = 1
# Opening an alert stream holds a request thread for a moment only, and every open page reconnects at once
# after a restart: those are let through to wait their turn rather than refused.
QUEUE_EXEMPT_PATHS = frozenset({"/api/v1/alerts/stream"})

_DONE = object()
Send = Callable[[Mapping[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[Mapping[str, Any]]]


def _next_chunk(iterator: Iterator[Any]) -> Any:
    return next(iterator, _DONE)


def request_threads() -> int:
    """Threads per process that run requests: SHOPWATCH_REQUEST_THREADS, default 4."""
    raw = os.environ.get(REQUEST_THREADS_ENV, "").strip()
    if not raw:
        return DEFAULT_REQUEST_THREADS
    try:
        threads = int(raw)
    except ValueError:
        raise ValueError(f"{REQUEST_THREADS_ENV} must be a whole number, not {raw!r}.") from None
    if not 1 <= threads <= 256:
        raise ValueError(f"{REQUEST_THREADS_ENV} must be between 1 and 256, not {threads}.")
    return threads


# Requests whose body goes straight to the view as it arrives instead of into a temporary file first:
# resumable uploads (tus PATCH, or POST with X-HTTP-Method-Override), which may carry gigabytes.
STREAMED_BODY_PREFIX = "/api/v1/uploads/"
BODY_PIECE = 4 * 1024 * 1024


def request_queue() -> int:
    """Requests per process that may wait for a thread: SHOPWATCH_REQUEST_QUEUE, default 32."""
    raw = os.environ.get(REQUEST_QUEUE_ENV, "").strip()
    if not raw:
        return DEFAULT_REQUEST_QUEUE
    try:
        limit = int(raw)
    except ValueError:
        raise ValueError(f"{REQUEST_QUEUE_ENV} must be a whole number, not {raw!r}.") from None
    if not 1 <= limit <= 100_000:
        raise ValueError(f"{REQUEST_QUEUE_ENV} must be between 1 and 100000, not {limit}.")
    return limit


async def send_overloaded(scope: Mapping[str, Any], send: Send) -> None:
    """503 with Retry-After, sent from the event loop without touching Django or the database: a problem
    document for the API, a line of text elsewhere."""
    path = str(scope.get("path", ""))
    if path.startswith("/api/"):
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Server busy",
                "status": 503,
                "detail": "Too many requests are waiting; nothing was done. Send the same request again "
                "(with the same Idempotency-Key) after Retry-After seconds.",
                "errors": [],
            }
        ).encode()
        content_type = b"application/problem+json"
    else:
        body = b"ShopWatch is busy; nothing was saved. Try again in a moment.\n"
        content_type = b"text/plain; charset=utf-8"
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(OVERLOADED_RETRY_AFTER).encode()),
    ]
    if path.startswith("/api/v1/uploads"):
        headers.append((b"tus-resumable", b"1.0.0"))
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def streams_body(scope: Mapping[str, Any]) -> bool:
    return scope.get("method") in ("PATCH", "POST") and str(scope.get("path", "")).startswith(
        STREAMED_BODY_PREFIX
    )


class StreamedBody:
    """A request body read by the view (on a pool thread) as it arrives (on the event loop).

    Each ``read`` takes from a piece of up to 4 MiB gathered from the ASGI ``receive`` messages by a
    coroutine on the event loop; the next piece is gathered while the view writes and hashes this one, so
    receiving and storing overlap and at most two pieces are held. Nothing is read ahead of what the view
    asks for beyond that, so the server's flow control slows a client the disk cannot keep up with. A client
    that disconnects ends the body: the view keeps what arrived (a resumable upload resumes from there).
    """

    def __init__(self, receive: Receive, loop: asyncio.AbstractEventLoop) -> None:
        self._receive = receive
        self._loop = loop
        self._buffer = b""
        self._pos = 0
        self._ended = False
        self._next: concurrent.futures.Future[tuple[bytes, bool]] | None = None

    async def _gather(self) -> tuple[bytes, bool]:
        parts: list[bytes] = []
        size = 0
        while size < BODY_PIECE:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                return b"".join(parts), True
            body = message.get("body", b"")
            if body:
                parts.append(body)
                size += len(body)
            if not message.get("more_body", False):
                return b"".join(parts), True
        return b"".join(parts), False

    def _fetch(self) -> None:
        if self._next is None:
            self._next = asyncio.run_coroutine_threadsafe(self._gather(), self._loop)
        piece, ended = self._next.result()
        self._next = None
        self._buffer, self._pos, self._ended = piece, 0, ended
        if not ended:  # gather the next piece while this one is written
            self._next = asyncio.run_coroutine_threadsafe(self._gather(), self._loop)

    def read(self, n: int = -1) -> bytes:
        out: list[bytes] = []
        want = n if n is not None and n >= 0 else None
        while want is None or want > 0:
            if self._pos >= len(self._buffer):
                if self._ended:
                    break
                self._fetch()
                continue
            end = len(self._buffer) if want is None else min(len(self._buffer), self._pos + want)
            # A whole piece is handed over as it is (no copy); otherwise the part asked for.
            chunk = (
                self._buffer if self._pos == 0 and end == len(self._buffer) else self._buffer[self._pos : end]
            )
            self._pos = end
            out.append(chunk)
            if want is not None:
                want -= len(chunk)
        return out[0] if len(out) == 1 else b"".join(out)

    def close(self) -> None:
        if self._next is not None:
            self._next.cancel()
            self._next = None
        self._buffer = b""


class StreamingASGIHandler(ASGIHandler):
    """Django's ASGI handler with synchronous request handling in one hop to a shared thread pool."""

    def __init__(self, threads: int | None = None) -> None:
        BaseHandler.__init__(self)
        # The synchronous middleware chain, as under WSGI; the event loop only reads and sends.
        self.load_middleware(is_async=False)
        self.threads = threads or request_threads()
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.threads, thread_name_prefix="shopwatch-request"
        )
        self.queue_limit = request_queue()
        self.overloaded = 0  # requests answered 503 because too many were waiting (for tests and logs)
        self._waiting = 0
        self._waiting_lock = threading.Lock()

    def close_connections(self) -> None:
        """Close the database connections every pool thread holds (the server is stopping).

        One task per thread, each held until all have started, so that every thread runs one.
        """
        started = threading.Barrier(self.threads)

        def close() -> None:
            # A thread busy with a long request breaks the wait: its connection goes when the process ends.
            with contextlib.suppress(threading.BrokenBarrierError):
                started.wait(timeout=10)
            connections.close_all()

        for job in [self._pool.submit(close) for _ in range(self.threads)]:
            job.result()

    async def lifespan(self, receive: Any, send: Any) -> None:
        """ASGI lifespan: at shutdown, run the apps' shutdown hooks (alerts ends its open streams), then close
        the pool's database connections."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.get_running_loop().run_in_executor(None, run_shutdown_hooks)
                await asyncio.get_running_loop().run_in_executor(None, self.close_connections)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        if self._waiting >= self.queue_limit and scope.get("path") not in QUEUE_EXEMPT_PATHS:
            self.overloaded += 1
            await send_overloaded(scope, send)
            return
        body_file: Any
        if streams_body(scope):
            body_file = StreamedBody(receive, asyncio.get_running_loop())
        else:
            try:
                body_file = await self.read_body(receive)
            except RequestAborted:
                return
        try:
            context = contextvars.copy_context()
            with self._waiting_lock:
                self._waiting += 1
            job = self._pool.submit(context.run, self._respond_counted, scope, body_file)
            response = await asyncio.wrap_future(job)
            if response.streaming:
                await self._send_streaming(response, receive, send, context)
            else:
                await self.send_response(response, send)
        finally:
            body_file.close()

    def _respond_counted(self, scope: Mapping[str, Any], body_file: IO[bytes]) -> HttpResponseBase:
        with self._waiting_lock:
            self._waiting -= 1
        return self._respond(scope, body_file)

    def _respond(self, scope: Mapping[str, Any], body_file: IO[bytes]) -> HttpResponseBase:
        """On a pool thread: the whole of Django's request handling, as its WSGI handler does it."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            assert error_response is not None
            response: HttpResponseBase = error_response
        else:
            response = self.get_response(request)
            response._handler_class = self.__class__  # type: ignore[attr-defined]
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size  # uvicorn does the low-level chunking
        if response.streaming:
            # Whatever it streams, it streams without this thread: let its connections go now.
            connections.close_all()
        else:
            # The content is in memory: finish the request here (request_finished closes this thread's
            # database connections) and let the event loop send it.
            response.close()
        return response

    async def _send_streaming(
        self, response: HttpResponseBase, receive: Receive, send: Send, context: contextvars.Context
    ) -> None:
        """Send a streamed response until it ends or the client goes away, then finish the request."""
        reading: list[concurrent.futures.Future[Any]] = []
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(self._send_body(response, send, context, reading)),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()  # the one still running: the sending, or the listening once it has ended
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            # A chunk being read when the client left is finished before the response is closed.
            await asyncio.wrap_future(self._pool.submit(self._finish, response, context, list(reading)))
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(
                outcome, asyncio.CancelledError | RequestAborted
            ):
                raise outcome

    @staticmethod
    def _finish(
        response: HttpResponseBase,
        context: contextvars.Context,
        reading: list[concurrent.futures.Future[Any]],
    ) -> None:
        concurrent.futures.wait(reading)
        context.run(response.close)  # request_finished; closes the file

    async def send_response(self, response: Any, send: Send) -> None:
        if response.streaming and not getattr(response, "is_async", False):
            await self._send_body(response, send, contextvars.copy_context(), [])
        else:
            await super().send_response(response, send)

    async def _send_body(
        self,
        response: Any,
        send: Send,
        context: contextvars.Context,
        reading: list[concurrent.futures.Future[Any]],
    ) -> None:
        if getattr(response, "is_async", False):
            # An event stream: an asynchronous generator that runs on the event loop.
            await super().send_response(response, send)
            return
        headers = [(str(k).encode("ascii"), str(v).encode("latin1")) for k, v in response.items()]
        headers += [
            (b"Set-Cookie", c.output(header="").encode("ascii").strip()) for c in response.cookies.values()
        ]
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        iterator = iter(response.streaming_content)
        while True:
            future = self._pool.submit(context.run, _next_chunk, iterator)
            reading[:] = [future]
            part = await asyncio.wrap_future(future)
            reading.clear()
            if part is _DONE:
                break
            for chunk, _ in self.chunk_bytes(part):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body"})


def get_application() -> StreamingASGIHandler:
    django.setup(set_prefix=False)
    return StreamingASGIHandler()


application = get_application()
