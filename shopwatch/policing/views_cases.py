"""Pages for series (linking) and case files, and the witness's statement-signing page."""

from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import dateformat, timezone
from django.views.decorators.http import require_POST

from shopwatch.core.entitlements import viewer_for
from shopwatch.core.errors import FieldError, ServiceError, ValidationFailed
from shopwatch.core.forms import add_service_errors
from shopwatch.core.models import STORE_ROLES, User
from shopwatch.core.pickers import PickerField, PickError, pick_error_to_form
from shopwatch.reporting.pickers import incident_resolve, person_resolve

from .forms import SeriesLinkForm, SignStatementForm
from .models import CaseFile
from .selectors import cases
from .services import casefiles, linking
from .services.common import force_incident
from .views import _police

# --- Series and suggestions ------------------------------------------------------------------------------


def _casefile_field(service_field: str) -> str:
    """A case file is opened on an incident, a series or a person: each has its own field."""
    return service_field


@login_required
def series_list(request: HttpRequest) -> HttpResponse:
    viewer = _police(request)
    rows, _ = cases.series_list(viewer=viewer)
    return render(request, "policing/series_list.html", {"rows": rows})


@login_required
def series_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _police(request)
    series = cases.series_get(viewer=viewer, series_id=pk)
    members = cases.series_members(viewer=viewer, series=series)
    return render(request, "policing/series_detail.html", {"series": series, "members": members})


def _ids(values: list[str]) -> list[int]:
    out = []
    for v in values:
        with contextlib.suppress(ValueError):
            out.append(int(v))
    return list(dict.fromkeys(out))


def _incident_label(i: Any) -> str:
    when = dateformat.format(timezone.localtime(i.occurred_at), "j M Y, H:i")
    return f"{i.reference} · {i.get_type_display()} · {when} · {i.store.name}"


@login_required
def series_link(request: HttpRequest) -> HttpResponse:
    """An investigator chooses incidents of their force's queue (searching by reference) and links them into
    a new series or one the force already has, saying why; then sees the series."""
    viewer = _police(request)
    data = request.POST if request.method == "POST" else request.GET
    chosen_ids = _ids(data.getlist("incidents") or data.getlist("incident"))
    query = data.get("q", "").strip()[:40]
    chosen = cases.linkable_incidents(viewer=viewer, ids=chosen_ids, limit=linking.MAX_LINK)
    found = cases.linkable_incidents(viewer=viewer, reference=query, limit=20)
    candidates = chosen + [i for i in found if i.pk not in {c.pk for c in chosen}]
    series_rows, _ = cases.series_list(viewer=viewer)
    kwargs: dict[str, Any] = {
        "candidates": [(i.pk, _incident_label(i)) for i in candidates],
        "series": [(s.pk, f"{s.name} (series {s.pk})") for s in series_rows],
    }
    linking_now = request.method == "POST" and request.POST.get("action") == "link"
    if linking_now:
        form = SeriesLinkForm(request.POST, **kwargs)
    else:
        initial: dict[str, Any] = {"incidents": [i.pk for i in chosen], "q": query}
        if data.get("series"):
            initial.update(target="existing", series=data.get("series"))
        for key in ("target", "name", "basis", "method", "reason"):
            if request.method == "POST" and key in data:
                initial[key] = data.get(key)
        form = SeriesLinkForm(initial=initial, **kwargs)
    if linking_now and form.is_valid():
        d = form.cleaned_data
        picked = [i for i in candidates if i.pk in set(d["incidents"])]
        try:
            if d["target"] == "existing":
                series = cases.series_get(viewer=viewer, series_id=d["series"])
                added = linking.series_add(viewer=viewer, series=series, incidents=picked, reason=d["reason"])
                done = f"{len(added)} incident{'s' if len(added) != 1 else ''} added to {series.name}."
            else:
                series = linking.series_create(
                    viewer=viewer,
                    name=d["name"],
                    basis=d["basis"],
                    method=d["method"],
                    incidents=picked,
                    reason=d["reason"],
                )
                done = f"Series {series.name} made with {len(picked)} incidents."
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, done)
            return redirect("policing:series", pk=series.pk)
    return render(
        request,
        "policing/series_link.html",
        {"form": form, "query": query, "found": found, "has_series": bool(series_rows)},
        status=422 if form.is_bound and form.errors else 200,
    )


