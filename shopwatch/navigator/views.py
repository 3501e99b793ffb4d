"""Navigator pages: the caseload, one case with its casework, recording consent, the organisation's
retention setting and a person's subject access answer."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone

from shopwatch.core.capabilities import Action, can
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer, get_visible, viewer_for
from shopwatch.core.errors import ServiceError
from shopwatch.core.forms import add_service_errors
from shopwatch.core.models import Organisation, OrganisationKind
from shopwatch.intelligence.selectors import subject_access_archive
from shopwatch.reporting.selectors import incidents_naming_person
from shopwatch.subjects.models import Person

from . import selectors, services
from .models import Consent, ContactKind, NeedArea, ReferralOutcome


@login_required
def caseload(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    cases, _ = selectors.case_list(viewer=viewer, limit=200)
    return render(
        request,
        "navigator/caseload.html",
        {"cases": cases, "navigates": bool(selectors.navigator_org_ids(viewer))},
    )


class RetentionForm(forms.Form):
    months = forms.IntegerField(
        label="Delete closed cases this many months after closure",
        min_value=services.RETENTION_MONTHS_MIN,
        max_value=services.RETENTION_MONTHS_MAX,
        help_text=(
            f"Between {services.RETENTION_MONTHS_MIN} and {services.RETENTION_MONTHS_MAX}. A daily job "
            "deletes each closed case once this time has passed, and records that it did."
        ),
    )


@login_required
def retention(request: HttpRequest) -> HttpResponse:
    """The navigator organisation's retention setting: shown and changed by its navigators."""
    viewer = viewer_for(request.user)
    orgs = sorted(selectors.navigator_org_ids(viewer))
    if not orgs:
        raise Http404(NOT_FOUND_MESSAGE)
    org = Organisation.objects.get(pk=orgs[0])
    conf = selectors.settings_for(org.pk)
    form = RetentionForm(request.POST or None, initial={"months": conf.delete_closed_after_months})
    if request.method == "POST" and form.is_valid():
        try:
            services.retention_set(viewer=viewer, organisation_id=org.pk, months=form.cleaned_data["months"])
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, "Retention saved.")
            return redirect("navigator:retention")
    return render(
        request,
        "navigator/retention.html",
        {
            "org": org,
            "conf": conf,
            "form": form,
            "due": len(services.retention_due(organisation_id=org.pk)),
        },
    )


@login_required
def subject_access(request: HttpRequest, pk: int) -> HttpResponse:
    """The organisation's subject access answer for the person of one of its cases (a ZIP)."""
    viewer = viewer_for(request.user)
    case = selectors.case_get(viewer=viewer, case_id=pk, audit=False)
    try:
        archive = subject_access_archive(viewer=viewer, person=case.person)
    except ServiceError as exc:
        raise Http404(NOT_FOUND_MESSAGE) from exc
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="subject-access-navigator-{case.pk}.zip"'
    return response


def _day(raw: str | None) -> dt.date:
    return dt.date.fromisoformat(raw) if raw else timezone.localdate()


def _act(viewer: Viewer, pk: int, data: QueryDict) -> str:
    """One casework form's write, by the form's ``action``; answers what to tell the navigator."""
    action = data.get("action", "")
    if action == "consent":
        consent = data.get("consent", "")
        services.case_consent_record(viewer=viewer, case_id=pk, consent=consent, on=_day(data.get("on")))
        return f"Consent recorded: {consent}."
    if action == "need":
        services.need_add(viewer=viewer, case_id=pk, area=data.get("area", ""), detail=data.get("detail", ""))
        return "Need recorded."
    if action == "contact":
        services.contact_add(
            viewer=viewer,
            case_id=pk,
            kind=data.get("kind", ""),
            on=_day(data.get("on")),
            note=data.get("note", ""),
        )
        return "Contact recorded."
    if action == "onward":
        services.onward_referral_add(
            viewer=viewer,
            case_id=pk,
            service=data.get("service", ""),
            area=data.get("area", ""),
            on=_day(data.get("on")),
        )
        return "Onward referral recorded."
    if action == "outcome":
        services.onward_referral_outcome(
            viewer=viewer, referral_id=int(data.get("referral", "")), outcome=data.get("outcome", "")
        )
        return "Outcome recorded."
    if action == "goal":
        services.goal_add(
            viewer=viewer, case_id=pk, text=data.get("text", ""), progress=int(data.get("progress") or 0)
        )
        return "Goal set."
    if action == "share":
        share = data.get("share") == "yes"
        services.case_share_with_police(viewer=viewer, case_id=pk, share=share)
        return "Police now see that this person is engaged." if share else "No longer shared with police."
    if action == "close":
        services.case_close(viewer=viewer, case_id=pk, reason=data.get("reason", ""), on=_day(data.get("on")))
        return "Case closed."
    raise ValueError(action)


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    if request.method == "POST":
        try:
            done = _act(viewer, pk, request.POST)
        except ValueError:
            messages.error(request, "Give dates as YYYY-MM-DD and progress as a number from 0 to 100.")
        except ServiceError as exc:
            for e in exc.errors:
                messages.error(request, f"{e.field}: {e.message}")
        else:
            messages.success(request, done)
        return redirect("navigator:case", pk=pk)
    detail = selectors.case_detail(viewer=viewer, case_id=pk)
    offending = [selectors.before_after(detail.case, months=m) for m in (6, 12)]
    return render(
        request,
        "navigator/case.html",
        {
            "d": detail,
            "case": detail.case,
            "consented": selectors.details_visible(detail.case),
            "offending": [o for o in offending if o is not None],
            "consent_choices": [c for c in Consent if c != Consent.PENDING],
            "need_areas": list(NeedArea),
            "contact_kinds": list(ContactKind),
            "outcomes": list(ReferralOutcome),
            "today": timezone.localdate(),
        },
    )


