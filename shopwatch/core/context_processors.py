from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .capabilities import Abilities
from .entitlements import viewer_for
from .middleware import session_may_proceed


def viewer(request: HttpRequest) -> dict[str, Any]:
    """The signed-in viewer, and whether the session may use the site yet (``shell_ready``: false on the
    two-factor page, where the shell's scripts, alert stream and service worker must not start), and what
    they may do somewhere (``can.<action>``, asked of the capability table, for menus and buttons)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    seen_as = viewer_for(user)
    return {"viewer": seen_as, "can": Abilities(seen_as), "shell_ready": session_may_proceed(user)}
