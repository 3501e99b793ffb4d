"""What every API endpoint shares: authentication, problem documents, the list shape."""

from __future__ import annotations

import base64
import json
import logging
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.signals import got_request_exception
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import Field, Strict

from .apikeys import apikey_authenticate
from .entitlements import Viewer, cached_viewer, viewer_for
from .errors import FieldError, ServiceError
from .ids import MAX_ID
from .middleware import session_may_proceed
from .models import Channel
from .ratelimit import allow

PROBLEM = "application/problem+json"
CURSOR_MAX_LENGTH = 512

logger = logging.getLogger("shopwatch.api")

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A record id in a path, a filter or a body: 1 to 2^63-1 (others answer 422 naming the field)."""
StrictId = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
"""An id in a JSON body, which must be a JSON number (not a string of digits)."""

CursorParam = Annotated[
    str, Field(max_length=CURSOR_MAX_LENGTH, description="The 'next' URL's cursor, exactly as given")
]


class FieldErrorOut(Schema):
    field: str
    message: str


class ProblemOut(Schema):
    """An RFC 9457 problem document (application/problem+json), one entry per bad field in errors."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldErrorOut]


TWO_FACTOR_REQUIRED = "Two-factor sign-in required"


class ProblemError(Exception):
    def __init__(
        self, status: int, title: str, errors: list[FieldError] | None = None, detail: str = ""
    ) -> None:
        self.status = status
        self.title = title
        self.errors = errors or []
        self.detail = detail
        super().__init__(title)


def problem(
    status: int,
    title: str,
    errors: list[dict[str, str]] | None = None,
    detail: str = "",
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["errors"] = errors or []
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM)
    for k, v in (headers or {}).items():
        response[k] = v
    return response


class StrictJSONParser(Parser):
    """Refuses what is not a JSON object body, saying exactly why."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        content_type = request.content_type or ""
        if content_type != "application/json":
            raise ProblemError(
                415,
                "Unsupported content type",
                [FieldError("Content-Type", f"Send application/json, not '{content_type or 'none'}'.")],
            )
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise ProblemError(
                413,
                "Request body too large",
                [FieldError("body", f"At most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes.")],
            )
        try:
            data = json.loads(request.body)
        except UnicodeDecodeError as exc:
            raise ProblemError(400, "Body is not UTF-8", [FieldError("body", str(exc))]) from exc
        except json.JSONDecodeError as exc:
            raise ProblemError(
                400,
                "Invalid JSON",
                [FieldError("body", f"{exc.msg} at line {exc.lineno} column {exc.colno}.")],
            ) from exc
        if not isinstance(data, dict):
            raise ProblemError(400, "Invalid JSON", [FieldError("body", "The body must be a JSON object.")])
        return data


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
        if parts and parts[0] in ("payload", "data", "filters"):
            parts = parts[1:]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += ("." if name else "") + str(part)
    return name or "body"


def _message(err: dict[str, Any]) -> str:
    if err.get("type") == "extra_forbidden":
        return "Unknown field."
    if err.get("type") == "missing":
        return "Required."
    return str(err.get("msg", "Invalid value.")).removeprefix("Value error, ")


class ApiKeyAuth(HttpBearer):
    """Authorization: Bearer <key>. The key acts with its user's entitlements."""

    def authenticate(self, request: HttpRequest, token: str) -> Viewer | None:
        key = apikey_authenticate(token)
        if key is None:
            # A key was presented and is not one: say so (401), rather than go on to the session check, whose
            # CSRF refusal would hide what is wrong.
            raise ProblemError(
                401,
                "API key not recognised",
                [FieldError("Authorization", "The key is mistyped or revoked, or its account deactivated.")],
            )
        allowed, _wait = allow(f"key:{key.pk}")
        if not allowed:
            raise ProblemError(
                429,
                "Too many requests",
                detail=f"Rate limit is {settings.SHOPWATCH_API_RATE_LIMIT} requests a second per key.",
            )
        request.user = key.user
        return cached_viewer(key.user, channel=Channel.API, api_key_id=key.pk)


