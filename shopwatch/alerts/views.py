"""Alert pages: recent alerts with a form to raise one, one alert with who has seen it, preferences."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shopwatch.core.entitlements import viewer_for
from shopwatch.core.errors import ServiceError
from shopwatch.core.forms import add_service_errors
from shopwatch.core.selectors import store_list

from . import push, selectors, services
from .forms import PreferenceForm, RaiseAlertForm


def _alertable_stores(request: HttpRequest) -> list[tuple[int, str]]:
    viewer = viewer_for(request.user)
    return [(s.pk, f"{s.name}, {s.town}") for s in store_list(viewer=viewer) if services.may_alert(viewer, s)]


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    stores = _alertable_stores(request)
    form = RaiseAlertForm(request.POST or None, stores=stores) if stores else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.alert_raise(
                viewer=viewer,
                store_id=form.cleaned_data["store"],
                message=form.cleaned_data["message"],
                kind=form.cleaned_data["kind"],
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, "Alert sent to members of the area.")
            return redirect("alerts:list")
    return render(
        request, "alerts/alert_list.html", {"alerts": selectors.alert_list(viewer=viewer), "form": form}
    )


@login_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    alert = selectors.alert_detail(viewer=viewer, alert_id=pk)
    if request.method == "POST":
        with transaction.atomic():
            services.alert_acknowledge(viewer=viewer, alert=alert)
        messages.success(request, "Acknowledged.")
        return redirect("alerts:detail", pk=pk)
    receipts = list(alert.receipts.all())
    mine = next((r for r in receipts if r.user_id == viewer.user_id), None)
    return render(request, "alerts/alert_detail.html", {"alert": alert, "receipts": receipts, "mine": mine})


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    assert request.user.pk is not None  # login_required: a signed-in user
    pref = selectors.preference_for(request.user.pk)
    form = PreferenceForm(
        request.POST or None,
        initial={
            "mode": pref.mode,
            "radius_km": pref.radius_km,
            "by_email": pref.by_email,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.preference_set(viewer=viewer, by_push=pref.by_push, **form.cleaned_data)
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, "Your alert choices are saved.")
            return redirect("alerts:preferences")
    return render(request, "alerts/preferences.html", {"form": form, "vapid_key": push.public_key()})


@login_required
@require_POST
def push_subscribe(request: HttpRequest) -> HttpResponse:
    """Called by the page's script with the browser's PushSubscription (JSON, CSRF-protected)."""
    try:
        data = json.loads(request.body)
        keys = data.get("keys") or {}
        services.push_subscribe(
            viewer=viewer_for(request.user),
            endpoint=str(data.get("endpoint", "")),
            p256dh=str(keys.get("p256dh", "")),
            auth=str(keys.get("auth", "")),
        )
    except (ValueError, AttributeError):
        return JsonResponse(
            {"title": "Invalid subscription", "errors": [{"field": "body", "message": "Send JSON."}]},
            status=400,
        )
    except ServiceError as exc:
        return JsonResponse({"title": exc.title, "errors": [e.as_dict() for e in exc.errors]}, status=422)
    return JsonResponse({"status": "subscribed"}, status=201)


@login_required
@require_POST
def push_unsubscribe(request: HttpRequest) -> HttpResponse:
    """Called by the page's script when the member turns notifications off on this device."""
    try:
        endpoint = str(json.loads(request.body).get("endpoint", ""))
    except (ValueError, AttributeError):
        return JsonResponse(
            {"title": "Invalid subscription", "errors": [{"field": "body", "message": "Send JSON."}]},
            status=400,
        )
    services.push_unsubscribe(viewer=viewer_for(request.user), endpoint=endpoint)
    return JsonResponse({"status": "unsubscribed"})
