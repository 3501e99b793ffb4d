"""The tus 1.0 resumable upload endpoint at ``/api/v1/uploads`` (core, creation, termination, expiration).

Standard tus clients work (tus-js-client, Uppy, tuspy). A client creates an upload with POST, giving
``Upload-Length`` and ``Upload-Metadata`` (``incident`` = the incident id, ``filename``; optionally
``filetype`` = the MIME type the file is said to be, and ``device_time`` = the client's clock), sends
bytes with PATCH from the offset HEAD reports, and may DELETE an unfinished upload. When the last byte
arrives the file becomes evidence on the incident (its id is in the ``ShopWatch-Evidence-Id`` header),
or is refused with a 422 ``application/problem+json`` saying why.

Authentication: ``Authorization: Bearer <API key>``; a signed-in browser session (send the CSRF token
in ``X-CSRFToken``); or ``Authorization: Bearer swu_...``, the token of a single-use upload link.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from shopwatch.core.api import TWO_FACTOR_REQUIRED, problem
from shopwatch.core.apikeys import apikey_authenticate
from shopwatch.core.entitlements import viewer_for
from shopwatch.core.errors import FieldError, ServiceError, ValidationFailed
from shopwatch.core.middleware import session_may_proceed
from shopwatch.core.models import Channel
from shopwatch.core.ratelimit import allow

from .models import Upload, UploadState
from .services.cleanup import upload_terminate
from .services.common import LINK_PREFIX
from .services.creation import upload_create
from .services.locking import upload_offset
from .services.lookup import expires_at, upload_get, upload_gone_reason
from .services.metadata import parse_metadata
from .services.receiving import upload_receive
from .services.uploaders import Uploader, link_viewer, upload_link_find

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration"
OFFSET_STREAM = "application/offset+octet-stream"


def _tus(response: HttpResponse) -> HttpResponse:
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    return response


def _problem(
    status: int,
    title: str,
    errors: list[FieldError] | None = None,
    detail: str = "",
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    return _tus(problem(status, title, [e.as_dict() for e in errors or []], detail, headers))


def _http_date(value: dt.datetime) -> str:
    return email.utils.format_datetime(value.astimezone(dt.UTC), usegmt=True)


class _Refusal(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response
        super().__init__("refused")


def _no_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _uploader(request: HttpRequest) -> Uploader:
    """Who is calling: an API key, an upload link token, or a signed-in session (CSRF-checked)."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _Refusal(
                _problem(
                    401,
                    "Authentication required",
                    detail="Send 'Authorization: Bearer <API key>'.",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            )
        if token.startswith(LINK_PREFIX):
            link = upload_link_find(token)
            if link is None:
                raise _Refusal(_problem(404, "Not found", detail="This upload link does not exist."))
            return Uploader(viewer=link_viewer(link), link=link)
        key = apikey_authenticate(token)
        if key is None:
            raise _Refusal(
                _problem(
                    401,
                    "Authentication required",
                    detail="The API key is not valid.",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            )
        allowed, _wait = allow(f"key:{key.pk}")
        if not allowed:
            raise _Refusal(
                _problem(
                    429,
                    "Too many requests",
                    headers={"Retry-After": "1"},
                    detail=f"Rate limit is {settings.SHOPWATCH_API_RATE_LIMIT} requests a second.",
                )
            )
        return Uploader(viewer=viewer_for(key.user, channel=Channel.API, api_key_id=key.pk))
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise _Refusal(
            _problem(
                401,
                "Authentication required",
                detail="Send 'Authorization: Bearer <API key>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        )
    if not session_may_proceed(user):
        raise _Refusal(
            _problem(
                403,
                TWO_FACTOR_REQUIRED,
                [FieldError("session", "Confirm the code from your authenticator app first.")],
            )
        )
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf_failure = CsrfViewMiddleware(_no_view).process_view(request, _no_view, (), {})
        if csrf_failure is not None:
            raise _Refusal(
                _problem(
                    403,
                    "CSRF check failed",
                    [FieldError("X-CSRFToken", "Send the page's CSRF token in this header.")],
                )
            )
    return Uploader(viewer=viewer_for(user, channel=Channel.WEB))


def _method(request: HttpRequest) -> str:
    override = request.headers.get("X-HTTP-Method-Override", "").upper()
    if request.method == "POST" and override in ("PATCH", "DELETE", "HEAD"):
        return override
    return str(request.method)


def _options() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Tus-Version"] = TUS_VERSION
    response["Tus-Extension"] = EXTENSIONS
    response["Tus-Max-Size"] = str(settings.SHOPWATCH_MAX_UPLOAD_BYTES)
    return _tus(response)


def _check_version(request: HttpRequest) -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise _Refusal(
            _problem(
                412,
                "Unsupported tus version",
                [FieldError("Tus-Resumable", f"Send 'Tus-Resumable: {TUS_VERSION}'.")],
                headers={"Tus-Version": TUS_VERSION},
            )
        )


def _int_header(request: HttpRequest, name: str, *, required: bool = True) -> int | None:
    raw = request.headers.get(name)
    if raw is None or raw == "":
        if required:
            raise ValidationFailed([FieldError(name, "Required.")])
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ValidationFailed([FieldError(name, "Must be a whole number of bytes, 0 or more.")])
    return int(raw)


def _run(request: HttpRequest, handler: Callable[[], HttpResponse]) -> HttpResponse:
    try:
        return handler()
    except _Refusal as refusal:
        return refusal.response
    except Http404:
        return _problem(404, "Not found")
    except ServiceError as exc:
        retry = {"Retry-After": "5"} if exc.status_code == 503 else None
        return _problem(exc.status_code, exc.title, exc.errors, headers=retry)


@csrf_exempt
def upload_collection(request: HttpRequest) -> HttpResponse:
    """OPTIONS (what the server supports) and POST (create an upload)."""

    def handle() -> HttpResponse:
        method = _method(request)
        if method == "OPTIONS":
            return _options()
        if method != "POST":
            response = _problem(405, "Method not allowed", detail="Use POST to create an upload.")
            response["Allow"] = "OPTIONS, POST"
            return response
        _check_version(request)
        uploader = _uploader(request)
        if request.headers.get("Upload-Defer-Length"):
            raise ValidationFailed([FieldError("Upload-Defer-Length", "Not supported: send Upload-Length.")])
        length = _int_header(request, "Upload-Length", required=False)
        metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
        upload = upload_create(uploader=uploader, length=length, metadata=metadata)
        response = HttpResponse(status=201)
        response["Location"] = request.build_absolute_uri(f"/api/v1/uploads/{upload.id}")
        response["Upload-Expires"] = _http_date(expires_at(upload))
        response["Upload-Offset"] = "0"
        return _tus(response)

    return _run(request, handle)


def _read_body(request: HttpRequest) -> tuple[Callable[[int], bytes], int | None]:
    """A reader over the request body that never holds more than one piece, and the declared length."""
    raw_length = request.META.get("CONTENT_LENGTH") or ""
    if raw_length:
        if not (raw_length.isascii() and raw_length.isdigit()):
            raise ValidationFailed([FieldError("Content-Length", "Must be a whole number.")])
        length: int | None = int(raw_length)
        source: Any = request
    elif request.META.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        length = None
        # The server decodes chunked bodies; read until it ends (WSGI: the raw input, ASGI: the request).
        source = request.META.get("wsgi.input") or request
    else:
        raise _Refusal(
            _problem(
                411,
                "Length required",
                [FieldError("Content-Length", "Send Content-Length (or a chunked body).")],
            )
        )

    def read(n: int) -> bytes:
        try:
            data = source.read(n)
        except Exception:  # the client dropped the connection: keep what arrived
            return b""
        return data if isinstance(data, bytes) else bytes(data)

    return read, length


@csrf_exempt
def upload_resource(request: HttpRequest, upload_id: str) -> HttpResponse:
    """HEAD (where to resume), PATCH (send bytes), DELETE (cancel), OPTIONS."""

    def handle() -> HttpResponse:
        method = _method(request)
        if method == "OPTIONS":
            return _options()
        if method not in ("HEAD", "PATCH", "DELETE", "GET"):
            response = _problem(405, "Method not allowed", detail="Use HEAD, PATCH or DELETE on an upload.")
            response["Allow"] = "OPTIONS, HEAD, PATCH, DELETE"
            return response
        _check_version(request)
        uploader = _uploader(request)
        upload = upload_get(uploader=uploader, upload_id=upload_id)
        if method in ("HEAD", "GET"):
            return _head(upload, body=method == "GET")
        if method == "DELETE":
            upload_terminate(uploader=uploader, upload=upload)
            return _tus(HttpResponse(status=204))
        return _patch(request, uploader, upload)

    return _run(request, handle)


def _head(upload: Upload, *, body: bool) -> HttpResponse:
    reason = upload_gone_reason(upload)
    if reason:
        return _problem(410, "Gone", [FieldError("upload", reason)])
    if upload.state == UploadState.REFUSED:
        return _problem(410, "Gone", [FieldError("file", upload.refusal)])
    offset = upload_offset(upload)
    response = HttpResponse(status=200)
    if body:
        response = HttpResponse(
            f'{{"offset": {offset}, "length": {upload.length}, "state": "{upload.state}"}}',
            content_type="application/json",
        )
    response["Upload-Offset"] = str(offset)
    response["Upload-Length"] = str(upload.length)
    if upload.state == UploadState.RECEIVING:
        response["Upload-Expires"] = _http_date(expires_at(upload))
    if upload.evidence_id:
        response["ShopWatch-Evidence-Id"] = str(upload.evidence_id)
    return _tus(response)


def _patch(request: HttpRequest, uploader: Uploader, upload: Upload) -> HttpResponse:
    content_type = (request.content_type or "").lower()
    if content_type != OFFSET_STREAM:
        return _problem(
            415,
            "Unsupported content type",
            [FieldError("Content-Type", f"Send {OFFSET_STREAM}, not '{content_type or 'none'}'.")],
        )
    client_offset = _int_header(request, "Upload-Offset")
    assert client_offset is not None
    read, length = _read_body(request)
    received = upload_receive(
        uploader=uploader,
        upload=upload,
        client_offset=client_offset,
        read=read,
        content_length=length,
    )
    response = HttpResponse(status=204)
    response["Upload-Offset"] = str(received.offset)
    if received.evidence is not None:
        response["ShopWatch-Evidence-Id"] = str(received.evidence.pk)
        response["ShopWatch-Evidence-Sha256"] = received.evidence.sha256
    else:
        response["Upload-Expires"] = _http_date(expires_at(received.upload))
    return _tus(response)
