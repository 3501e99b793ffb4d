"""Faults of the machine, answered plainly: a full disk, a read-only or unwritable folder, a database that is
overloaded. The API (and the tus endpoint) answers an ``application/problem+json`` document with
``Retry-After``, never an HTML 500; a web page answers a short page saying nothing was saved and to try again
(the phone report form catches these itself, so it keeps what the user typed).

``FaultMiddleware`` turns such an exception from any view into that answer; everything else goes on to
Django's own handling.
"""

from __future__ import annotations

import errno
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, OperationalError
from django.http import HttpRequest, HttpResponse

log = logging.getLogger("shopwatch.faults")

PROBLEM = "application/problem+json"
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_UNWRITABLE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
# What a database says when it is overloaded rather than broken: SQLite's lock held past the busy timeout,
# PostgreSQL out of connections or shutting down for a restart.
_BUSY_DATABASE = (
    "database is locked",
    "too many clients",
    "remaining connection slots",
    "the database system is starting up",
    "the database system is shutting down",
)


@dataclass(frozen=True)
class Fault:
    status: int
    title: str
    detail: str
    retry_after: int


def fault_for(exc: BaseException) -> Fault | None:
    """The answer for a machine fault, or None when ``exc`` is not one."""
    if isinstance(exc, OSError) and exc.errno in _FULL:
        return Fault(
            507,
            "Storage full",
            "The server has no room to store this; nothing was saved. Try again later.",
            300,
        )
    if isinstance(exc, OSError) and exc.errno in _UNWRITABLE:
        return Fault(
            503,
            "Storage unavailable",
            "The server cannot write its storage just now; nothing was saved. Try again later.",
            60,
        )
    if isinstance(exc, DatabaseError) and any(s in str(exc) for s in _BUSY_DATABASE):
        return Fault(
            503,
            "Server busy",
            "The server is busy; nothing was saved. Send the same request again (with the same "
            "Idempotency-Key) after Retry-After seconds.",
            2,
        )
    return None


def wants_problem(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def fault_response(request: HttpRequest, fault: Fault) -> HttpResponse:
    if wants_problem(request):
        body = {"type": "about:blank", "title": fault.title, "status": fault.status, "detail": fault.detail}
        body["errors"] = []
        response = HttpResponse(json.dumps(body), status=fault.status, content_type=PROBLEM)
    else:
        from django.template.loader import render_to_string

        html = render_to_string("fault.html", {"fault": fault}, request=request)
        response = HttpResponse(html, status=fault.status)
    response["Retry-After"] = str(fault.retry_after)
    if request.path.startswith("/api/v1/uploads"):
        response["Tus-Resumable"] = "1.0.0"
    return response


class FaultMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        fault = fault_for(exception)
        if fault is None:
            return None
        log.error("%s %s: %s (%s)", request.method, request.path, fault.title, exception)
        return fault_response(request, fault)


def install_fault_handlers(api: Any) -> None:
    """The same answers from the API's own exception handling (which would otherwise make them 500s)."""

    def handle(request: HttpRequest, exc: Exception) -> HttpResponse:
        fault = fault_for(exc)
        if fault is None:
            fallback = api._exception_handlers.get(Exception)
            if fallback is None:
                raise exc
            return fallback(request, exc)  # type: ignore[no-any-return]
        log.error("%s %s: %s (%s)", request.method, request.path, fault.title, exc)
        return fault_response(request, fault)

    api.add_exception_handler(OSError, handle)
    api.add_exception_handler(OperationalError, handle)
