"""The store's pages towards the police: the police panel and the answer to a request on the store's incident
page (sections of reporting's page), and the contact details a store shares for victim contact."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from shopwatch.core.capabilities import Action, can
from shopwatch.core.entitlements import Viewer, viewer_for
from shopwatch.core.errors import ServiceError
from shopwatch.core.forms import add_service_errors
from shopwatch.reporting.models import Incident

from .selectors.feedback import police_feedback
from .selectors.store_side import request_for_store, store_contact_to_edit
from .services.store_side import request_answer, store_contact_set


def police_section_context(viewer: Viewer, incident: Incident) -> Mapping[str, object]:
    """What the police said and asked about the incident, as the store may read it."""
    if not incident.sent_to_police:
        return {"feedback": None}
    try:
        feedback = police_feedback(viewer=viewer, incident_id=incident.pk)
    except Http404:
        return {"feedback": None}
    return {
        "feedback": feedback,
        "request": request_for_store(viewer=viewer, incident=incident),
        "may_upload": can(viewer, Action.UPLOAD_EVIDENCE, incident),
        "contact_store_id": incident.store_id
        if can(viewer, Action.GRANT_STORE_ROLE, incident.store)
        else None,
        "incident_id": incident.pk,
    }


def answer_section_context(viewer: Viewer, incident: Incident) -> Mapping[str, object]:
    """The form that tells the police their open request is answered, for those who report for the store."""
    request = request_for_store(viewer=viewer, incident=incident) if incident.sent_to_police else None
    show = request is not None and request.open and can(viewer, Action.UPLOAD_EVIDENCE, incident)
    return {"request": request if show else None, "incident": incident, "form": AnswerForm()}


class AnswerForm(forms.Form):
    note = forms.CharField(
        label="Anything to add",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example which camera, or the times the footage covers.",
    )


@login_required
@require_POST
def request_answer_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            request_answer(viewer=viewer, incident_id=pk, note=form.cleaned_data["note"])
        except ServiceError as exc:
            for e in exc.errors:
                messages.error(request, e.message)
        else:
            messages.success(request, "The police have been told that you answered their request.")
    else:
        messages.error(request, "Anything to add must be at most 1,000 characters.")
    return redirect("reporting:incident-detail", pk)


class StoreContactForm(forms.Form):
    phone = forms.CharField(label="Store phone", required=False, max_length=30)
    contact_name = forms.CharField(
        label="Contact's name",
        required=False,
        max_length=200,
        help_text="A person the police may ask for, for example the store manager.",
    )
    contact_role = forms.CharField(label="Contact's role", required=False, max_length=100)
    contact_phone = forms.CharField(label="Contact's phone", required=False, max_length=30)
    opening_hours = forms.CharField(
        label="Opening hours",
        required=False,
        max_length=300,
        help_text="For example Mon to Sat 7:00 to 22:00, Sun 10:00 to 16:00.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def store_contact(request: HttpRequest, store_id: int) -> HttpResponse:
    """The store's manager (or the retailer's security manager) chooses what police see for victim contact."""
    viewer = viewer_for(request.user)
    store, contact = store_contact_to_edit(viewer=viewer, store_id=store_id)
    initial = {
        f: getattr(contact, f, "")
        for f in ("phone", "contact_name", "contact_role", "contact_phone", "opening_hours")
    }
    form = StoreContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            store_contact_set(viewer=viewer, store=store, **form.cleaned_data)
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"{store.force.name} will see these contact details.")
            back = request.POST.get("incident", "")
            if back.isdigit():
                return redirect("reporting:incident-detail", int(back))
            return redirect("policing:store-contact", store.pk)
    return render(
        request,
        "policing/store_contact.html",
        {"form": form, "store": store, "incident": request.GET.get("incident", "")},
        status=422 if form.errors else 200,
    )
