"""Secrets that travel in URLs never reach a log.

An upload link (``/u/<token>/``) carries its token in the address, so a web server's access log, Django's
"Not Found: /u/..." warnings and anything else that logs a path would keep a working credential for
whoever reads the logs. API keys travel in the ``Authorization`` header, which nothing logs. The filter here
rewrites every log record's message and arguments; `shopwatch serve` installs it on uvicorn's and gunicorn's
access and error logs, and the settings' LOGGING on Django's request logging and the root handler.

No Django import at module level: uvicorn's logging configuration imports this before Django is set up.
gunicorn (a dependency) is imported for its logger class, given to it with ``--logger-class``.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from gunicorn.glogging import Logger as _GunicornBaseLogger  # type: ignore[import-untyped]

REDACTED = "[redacted]"
_PATTERNS = (
    # The upload-link page: /u/<token>/ (whatever the token looks like).
    (re.compile(r"/u/[^/?#\s\"']+"), f"/u/{REDACTED}"),
    # The token itself anywhere else (a query string, a Referer header, a message): swu_ + url-safe base64.
    # (also URL-encoded, so no word boundary: "%2Fswu_...").
    (re.compile(r"swu_[A-Za-z0-9_\-]{6,}"), f"swu_{REDACTED}"),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bytes):
        return redact(value.decode("latin-1")).encode("latin-1")
    return value


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and its arguments (tuple or mapping), keeping their shape and types."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact_value(v) for k, v in record.args.items()}
        return True


FILTER_CONFIG = {"()": "shopwatch.core.logredact.RedactSecrets"}


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, with the filter on its access and error handlers."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = FILTER_CONFIG
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_secrets")
    return config


class GunicornLogger(_GunicornBaseLogger):
    """gunicorn's logger (``--logger-class``) with the filter on its access and error logs."""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        for log in (self.access_log, self.error_log):
            log.addFilter(RedactSecrets())
