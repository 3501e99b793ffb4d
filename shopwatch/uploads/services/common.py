"""Resumable uploads: the limits, errors and the partial files' names every part shares."""

from __future__ import annotations

import logging

from shopwatch.core.errors import ServiceError

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024  # re-hashing a prefix from disk
BODY_PIECE = 4 * 1024 * 1024  # bytes read from the request, written and hashed at a time
LINK_PREFIX = "swu_"
LOCK_WAIT_SECONDS = 5.0
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/x-msvideo": ".avi",
    "video/x-matroska": ".mkv",
    "application/zip": ".zip",
}


class Gone(ServiceError):
    status_code = 410
    title = "Gone"


class TooLarge(ServiceError):
    status_code = 413
    title = "Too large"


class Locked(ServiceError):
    status_code = 423
    title = "Locked"


class OffsetMismatch(ServiceError):
    status_code = 409
    title = "Upload-Offset does not match"


class StoreUnavailable(ServiceError):
    """The object store did not take or give back bytes; what is recorded stays, the client resumes."""

    status_code = 503
    title = "Evidence store unavailable"


class Refused(ServiceError):
    """The finished (or starting) file is not accepted; nothing became evidence."""

    status_code = 422
    title = "The file was refused"
