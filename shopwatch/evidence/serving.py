"""Sending an original: whole, or the byte range a video player asks for (RFC 9110 range requests).

A browser's video player asks for ``Range: bytes=0-`` when it starts and for later ranges when the viewer
seeks; a download manager resumes with ``bytes=N-``. One range is answered with 206 Partial Content and a
``Content-Range``; several ranges in one request are answered with the whole file (allowed by RFC 9110, and
no player needs them); a range that starts past the end gets 416 with ``Content-Range: bytes */size``.
``If-Range`` with the file's entity tag (its SHA-256, which never changes) keeps a resumed download safe.

The bytes are read from storage a chunk at a time, never whole into memory (the ASGI handler in
shopwatch.core.asgi sends each chunk before reading the next).

Whether a request is recorded in the chain of custody is the caller's choice: ``is_continuation`` tells
a player's follow-on request (a range that does not start at byte 0) from the start of a view.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from .models import EvidenceFile

CHUNK = 1024 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def etag(evidence: EvidenceFile) -> str:
    return f'"{evidence.sha256}"'


def is_continuation(request: HttpRequest, evidence: EvidenceFile) -> bool:
    """A range request that does not start at byte 0: the rest of a view already recorded."""
    wanted = _range_for(request, evidence)
    return isinstance(wanted, tuple) and wanted[0] > 0


def _range_for(request: HttpRequest, evidence: EvidenceFile) -> tuple[int, int] | str | None:
    if_range = request.headers.get("If-Range", "").strip()
    if if_range and if_range != etag(evidence):
        return None  # the client holds another version (or a date): it gets the whole file
    header = request.headers.get("Range", "").strip().replace(" ", "")
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:
        return None
    start_s, end_s = match.groups()
    size = evidence.size
    if not start_s and not end_s:
        return None
    if not start_s:
        length = int(end_s)
        if length == 0 or size == 0:
            return "unsatisfiable"
        return max(size - length, 0), size - 1
    start = int(start_s)
    if start >= size:
        return "unsatisfiable"
    end = min(int(end_s), size - 1) if end_s else size - 1
    if end < start:
        return None
    return start, end


def _chunks(name: str, start: int, length: int) -> Iterator[bytes]:
    with default_storage.open(name, "rb") as f:
        if start:
            f.seek(start)
        left = length
        while left > 0:
            data = f.read(min(CHUNK, left))
            if not data:
                break
            left -= len(data)
            yield data


def send(
    request: HttpRequest, evidence: EvidenceFile, *, attachment: bool, cache_control: str
) -> HttpResponse | StreamingHttpResponse:
    """The original (or the requested range of it), streamed from storage."""
    size = evidence.size
    wanted = _range_for(request, evidence)
    if wanted == "unsatisfiable":
        response416 = HttpResponse(status=416)
        response416["Content-Range"] = f"bytes */{size}"
        response416["Accept-Ranges"] = "bytes"
        return response416
    if isinstance(wanted, tuple):
        start, end = wanted
        status = 206
    else:
        start, end, status = 0, size - 1, 200
    length = end - start + 1 if size else 0
    response = StreamingHttpResponse(
        _chunks(evidence.file.name, start, length), status=status, content_type=evidence.content_type
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag(evidence)
    response["Cache-Control"] = cache_control
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    disposition = content_disposition_header(attachment, evidence.original_filename)
    if disposition:
        response["Content-Disposition"] = disposition
    return response