class SessionAuth(APIKeyCookie):
    """A signed-in browser session (CSRF-checked), so the web pages can use the same API."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # No session cookie, no session to protect: answer "authentication required", not a CSRF refusal.
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Viewer | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not session_may_proceed(user):
            # The same rule as the web pages: no second factor given, no access (API keys are unaffected).
            raise ProblemError(
                403,
                TWO_FACTOR_REQUIRED,
                [FieldError("session", "Confirm the code from your authenticator app first.")],
            )
        return viewer_for(user, channel=Channel.WEB)


def install_problem_handlers(api: NinjaAPI) -> None:
    from .faults import install_fault_handlers

    install_fault_handlers(api)  # a full disk, unwritable storage, an overloaded database: 503/507, not 500

    @api.exception_handler(NinjaValidationError)
    def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [{"field": _field_name(e.get("loc", ())), "message": _message(e)} for e in exc.errors]
        return problem(422, "Some fields are not valid", errors)

    @api.exception_handler(ServiceError)
    def _service(request: HttpRequest, exc: ServiceError) -> HttpResponse:
        return problem(exc.status_code, exc.title, [e.as_dict() for e in exc.errors])

    @api.exception_handler(ProblemError)
    def _problem(request: HttpRequest, exc: ProblemError) -> HttpResponse:
        headers = {"Retry-After": "1"} if exc.status == 429 else None
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return problem(exc.status, exc.title, [e.as_dict() for e in exc.errors], exc.detail, headers)

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # Raised when django-ninja reads request.body before the parser's own size check runs.
        limit = f"At most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes."
        return problem(413, "Request body too large", [{"field": "body", "message": limit}])

    @api.exception_handler(AuthenticationError)
    def _auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            401,
            "Authentication required",
            detail="Send 'Authorization: Bearer <API key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(404, "Not found")

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        cause = exc.__cause__
        if isinstance(cause, ProblemError):
            return _problem(request, cause)
        return problem(exc.status_code, str(exc) or "Bad request")

    @api.exception_handler(OverflowError)
    @api.exception_handler(DataError)
    def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A value the database cannot hold reached a query (a number too large for SQLite; text with a NUL
        # character on PostgreSQL): say which, as a validation error would.
        if "NUL" in str(exc):
            return problem(422, "Some fields are not valid", _nul_fields(request))
        return problem(422, "Some fields are not valid", _out_of_range_fields(request))

    @api.exception_handler(Exception)
    def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Still reported (logged, and got_request_exception for error trackers and the test client), but the
        # caller gets a problem document rather than an HTML page.
        logger.exception("Unhandled error in %s %s", request.method, request.path)
        got_request_exception.send(sender=None, request=request)
        return problem(500, "Internal server error", detail="The error has been logged.")


def _out_of_range_fields(request: HttpRequest) -> list[dict[str, str]]:
    message = f"Must be a whole number from 1 to {MAX_ID}."
    match = request.resolver_match
    params = [*(match.kwargs.items() if match else ()), *request.GET.items()]
    fields = sorted({name for name, value in params if _too_large(value)})
    return [{"field": name, "message": message} for name in fields] or [{"field": "body", "message": message}]


def _nul_fields(request: HttpRequest) -> list[dict[str, str]]:
    message = "Must not contain NUL characters."
    match = request.resolver_match
    params = [*(match.kwargs.items() if match else ()), *request.GET.items()]
    fields = sorted({name for name, value in params if "\x00" in str(value)})
    return [{"field": name, "message": message} for name in fields] or [{"field": "body", "message": message}]


def _too_large(value: object) -> bool:
    text = str(value).strip().lstrip("+-")
    return text.isascii() and text.isdigit() and len(text) >= 19 and int(text) > MAX_ID


def viewer_of(request: HttpRequest) -> Viewer:
    """The viewer the API's authentication worked out for this request (django-ninja keeps it as ``auth``)."""
    viewer = getattr(request, "auth", None)
    if not isinstance(viewer, Viewer):
        raise ProblemError(401, "Not signed in", detail="Sign in, or send an API key as a Bearer token.")
    return viewer


# --- The shared list shape: {"items": [...], "next": URL or null} --------------------------------


class Cursor(Schema):
    pass


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def _bad_cursor() -> ProblemError:
    return ProblemError(400, "Bad cursor", [FieldError("cursor", "Use the 'next' URL exactly as given.")])


def _cursor_part_ok(kind: str, value: object) -> bool:
    if kind == "int":
        return type(value) is int and 0 <= value <= MAX_ID
    if not isinstance(value, str) or len(value) > 100:
        return False
    if kind == "datetime":
        try:
            when = parse_datetime(value)
        except ValueError:
            return False
        return when is not None and when.tzinfo is not None
    return kind == "str"


def decode_cursor(raw: str | None, *kinds: str) -> list[Any] | None:
    """The values a 'next' cursor carries, or a 400 problem for anything that is not one.

    ``kinds`` ("int": an id, "datetime": an ISO time with offset, "str": a short text) says what each value
    must be; a cursor of another length or with a value of another kind is refused here, so no page query
    ever sees one.
    """
    if not raw:
        return None
    if len(raw) > CURSOR_MAX_LENGTH:
        raise _bad_cursor()
    try:
        padded = raw + "=" * (-len(raw) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, RecursionError) as exc:  # binascii, Unicode and JSON errors are ValueErrors
        raise _bad_cursor() from exc
    if not isinstance(value, list):
        raise _bad_cursor()
    if kinds and (len(value) != len(kinds) or not all(map(_cursor_part_ok, kinds, value))):
        raise _bad_cursor()
    return value


def next_url(request: HttpRequest, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    params = request.GET.copy()
    params["cursor"] = cursor
    return request.build_absolute_uri(request.path + "?" + params.urlencode())
