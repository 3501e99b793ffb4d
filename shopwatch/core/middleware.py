"""Two-factor sign-in for roles that see the most: police, analysts, partnership managers, admins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .entitlements import viewer_for
from .models import TWO_FACTOR_ROLES

TWO_FACTOR_PATH = "/account/two-factor/"
# The API decides for itself (API keys need no code; a browser session on the API is held to
# `session_may_proceed`, the same rule as the pages), so the middleware never loads a session for it.
_EXEMPT_PREFIXES = (TWO_FACTOR_PATH, "/account/logout/", "/static/", "/healthz", "/api/")


def needs_two_factor(user: Any) -> bool:
    """Whether this user must confirm a code from their authenticator app before using ShopWatch.

    Decided from the request's viewer (active memberships), which the pages work out anyway.
    """
    if getattr(user, "is_superuser", False) or getattr(user, "is_staff", False):
        return True
    return bool(viewer_for(user).roles & TWO_FACTOR_ROLES)


def session_may_proceed(user: Any) -> bool:
    """The one rule for a signed-in browser session, on the pages and on the API alike: it may go on
    when its user needs no second factor or has given a code this session."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    verified = getattr(user, "is_verified", None)
    return bool(verified and verified()) or not needs_two_factor(user)


class TwoFactorRequiredMiddleware:
    """Send a signed-in user who needs two-factor, and has not given a code this session, to the code page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(_EXEMPT_PREFIXES):
            # Decided before touching request.user, so API requests never load a session or a user.
            return self.get_response(request)
        user: Any = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not session_may_proceed(user):
            return redirect(f"{TWO_FACTOR_PATH}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
