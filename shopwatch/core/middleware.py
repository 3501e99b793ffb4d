"""Two-factor sign-in for roles that see the most: police, analysts, partnership managers, admins."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .models import TWO_FACTOR_ROLES, Membership

_EXEMPT_PREFIXES = ("/account/two-factor", "/account/logout", "/static/", "/healthz", "/api/")


def needs_two_factor(user: object) -> bool:
    return Membership.objects.filter(user_id=user.pk, active=True, role__in=TWO_FACTOR_ROLES).exists() or bool(  # type: ignore[attr-defined]
        getattr(user, "is_superuser", False)
    )


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_EXEMPT_PREFIXES)
            and not user.is_verified()  # type: ignore[union-attr]
            and needs_two_factor(user)
        ):
            return redirect(f"/account/two-factor/?next={request.get_full_path()}")
        return self.get_response(request)