@login_required
def outcomes(request: HttpRequest) -> HttpResponse:
    """The PCC's before-and-after chart: incidents of engaged people before and since engagement, in
    aggregate, counts under 5 suppressed (shown as such, never drawn)."""
    viewer = viewer_for(request.user)
    rows = [selectors.pcc_outcomes(viewer=viewer, months=m) for m in (6, 12)]
    top = max([v for o in rows for v in (o.before, o.after) if v is not None] or [1])
    bars = []
    for i, o in enumerate(rows):
        for j, (label, value) in enumerate((("Before", o.before), ("Since", o.after))):
            height = round(160 * value / top) if value is not None else 0
            bars.append(
                {
                    "x": 40 + i * 200 + j * 80,
                    "y": 190 - height,
                    "height": height,
                    "label": f"{label}, {o.months} months",
                    "value": "fewer than 5" if value is None else value,
                    "suppressed": value is None,
                }
            )
    return render(request, "navigator/outcomes.html", {"rows": rows, "bars": bars})


class PersonReferralForm(forms.Form):
    organisation = forms.TypedChoiceField(label="Diversion programme", coerce=int, choices=())
    reason = forms.CharField(
        label="Reason for the referral",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What makes the person suitable: their offending, and what seems to drive it.",
    )
    incidents = forms.TypedMultipleChoiceField(
        label="Incidents that prompted it",
        coerce=int,
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


@login_required
def refer_person(request: HttpRequest, person_id: int) -> HttpResponse:
    """Refer a person one sees to a diversion programme serving one's force area (police, or the managers
    of the partnership keeping the person); the same 404 for everyone else."""
    viewer = viewer_for(request.user)
    person = get_visible(Person.objects.select_related("partnership"), viewer, pk=person_id)
    if not can(viewer, Action.REFER_FOR_DIVERSION, person):
        raise Http404(NOT_FOUND_MESSAGE)
    orgs = selectors.navigator_orgs_serving(selectors.referrer_force_id(viewer, person))
    incidents = incidents_naming_person(viewer=viewer, person_id=person.pk)
    form = PersonReferralForm(request.POST or None)
    form.fields["organisation"].choices = [(o.pk, o.name) for o in orgs]  # type: ignore[attr-defined]
    form.fields["incidents"].choices = [  # type: ignore[attr-defined]
        (i.pk, f"{i.reference} · {i.get_type_display()} · {i.store.name} · {i.occurred_at:%d %b %Y}")
        for i in incidents
    ]
    if request.method == "POST" and form.is_valid():
        try:
            services.case_refer_from_person(
                viewer=viewer,
                person_id=person.pk,
                organisation_id=form.cleaned_data["organisation"],
                reason=form.cleaned_data["reason"],
                incident_ids=form.cleaned_data["incidents"],
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors, field_for=lambda f: None if f == "person" else f)
        else:
            messages.success(request, f"{person.display_name} was referred. The programme will contact them.")
            return redirect("subjects:person-detail", pk=person.pk)
    return render(request, "navigator/refer_person.html", {"person": person, "form": form, "orgs": orgs})


class OutreachForm(forms.Form):
    given_name = forms.CharField(label="Given name", max_length=100)
    family_name = forms.CharField(label="Family name", max_length=100)
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    force = forms.TypedChoiceField(label="Police force area", coerce=int, choices=())
    reason = forms.CharField(
        label="Reason for the referral",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Where you met and what the person asked for help with.",
    )


@login_required
def outreach(request: HttpRequest) -> HttpResponse:
    """A navigator records a person met through their own outreach, with the referral."""
    viewer = viewer_for(request.user)
    orgs = sorted(selectors.navigator_org_ids(viewer))
    if not orgs:
        raise Http404(NOT_FOUND_MESSAGE)
    org = Organisation.objects.get(pk=orgs[0])
    forces = Organisation.objects.filter(kind=OrganisationKind.POLICE_FORCE).order_by("name")
    form = OutreachForm(request.POST or None, initial={"force": org.force_id})
    form.fields["force"].choices = [(f.pk, f.name) for f in forces]  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_refer_outreach(
                viewer=viewer,
                organisation_id=org.pk,
                force_id=data["force"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                date_of_birth=data["date_of_birth"],
                reason=data["reason"],
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, "Referral recorded. Record the person's consent next.")
            return redirect("navigator:case", pk=case.pk)
    return render(request, "navigator/outreach.html", {"org": org, "form": form})
