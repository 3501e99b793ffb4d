"""Marking pages: the kits the viewer may see, issuing a kit, logging its use in an incident, registering
marked property, a store's signage, and the code look-up."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer, viewer_for
from shopwatch.core.errors import ServiceError
from shopwatch.core.forms import add_service_errors
from shopwatch.core.models import Store
from shopwatch.reporting.models import Incident

from . import selectors, services
from .forms import DeploymentForm, KitIssueForm, LookupForm, PropertyForm
from .models import Product, SignageDisplay


def _markable_stores(viewer: Viewer) -> QuerySet[Store]:
    """The stores the viewer registers marking for (their own, their retailer's, their partnerships')."""
    return Store.objects.filter(pk__in=viewer.reportable_store_ids).order_by("name", "id")


def incident_section_context(viewer: Viewer, incident: Incident) -> Mapping[str, object]:
    """The marking section of an incident's page: the kit uses logged in it that the viewer may see, and
    (for those who report for its store) the store's kits to log a use of."""
    deployments = (
        incident.marking_deployments.filter(kit__in=selectors.kit_queryset(viewer))
        .select_related("kit")
        .order_by("deployed_at", "id")
    )
    kits = []
    if incident.store_id in viewer.reportable_store_ids:
        kits = list(selectors.kit_queryset(viewer).filter(store_id=incident.store_id).order_by("code", "id"))
    return {"incident": incident, "deployments": list(deployments), "kits": kits}


@login_required
def kits(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    code = request.GET.get("code", "").strip()[:80]
    found = None
    missing = False
    if code:
        try:
            found = selectors.code_lookup(viewer=viewer, code=code)
        except Http404:
            missing = True
    return render(
        request,
        "marking/kits.html",
        {
            "kits": selectors.kit_list(viewer=viewer),
            "signage": selectors.signage_list(viewer=viewer),
            "code": code,
            "found": found,
            "missing": missing,
            "may_mark": bool(viewer.reportable_store_ids),
            "markable_store_ids": viewer.reportable_store_ids,
            "lookup_form": LookupForm(),
        },
    )


@login_required
def lookup(request: HttpRequest) -> HttpResponse:
    """The police look-up: a code read under UV answers with its kit or marked property, the incidents the
    kit was used in and whom to contact. Unknown and not-yours codes answer the same 404 page. Audited."""
    viewer = viewer_for(request.user)
    form = LookupForm(request.GET if "code" in request.GET else None)
    found = None
    status = 200
    if form.is_valid():
        try:
            found = selectors.code_lookup(viewer=viewer, code=form.cleaned_data["code"])
        except Http404:
            status = 404
    return render(request, "marking/lookup.html", {"form": form, "found": found}, status=status)


@login_required
def kit_issue(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    stores = _markable_stores(viewer)
    if not stores.exists():
        raise Http404(NOT_FOUND_MESSAGE)
    form = KitIssueForm(request.POST or None, stores=stores, initial={"issued_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            kit = services.kit_issue(
                viewer=viewer,
                store_id=data["store"].pk,
                product=data["product"],
                kind=data["kind"],
                batch=data["batch"],
                code=data["code"],
                last_code=data["last_code"],
                issued_to=data["issued_to"],
                issued_on=data["issued_on"],
                expires_on=data["expires_on"],
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"Kit {kit.code_label} issued to {kit.store.name}.")
            return redirect("marking:kits")
    return render(request, "marking/kit_issue.html", {"form": form})


@login_required
def deployment_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a kit's use in one of its store's recent incidents, picked by reference."""
    viewer = viewer_for(request.user)
    kit = selectors.kit_get(viewer=viewer, kit_id=pk)
    if kit.store_id not in viewer.reportable_store_ids:
        raise Http404(NOT_FOUND_MESSAGE)
    incidents = selectors.recent_incidents_of_kit_store(viewer=viewer, kit=kit)
    initial: dict[str, object] = {"deployed_at": timezone.localtime().replace(second=0, microsecond=0)}
    wanted = request.GET.get("incident", "")
    if wanted.isdigit():
        initial["incident"] = int(wanted)
    form = DeploymentForm(request.POST or None, incidents=incidents, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.deployment_record(
                viewer=viewer,
                kit_id=kit.pk,
                incident_id=data["incident"].pk,
                deployed_by=data["deployed_by"],
                deployed_at=data["deployed_at"],
                where=data["where"],
                target=data["target"],
                target_detail=data["target_detail"],
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"Use of {kit.code} logged in {data['incident'].reference}.")
            return redirect("marking:kits")
    return render(request, "marking/deployment_new.html", {"form": form, "kit": kit})


@login_required
def property_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    stores = _markable_stores(viewer)
    if not stores.exists():
        raise Http404(NOT_FOUND_MESSAGE)
    form = PropertyForm(request.POST or None, stores=stores)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            prop = services.property_register(
                viewer=viewer,
                store_id=data["store"].pk,
                product=data["product"],
                code=data["code"],
                description=data["description"],
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"Marked property {prop.code} registered.")
            return redirect("marking:property")
    return render(
        request,
        "marking/property.html",
        {"form": form, "marked": selectors.property_list(viewer=viewer, limit=200)},
    )


@login_required
def signage(request: HttpRequest) -> HttpResponse:
    """Each store the viewer manages, and whether it displays marking signage, to switch on or off."""
    viewer = viewer_for(request.user)
    stores = list(_markable_stores(viewer))
    if not stores:
        raise Http404(NOT_FOUND_MESSAGE)
    shown = {s.store_id: s for s in SignageDisplay.objects.filter(store__in=stores)}
    rows = [(store, shown.get(store.pk)) for store in stores]
    return render(request, "marking/signage.html", {"rows": rows, "products": Product.choices})


@login_required
@require_POST
def signage_set(request: HttpRequest, store_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    if store_id not in viewer.reportable_store_ids:
        raise Http404(NOT_FOUND_MESSAGE)
    displayed = request.POST.get("displayed") == "yes"
    try:
        services.signage_set(
            viewer=viewer,
            store_id=store_id,
            product=request.POST.get("product", ""),
            displayed=displayed,
        )
    except ServiceError as exc:
        for e in exc.errors:
            messages.error(request, e.message)
    else:
        messages.success(request, "Signage shown." if displayed else "Signage no longer shown.")
    return redirect("marking:signage")
