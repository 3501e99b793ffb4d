"""Work to do when the server stops, registered by the apps that own it (in their AppConfig.ready()).

The ASGI lifespan shutdown (``core.asgi``) runs every hook, in the order registered, before it closes the
request threads' database connections; core names no app above it (alerts ends its open streams this way).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

ShutdownHook = Callable[[], None]
_hooks: list[ShutdownHook] = []


def on_shutdown(hook: ShutdownHook) -> None:
    """Run ``hook`` when the server stops (registering the same hook twice runs it once)."""
    if hook not in _hooks:
        _hooks.append(hook)


def shutdown_hooks() -> tuple[ShutdownHook, ...]:
    return tuple(_hooks)


def run_shutdown_hooks() -> None:
    """Run every registered hook; one that fails is logged and the others still run."""
    for hook in _hooks:
        try:
            hook()
        except Exception:
            log.exception("shutdown hook %r failed", hook)
