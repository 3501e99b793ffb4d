from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from .forms import SignInForm


def healthz(request: HttpRequest) -> HttpResponse:
    """200 with a JSON body once the app and its database answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("reporting:incident-list")


class SignInView(auth_views.LoginView):
    """Sign in with email and password; a remembered device keeps the 90-day session."""

    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        if not form.cleaned_data.get("remember"):
            # Ends when the browser closes.
            self.request.session.set_expiry(0)
        return response
