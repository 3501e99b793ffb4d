"""Fan-out of new alerts to the open pages (server-sent event streams) in this process.

One background thread per process polls for new alerts (an indexed query, a few times a second), works out
each alert's recipients once, and hands the event to every matching open stream: a thread-safe queue for a
WSGI worker thread, or the event loop's queue for an ASGI stream. Nothing here is the source of truth: an
alert is saved with its incident before it is broadcast, and a reconnecting page asks for what it missed
with Last-Event-ID.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import close_old_connections, connections

from .models import Alert

log = logging.getLogger(__name__)
POLL_SECONDS = 0.25
IDLE_EXIT_SECONDS = 2.0
# Handed to a stream to end it (on shutdown): the page reconnects, with Last-Event-ID, to another server.
END_OF_STREAM = "\x00end"


def event_payload(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "created_at": alert.created_at.isoformat(),
        "message": alert.message,
        "kind": alert.kind,
        "store": alert.store_id,
        "store_name": alert.store.name,
        "incident": alert.incident_id,
    }


def sse_frame(payload: dict[str, Any]) -> str:
    return f"id: {payload['id']}\nevent: alert\ndata: {json.dumps(payload)}\n\n"


@dataclass(eq=False)
class Subscriber:
    user_id: int
    sync_queue: queue.SimpleQueue[str] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    async_queue: asyncio.Queue[str] | None = None
    id: int = field(default=0)

    def deliver(self, frame: str) -> None:
        if self.sync_queue is not None:
            self.sync_queue.put(frame)
        elif self.loop is not None and self.async_queue is not None:
            self.loop.call_soon_threadsafe(self.async_queue.put_nowait, frame)


def _put_all(queues: list[asyncio.Queue[str]], frame: str) -> None:
    for q in queues:
        q.put_nowait(frame)


def deliver_all(subs: list[Subscriber], frame: str) -> None:
    """Hand a frame to many streams: one wake-up per event loop, not one per stream (a thousand
    call_soon_threadsafe calls are a thousand writes to the loop's wake-up pipe)."""
    per_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Queue[str]]] = {}
    for s in subs:
        if s.loop is not None and s.async_queue is not None:
            per_loop.setdefault(s.loop, []).append(s.async_queue)
        else:
            s.deliver(frame)
    for loop, queues in per_loop.items():
        try:
            loop.call_soon_threadsafe(_put_all, queues, frame)
        except RuntimeError:  # the loop closed: its streams are gone
            log.debug("Event loop closed; %d streams dropped", len(queues))


def release_connections() -> None:
    """Close this thread's database connections (those outside a transaction, such as a test's atomic
    block): streams and the poller wait on memory, not on the database. A broken one is only logged."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            try:
                conn.close()
            except Exception:
                log.debug("Closing a database connection failed", exc_info=True)


class Broadcaster:
    def __init__(self) -> None:
        self._subs: dict[int, Subscriber] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._last_id: int | None = None
        self._ids = itertools.count(1)
        self._stopping = threading.Event()

    def subscribe(self, sub: Subscriber) -> Subscriber:
        self._ensure_running()
        with self._lock:
            sub.id = next(self._ids)
            self._subs[sub.id] = sub
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subs.pop(sub.id, None)

    def shutdown(self, timeout: float = 5.0) -> None:
        """End every open stream and stop polling (a server shutting down; a test server between tests).

        The next stream to open starts the poller again.
        """
        with self._lock:
            subs = list(self._subs.values())
            self._subs.clear()
            thread = self._thread
            self._stopping.set()
        deliver_all(subs, END_OF_STREAM)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def subscriber_count(self) -> int:
        return len(self._subs)

    def _ensure_running(self) -> None:
        # No database work here: an ASGI stream subscribes from the event loop. The thread's first poll
        # reads where the alerts stand.
        with self._lock:
            self._stopping.clear()  # a page opened: keep (or start) polling
            if self._thread is None or not self._thread.is_alive():
                self._last_id = None
                self._thread = threading.Thread(target=self._run, name="alert-broadcaster", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        idle_since = time.monotonic()
        while True:
            if self._subs:
                idle_since = time.monotonic()
            elif self._stopping.is_set() or time.monotonic() - idle_since > IDLE_EXIT_SECONDS:
                with self._lock:
                    if not self._subs:  # no open pages: stop polling; the next subscriber starts it again
                        self._thread = None
                        release_connections()
                        return
            try:
                self.poll_once()
            except Exception:  # keep broadcasting through a database hiccup
                log.warning("Alert broadcast failed; retrying", exc_info=log.isEnabledFor(logging.DEBUG))
            finally:
                try:
                    close_old_connections()
                except Exception:  # a broken connection is replaced on the next poll
                    log.debug("Closing the broadcaster's connection failed", exc_info=True)
            self._stopping.wait(POLL_SECONDS)

    def poll_once(self) -> int:
        from .selectors import stream_recipient_ids
        from .services import alerts_mark_seen

        if self._last_id is None or not self._subs:
            self._last_id = Alert.objects.order_by("-id").values_list("id", flat=True).first() or 0
            return 0
        new = list(Alert.objects.filter(id__gt=self._last_id).select_related("store").order_by("id")[:200])
        for alert in new:
            recipients = stream_recipient_ids(alert)
            frame = sse_frame(event_payload(alert))
            with self._lock:
                targets = [s for s in self._subs.values() if s.user_id in recipients]
            deliver_all(targets, frame)
            if targets:
                alerts_mark_seen(alert_id=alert.pk, user_ids={s.user_id for s in targets})
            self._last_id = alert.pk
        return len(new)


broadcaster = Broadcaster()