@login_required
def links(request: HttpRequest, pk: int) -> HttpResponse:
    """Suggested links for one incident: shared person, vehicle or store within the time window."""
    viewer = _police(request)
    try:
        window = int(request.GET.get("days", linking.DEFAULT_WINDOW_DAYS))
    except ValueError:
        window = linking.DEFAULT_WINDOW_DAYS
    error = ""
    with transaction.atomic():
        incident = force_incident(viewer, pk)
        try:
            suggestions = linking.link_suggest(viewer=viewer, incident=incident, window_days=window)
        except ServiceError as exc:
            suggestions, error = [], " ".join(e.message for e in exc.errors)
    return render(
        request,
        "policing/links.html",
        {"incident": incident, "suggestions": suggestions, "days": window, "error": error},
        status=422 if error else 200,
    )


@login_required
@require_POST
def suggestion_decide(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _police(request)
    suggestion = cases.suggestion_get(viewer=viewer, suggestion_id=pk)
    back = request.POST.get("incident") or suggestion.incident_a_id
    try:
        linking.suggestion_decide(
            viewer=viewer, suggestion=suggestion, accept=request.POST.get("accept") == "1"
        )
    except ServiceError as exc:
        messages.error(request, " ".join(e.message for e in exc.errors))
    else:
        messages.success(
            request,
            "Link accepted: both incidents are in the series."
            if suggestion.series_id
            else "Suggestion rejected.",
        )
    return redirect("policing:links", pk=int(back))


# --- Case files ------------------------------------------------------------------------------------------


class CaseFileForm(forms.Form):
    title = forms.CharField(
        label="Title", max_length=200, error_messages={"required": "Give the case file a title."}
    )
    kind = forms.ChoiceField(
        label="Covers",
        choices=CaseFile.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the case file covers."},
    )
    # One of these, as "Covers" says: picked by reference, name or words, never by an internal number.
    incident = PickerField(
        label="Incident (for one incident)",
        required=False,
        url=reverse_lazy("reporting:pick-incidents"),
        help_text="Its reference (like SW-7KQ3-M9X2, any case, dashes optional), crime reference, store "
        "or date: "
        "type and choose it.",
    )
    series = forms.TypedChoiceField(
        label="Series (for a series)",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "Choose one of your force's series."},
    )
    person = PickerField(
        label="Offender (for a prolific offender)",
        required=False,
        url=reverse_lazy("reporting:pick-people"),
        help_text="Type part of their name and choose them.",
    )

    def __init__(self, *args: Any, series: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["series"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose a series"), *series]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        wanted = {"incident": "incident", "series": "series", "offender": "person"}.get(
            data.get("kind") or ""
        )
        if wanted and not data.get(wanted) and wanted not in self.errors:
            self.add_error(
                wanted,
                {
                    "incident": "Choose the incident.",
                    "series": "Choose the series.",
                    "person": "Choose the offender.",
                }[wanted],
            )
        return data

    summary = forms.CharField(
        label="MG5 case summary", required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 6})
    )
    offending_history = forms.CharField(
        label="Offending history (Criminal Behaviour Order pack)",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    exclusion_zone = forms.CharField(
        label="Proposed exclusion zone",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StatementForm(forms.Form):
    witness = forms.TypedChoiceField(
        label="Witness (a colleague at the store)",
        coerce=int,
        error_messages={"required": "Choose the witness."},
    )
    occupation = forms.CharField(label="Their job", max_length=100, required=False)
    text = forms.CharField(
        label="Statement",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Write the statement."},
    )


@login_required
def casefile_list(request: HttpRequest) -> HttpResponse:
    viewer = _police(request)
    series_rows, _ = cases.series_list(viewer=viewer)
    form = CaseFileForm(request.POST or None, series=[(s.pk, s.name) for s in series_rows])
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        kind = d["kind"]
        try:
            incident = series = person = None
            if kind == "incident":
                picked = incident_resolve(viewer=viewer, pick=d["incident"])
                incident = cases.casefile_target_incident(viewer=viewer, incident_id=picked.pk)
                if incident is None:
                    raise ValidationFailed([FieldError("incident", "Not an incident of your force.")])
            if kind == "series":
                series = cases.casefile_target_series(viewer=viewer, series_id=d["series"])
            if kind == "offender":
                picked_person = person_resolve(viewer=viewer, pick=d["person"])
                person = cases.casefile_target_person(viewer=viewer, person_id=picked_person.pk)
                if person is None:
                    raise ValidationFailed([FieldError("person", "No such person you may see.")])
            case = casefiles.casefile_create(
                viewer=viewer,
                kind=kind,
                title=d["title"],
                incident=incident,
                series=series,
                person=person,
                summary=d["summary"],
                offending_history=d["offending_history"],
                exclusion_zone=d["exclusion_zone"],
            )
        except PickError as exc:
            pick_error_to_form(form, "incident" if kind == "incident" else "person", exc)
        except ServiceError as exc:
            add_service_errors(form, exc.errors, field_for=_casefile_field)
        else:
            return redirect("policing:casefile", pk=case.pk)
    rows, _ = cases.casefile_list(viewer=viewer)
    return render(
        request,
        "policing/casefile_list.html",
        {"rows": rows, "form": form},
        status=422 if form.errors else 200,
    )


def _case(viewer: Any, pk: int) -> CaseFile:
    return cases.casefile_get(viewer=viewer, casefile_id=pk)


def _witness_choices(incidents: list[Any]) -> list[tuple[int, str]]:
    users = User.objects.filter(
        is_active=True,
        memberships__active=True,
        memberships__role__in=STORE_ROLES,
        memberships__store_id__in={i.store_id for i in incidents},
    ).distinct()
    return [(u.pk, u.full_name or u.email) for u in users.order_by("full_name")]


@login_required
def casefile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _police(request)
    case = _case(viewer, pk)
    incidents = cases.casefile_incidents(viewer=viewer, case=case)
    form = StatementForm(request.POST or None)
    witness_field = form.fields["witness"]
    assert isinstance(witness_field, forms.ChoiceField)
    witness_field.choices = [("", "Choose the witness"), *_witness_choices(incidents)]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        witness_store = set(
            User.objects.filter(pk=d["witness"]).values_list("memberships__store_id", flat=True)
        )
        incident = next((i for i in incidents if i.store_id in witness_store), None)
        try:
            if incident is None:
                raise ValidationFailed([FieldError("witness", "Choose a colleague at a store in this case.")])
            casefiles.statement_create(
                viewer=viewer,
                case_file=case,
                incident=incident,
                witness_id=d["witness"],
                text=d["text"],
                occupation=d["occupation"],
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(
                request, "Statement written. The witness has been asked to sign it on their phone."
            )
            return redirect("policing:casefile", pk=case.pk)
    statements = cases.casefile_statements(case)
    return render(
        request,
        "policing/casefile_detail.html",
        {
            "case": case,
            "incidents": incidents,
            "statements": statements,
            "form": form,
            "impacts": case.impact_statements.select_related("author", "retailer"),
        },
        status=422 if form.errors else 200,
    )


@login_required
def casefile_export(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _police(request)
    case = _case(viewer, pk)
    data = casefiles.casefile_export(viewer=viewer, case_file=case)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="case-file-{case.pk}.zip"'
    return response


# --- The witness signs on their own phone ---------------------------------------------------------------


@login_required
def statement_sign(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    statement = casefiles.statement_for_witness(viewer=viewer, statement_id=pk)
    form = SignStatementForm(request.POST or None)
    if request.method == "POST" and statement.signed_at is None and form.is_valid():
        try:
            casefiles.statement_sign(
                viewer=viewer,
                statement=statement,
                signed_name=form.cleaned_data["signed_name"],
                declaration=form.cleaned_data["declaration"],
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, "Thank you. Your statement is signed.")
            return redirect("policing:statement-sign", pk=statement.pk)
    return render(
        request,
        "policing/statement_sign.html",
        {"statement": statement, "form": form, "declaration": casefiles.declaration_for(statement)},
        status=422 if form.errors else 200,
    )


class ImpactForm(forms.Form):
    position = forms.CharField(
        label="Your position at the business",
        max_length=100,
        error_messages={"required": "Enter your position."},
    )
    text = forms.CharField(
        label="How the crime has affected the business",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="For example: costs, lost trade, staff leaving or afraid, security measures.",
        error_messages={"required": "Write the statement."},
    )


@login_required
def impact_statement(request: HttpRequest, pk: int) -> HttpResponse:
    """A retailer's manager gives the Impact Statement for Business for a case file."""
    viewer = viewer_for(request.user)
    case = casefiles.impact_case_for_retailer(viewer=viewer, case_file_id=pk)
    form = ImpactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            casefiles.impact_statement_add(
                viewer=viewer,
                case_file=case,
                text=form.cleaned_data["text"],
                position=form.cleaned_data["position"],
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(
                request, "Thank you. Your Impact Statement for Business has been given to the police."
            )
            return redirect("policing:impact", pk=case.pk)
    given = case.impact_statements.filter(author_id=viewer.user_id)
    return render(
        request,
        "policing/impact.html",
        {"case": case, "form": form, "given": given},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def impact_request(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _police(request)
    case = _case(viewer, pk)
    told = casefiles.impact_statement_request(viewer=viewer, case_file=case)
    messages.success(request, f"Asked the retailer: {told} store colleague{'s' if told != 1 else ''} told.")
    return redirect("policing:casefile", pk=case.pk)
