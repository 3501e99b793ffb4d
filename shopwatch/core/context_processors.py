from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .entitlements import viewer_for
from .middleware import session_may_proceed


def viewer(request: HttpRequest) -> dict[str, Any]:
    """The signed-in viewer, and whether the session may use the site yet (``shell_ready``: false on the
    two-factor page, where the shell's scripts, alert stream and service worker must not start)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"viewer": viewer_for(user), "shell_ready": session_may_proceed(user)}
