from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .entitlements import viewer_for


def viewer(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"viewer": viewer_for(user)}
