"""The API's OpenAPI document, made to tell the truth about what the API answers.

django-ninja documents what each router declares. On top of that, :class:`ShopWatchAPI` writes into every
operation the problem documents (``application/problem+json``, the ``ProblemOut`` schema) that the API's
shared machinery can answer for it, whatever the router declared:

* 400 for a malformed request (a bad cursor, a body that is not a JSON object) where there is a query or body;
* 401 and 403 where authentication is required (no or a bad key; a session without its second factor, or a
  role that may not act);
* 404 where a path or body names a record (missing and not permitted look the same);
* 413 and 415 where there is a body (too large; not ``application/json``);
* 422 where there is a parameter or a body (each bad field named);
* 429 where an API key may be used (the per-key rate limit).

It also documents the two endpoints served outside django-ninja: the tus 1.0 upload endpoint
(``/api/v1/uploads``, ``shopwatch.uploads.tus``) and the alert stream (``/api/v1/alerts/stream``,
``shopwatch.alerts.stream``).
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from .api import CURSOR_MAX_LENGTH
from .ids import MAX_ID

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/ProblemOut"}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

DESCRIPTIONS = {
    400: "Malformed request (a bad cursor, a body that is not a JSON object)",
    401: "Authentication required",
    403: "Not allowed (a session without its second factor, or a role that may not do this)",
    404: "Not found, or not visible to you",
    405: "Method not allowed",
    409: "Conflict (an Idempotency-Key reused with a different body, or the record changed state)",
    410: "Gone",
    411: "Length required",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported content type",
    422: "Some fields are not valid (each is named in errors)",
    423: "Locked (another request is writing to it)",
    429: "Too many requests (per API key); retry after Retry-After seconds",
    503: "Unavailable (the evidence store did not answer); retry after Retry-After seconds",
}


def problem_response(status: int) -> dict[str, Any]:
    return {"description": DESCRIPTIONS.get(status, "Problem"), "content": {PROBLEM: {"schema": PROBLEM_REF}}}


def _codes(op: dict[str, Any]) -> set[int]:
    params = op.get("parameters", [])
    places = {p.get("in") for p in params}
    body = "requestBody" in op
    security = op.get("security") or []
    codes = {int(c) for c in op.get("responses", {}) if str(c).startswith("4")}
    if body or "query" in places:
        codes.add(400)
    if security:
        codes |= {401, 403}
    if body or "path" in places:
        codes.add(404)
    if body:
        codes |= {413, 415}
    if body or params:
        codes.add(422)
    if any("ApiKeyAuth" in s for s in security):
        codes.add(429)
    return codes


def _declare_bounds(op: dict[str, Any]) -> None:
    """Bounds the API enforces centrally, declared on parameters whose router did not declare them."""
    for param in op.get("parameters", []):
        schema = param.get("schema", {})
        if param.get("in") == "path" and param["name"].endswith("_id") and schema.get("type") == "integer":
            # No record has an id outside these (core.api.Id refuses them with 422; elsewhere a 0 or a
            # negative id finds nothing, 404, and one too large for the database answers 422).
            schema.setdefault("minimum", 1)
            schema.setdefault("maximum", MAX_ID)
        if param.get("in") == "query" and param.get("name") == "cursor":
            # core.api.decode_cursor refuses longer cursors (400) for every list.
            for option in schema.get("anyOf", [schema]):
                if option.get("type") == "string":
                    option.setdefault("maxLength", CURSOR_MAX_LENGTH)


def document_problems(doc: dict[str, Any]) -> None:
    """Every operation declares the problem documents it can answer, as application/problem+json."""
    for item in doc.get("paths", {}).values():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            _declare_bounds(op)
            responses = op.setdefault("responses", {})
            for code in sorted(_codes(op)):
                responses.pop(str(code), None)
                responses[code] = problem_response(code)


def _header(name: str, description: str, schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"in": "header", "name": name, "required": required, "description": description, "schema": schema}


def _problems(*codes: int) -> dict[str, Any]:
    return {str(c): problem_response(c) for c in codes}


def _outside_routes(prefix: str, max_upload: int) -> dict[str, Any]:
    tus = _header("Tus-Resumable", "The tus protocol version", {"type": "string", "enum": ["1.0.0"]})
    secured: list[dict[str, list[str]]] = [{"ApiKeyAuth": []}, {"SessionAuth": []}]
    upload_id = {
        "in": "path",
        "name": "upload_id",
        "required": True,
        "description": "From the Location of the creation answer",
        "schema": {"type": "string", "maxLength": 64},
    }
    offset_headers = {
        "Upload-Offset": {"schema": {"type": "integer", "minimum": 0}, "description": "Bytes received"},
        "Tus-Resumable": {"schema": {"type": "string"}},
    }
    return {
        f"{prefix}uploads": {
            "options": {
                "operationId": "tus_options",
                "tags": ["uploads"],
                "summary": "What the tus server supports",
                "description": "Tus-Version, Tus-Extension (creation, termination, expiration), Tus-Max-Size",
                "responses": {
                    "204": {"description": "Supported versions, extensions and the largest upload"}
                },
            },
            "post": {
                "operationId": "tus_create",
                "tags": ["uploads"],
                "summary": "Create a resumable upload (tus 1.0 creation)",
                "description": (
                    "Large evidence files (CCTV exports) through the tus 1.0 protocol (`docs/uploads.md`): "
                    "create the upload here, send bytes with PATCH to its Location from the offset HEAD "
                    "reports, DELETE to cancel. `Upload-Metadata` carries `incident` (the incident id) and "
                    "`filename`, each base64-encoded; optionally `filetype` and `device_time`. Also "
                    "`Authorization: Bearer swu_...`, the token of a single-use upload link."
                ),
                "security": secured,
                "parameters": [
                    tus,
                    _header(
                        "Upload-Length",
                        "The file's size in bytes",
                        {"type": "integer", "minimum": 1, "maximum": max_upload},
                    ),
                    _header(
                        "Upload-Metadata",
                        "Pairs 'key base64(value)', comma-separated: incident, filename (filetype)",
                        {"type": "string", "maxLength": 4096},
                    ),
                ],
                "responses": {
                    "201": {
                        "description": "Created: send the bytes to Location",
                        "headers": {
                            "Location": {"schema": {"type": "string"}},
                            "Upload-Expires": {"schema": {"type": "string"}},
                            **offset_headers,
                        },
                    },
                    **_problems(400, 401, 403, 404, 412, 413, 422, 429, 503),
                },
            },
        },
        f"{prefix}uploads/{{upload_id}}": {
            "head": {
                "operationId": "tus_offset",
                "tags": ["uploads"],
                "summary": "Where to resume an upload",
                "security": secured,
                "parameters": [upload_id, tus],
                "responses": {
                    "200": {"description": "Upload-Offset and Upload-Length", "headers": offset_headers},
                    **_problems(401, 403, 404, 410, 412, 429),
                },
            },
            "patch": {
                "operationId": "tus_send",
                "tags": ["uploads"],
                "summary": "Send bytes of an upload from its current offset",
                "description": (
                    "When the last byte arrives the file becomes evidence on the incident "
                    "(`ShopWatch-Evidence-Id`), or is refused with 422 saying why."
                ),
                "security": secured,
                "parameters": [
                    upload_id,
                    tus,
                    _header("Upload-Offset", "The offset HEAD reported", {"type": "integer", "minimum": 0}),
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/offset+octet-stream": {"schema": {"type": "string"}}},
                },
                "responses": {
                    "204": {"description": "Received; the new Upload-Offset", "headers": offset_headers},
                    **_problems(400, 401, 403, 404, 409, 410, 411, 412, 413, 415, 422, 423, 429, 503),
                },
            },
            "delete": {
                "operationId": "tus_terminate",
                "tags": ["uploads"],
                "summary": "Cancel an unfinished upload (tus termination)",
                "security": secured,
                "parameters": [upload_id, tus],
                "responses": {
                    "204": {"description": "Cancelled; what was received is deleted"},
                    **_problems(401, 403, 404, 409, 410, 412, 423, 429),
                },
            },
        },
        f"{prefix}alerts/stream": {
            "get": {
                "operationId": "alerts_stream",
                "tags": ["alerts"],
                "summary": "Live alerts for your areas (server-sent events)",
                "description": (
                    "A `text/event-stream` that stays open: one `data:` frame (JSON, the alert as "
                    "`GET /alerts` lists it) per alert you may see, and a comment line as a heartbeat every "
                    "15 seconds. A reconnecting client sends `Last-Event-ID` and first receives up to 50 "
                    "alerts it missed."
                ),
                "security": secured,
                "parameters": [
                    _header(
                        "Last-Event-ID",
                        "The id of the last alert received",
                        {"type": "string", "maxLength": 20},
                        required=False,
                    )
                ],
                "responses": {
                    "200": {
                        "description": "The event stream",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    **_problems(401, 403),
                },
            }
        },
    }


class ShopWatchAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI document declares every problem answer and the routes served beside it."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        from django.conf import settings

        doc = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        prefix = path_prefix if path_prefix is not None else self.get_root_path(path_params or {})
        document_problems(doc)
        # Served by their own views, which answer only the problems they declare here.
        doc["paths"].update(_outside_routes(prefix, int(settings.SHOPWATCH_MAX_UPLOAD_BYTES)))
        return doc
