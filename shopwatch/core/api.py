"""What every API endpoint shares: authentication, problem documents, the list shape."""

from __future__ import annotations

import base64
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer

from .apikeys import apikey_authenticate
from .entitlements import Viewer, cached_viewer, viewer_for
from .errors import FieldError, ServiceError
from .middleware import session_may_proceed
from .models import Channel
from .ratelimit import allow

PROBLEM = "application/problem+json"
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
            return None
        allowed, _wait = allow(f"key:{key.pk}")
        if not allowed:
            raise ProblemError(
                429,
                "Too many requests",
                detail=f"Rate limit is {settings.SHOPWATCH_API_RATE_LIMIT} requests a second per key.",
            )
        request.user = key.user
        viewer = cached_viewer(key.user, channel=Channel.API, api_key_id=key.pk)
        request.viewer = viewer  # type: ignore[attr-defined]
        return viewer


class SessionAuth(APIKeyCookie):
    """A signed-in browser session (CSRF-checked), so the web pages can use the same API."""

    param_name = settings.SESSION_COOKIE_NAME

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
        viewer = viewer_for(user, channel=Channel.WEB)
        request.viewer = viewer  # type: ignore[attr-defined]
        return viewer


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


def viewer_of(request: HttpRequest) -> Viewer:
    return request.auth  # type: ignore[attr-defined,no-any-return]


# --- The shared list shape: {"items": [...], "next": URL or null} --------------------------------


class Cursor(Schema):
    pass


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(raw: str | None) -> list[Any] | None:
    if not raw:
        return None
    try:
        padded = raw + "=" * (-len(raw) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, json.JSONDecodeError) as exc:
        raise ProblemError(
            400, "Bad cursor", [FieldError("cursor", "Use the 'next' URL exactly as given.")]
        ) from exc
    if not isinstance(value, list):
        raise ProblemError(400, "Bad cursor", [FieldError("cursor", "Use the 'next' URL exactly as given.")])
    return value


def next_url(request: HttpRequest, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    params = request.GET.copy()
    params["cursor"] = cursor
    return request.build_absolute_uri(request.path + "?" + params.urlencode())
