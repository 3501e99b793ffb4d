"""Police pages: the queue, the triage page, workload, hand-off settings and dead letters, outcomes;
and for store staff, their police notifications. Views parse and render; services decide."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from shopwatch.core.api import decode_cursor, encode_cursor
from shopwatch.core.capabilities import Action, can
from shopwatch.core.entitlements import Viewer, viewer_for
from shopwatch.core.errors import ServiceError
from shopwatch.core.forms import add_service_errors
from shopwatch.core.models import Organisation

from .forms import (
    AssignForm,
    AttendanceForm,
    CrimeRecordForm,
    DecisionForm,
    EndpointForm,
    OutcomeForm,
    ReferralForm,
)
from .models import DeliveryStatus, TriageState, VictimReferral
from .selectors import caseload, handoffs
from .selectors import workload as workload_selectors
from .selectors.callbacks import refused_callbacks
from .selectors.cases import series_for_incident
from .selectors.feedback import notifications_for
from .selectors.outcomes import outcome_rates, rates_total
from .selectors.queue import (
    force_officers,
    overdue_count,
    queue_incident,
    queue_page,
    triage_history,
)
from .selectors.store_side import requests_for_police, store_contact_for_police
from .services import care, records, triage
from .services.common import force_incident
from .services.handoff import delivery_replay, endpoint_configure
from .targets import TARGETS

if TYPE_CHECKING:
    from shopwatch.reporting.models import Incident


def _police(request: HttpRequest) -> Viewer:
    viewer = viewer_for(request.user)
    if not viewer.police_force_ids:
        raise Http404("Not found.")
    return viewer


def _offenders(viewer: Viewer, incident: Incident) -> list[dict[str, Any]]:
    """The incident's offenders; a linked person is named only for an officer who may see the person's record
    (the same rule as the incident page and the API), otherwise shown as a known person not shared."""
    from shopwatch.reporting.models import IncidentOffender
    from shopwatch.subjects.selectors import person_queryset

    rows = list(IncidentOffender.objects.filter(incident=incident).order_by("id"))
    ids = [o.person_id for o in rows if o.person_id]
    names = {p.pk: p.display_name for p in person_queryset(viewer).filter(pk__in=ids)} if ids else {}
    return [
        {
            "name": names.get(o.person_id) if o.person_id else None,
            "hidden": bool(o.person_id) and o.person_id not in names,
            "description": o.description,
        }
        for o in rows
    ]


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    viewer = _police(request)
    state = request.GET.get("state") or None
    if state not in (None, *TriageState.values):
        state = None
    mine = request.GET.get("assigned") == "me"
    overdue = request.GET.get("overdue") == "1"
    reference = request.GET.get("reference", "").strip()[:40]
    try:
        after = decode_cursor(request.GET.get("cursor"))
    except Exception:
        after = None
    with transaction.atomic():
        rows, cursor = queue_page(
            viewer=viewer,
            after=after,
            limit=50,
            state=state,
            assigned_to=viewer.user_id if mine else None,
            reference=reference,
            overdue=overdue,
        )
        overdue_total = overdue_count(viewer)
    params = request.GET.copy()
    next_link = None
    if cursor:
        params["cursor"] = encode_cursor(cursor)
        next_link = "?" + params.urlencode()
    return render(
        request,
        "policing/queue.html",
        {
            "rows": rows,
            "next_link": next_link,
            "state": state or "",
            "mine": mine,
            "overdue": overdue,
            "overdue_total": overdue_total,
            "targets": TARGETS,
            "reference": reference,
            "states": TriageState.choices,
            "is_supervisor": can(viewer, Action.SUPERVISE),
            "dead_letters": handoffs.dead_letter_count(viewer),
        },
    )


def _incident_context(request: HttpRequest, viewer: Viewer, pk: int, **forms: Any) -> dict[str, Any]:
    incident = queue_incident(viewer=viewer, incident_id=pk)
    from shopwatch.evidence import selectors as evidence_selectors
    from shopwatch.reporting.models import IncidentVehicle

    from .models import CrimeRecord, Triage

    officers = force_officers(viewer)
    context: dict[str, Any] = {
        "incident": incident,
        "triage": Triage.objects.filter(incident=incident)
        .select_related("assigned_to", "attended_by")
        .first(),
        "history": triage_history(incident),
        "record": CrimeRecord.objects.filter(incident=incident).first(),
        "deliveries": handoffs.deliveries_for_incident(incident),
        "endpoint": handoffs.endpoint_for_force(incident.force_id),
        "offenders": _offenders(viewer, incident),
        "vehicles": list(IncidentVehicle.objects.filter(incident=incident).select_related("vehicle")),
        "evidence": evidence_selectors.evidence_for_incident(viewer=viewer, incident=incident),
        "referrals": list(VictimReferral.objects.filter(incident=incident).order_by("referred_at")),
        "contact": store_contact_for_police(viewer=viewer, incident=incident),
        "requests": requests_for_police(viewer=viewer, incident=incident),
        "in_series": series_for_incident(viewer=viewer, incident=incident),
        "is_supervisor": can(viewer, Action.SUPERVISE, incident),
        "decision_form": DecisionForm(),
        "assign_form": AssignForm(officers=officers),
        "attendance_form": AttendanceForm(
            initial={"attended_at": timezone.localtime().replace(second=0, microsecond=0)}
        ),
        "record_form": CrimeRecordForm(),
        "outcome_form": OutcomeForm(),
        "referral_form": ReferralForm(),
    }
    context.update(forms)
    context["any_errors"] = any(f.errors for k, f in context.items() if k.endswith("_form"))
    return context


@login_required
def incident(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _police(request)
    with transaction.atomic():
        context = _incident_context(request, viewer, pk)
    return render(request, "policing/incident.html", context)


def _act(
    request: HttpRequest, viewer: Viewer, pk: int, form_name: str, form: Any, run: Any, done: str
) -> HttpResponse:
    """Validate a form, run the service, and either go back to the page or show it again with errors."""
    if form.is_valid():
        try:
            with transaction.atomic():
                inc = force_incident(viewer, pk)
                run(inc, form.cleaned_data)
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, done)
            return redirect("policing:incident", pk=pk)
    with transaction.atomic():
        context = _incident_context(request, viewer, pk, **{form_name: form})
    return render(request, "policing/incident.html", context, status=422)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _police(request)
    form = DecisionForm(request.POST)

    def run(inc: Any, data: dict[str, Any]) -> None:
        if data["decision"] == "request_cctv":
            _, token = triage.triage_request_cctv(viewer=viewer, incident=inc, reason=data["reason"])
            link = request.build_absolute_uri(f"/u/{token}/")
            messages.info(
                request, f"Send the store this single-use link for the footage (shown only now): {link}"
            )
            return
        triage.triage_decide(viewer=viewer, incident=inc, reason=data["reason"], decision=data["decision"])

    return _act(request, viewer, pk, "decision_form", form, run, "Decision recorded.")


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _police(request)
    if request.POST.get("take"):
        try:
            with transaction.atomic():
                triage.triage_take(viewer=viewer, incident=force_incident(viewer, pk))
        except ServiceError as exc:
            messages.error(request, " ".join(e.message for e in exc.errors))
        else:
            messages.success(request, "You have taken this incident.")
        return redirect("policing:incident", pk=pk)
    form = AssignForm(request.POST, officers=force_officers(viewer))
    return _act(
        request,
        viewer,
        pk,
        "assign_form",
        form,
        lambda inc, d: triage.triage_assign(viewer=viewer, incident=inc, assignee_id=d["assignee"]),
        "Assigned.",
    )


@login_required
@require_POST
def attend(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _police(request)
    form = AttendanceForm(request.POST)
    return _act(
        request,
        viewer,
        pk,
        "attendance_form",
        form,
        lambda inc, d: triage.triage_record_attendance(
            viewer=viewer, incident=inc, attended_at=d["attended_at"], note=d["note"]
        ),
        "Attendance recorded.",
    )


@login_required
@require_POST
def crime_record(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _police(request)
    form = CrimeRecordForm(request.POST)
    return _act(
        request,
        viewer,
        pk,
        "record_form",
        form,
        lambda inc, d: records.crime_record_manual(
            viewer=viewer, incident=inc, crime_reference=d["crime_reference"], status=d["status"]
        ),
        "Crime record updated; the store has been told.",
    )


@login_required
@require_POST
def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _police(request)
    form = OutcomeForm(request.POST)
    return _act(
        request,
        viewer,
        pk,
        "outcome_form",
        form,
        lambda inc, d: records.outcome_record(
            viewer=viewer,
            incident=inc,
            outcome=d["outcome"],
            cbo_applied=d["cbo_applied"],
            cbo_granted=d["cbo_granted"],
            note=d["note"],
        ),
        "Outcome recorded; the store has been told.",
    )


@login_required
@require_POST
def referral(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _police(request)
    form = ReferralForm(request.POST)
    return _act(
        request,
        viewer,
        pk,
        "referral_form",
        form,
        lambda inc, d: care.victim_referral_create(
            viewer=viewer,
            incident=inc,
            staff_name=d["staff_name"],
            service=d["service"],
            consent=d["consent"],
            contact=d["contact"],
            note=d["note"],
        ),
        "Referral recorded.",
    )


@login_required
def export(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _police(request)
    with transaction.atomic():
        inc, body = handoffs.handoff_export(viewer=viewer, incident_id=pk)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{inc.reference}-handoff.json"'
    return response


@login_required
def workload(request: HttpRequest) -> HttpResponse:
    _police(request)
    return redirect("policing:team")


@login_required
def cases(request: HttpRequest) -> HttpResponse:
    """The officer's own cases: taken, given or accepted, with what to do next."""
    viewer = _police(request)
    finished = request.GET.get("finished") == "1"
    try:
        with transaction.atomic():
            rows = caseload.my_cases(viewer=viewer, finished=finished)
    except ServiceError as exc:
        raise Http404("Not found.") from exc
    return render(
        request,
        "policing/cases.html",
        {"rows": rows, "finished": finished, "overdue": sum(1 for r in rows if r.overdue)},
    )


@login_required
def team(request: HttpRequest) -> HttpResponse:
    """A supervisor's view of the team's work: who holds what, what is overdue, how long the queue waits."""
    viewer = _police(request)
    try:
        with transaction.atomic():
            officers = caseload.team_cases(viewer=viewer)
            loads, bands = workload_selectors.workload(viewer=viewer)
            unassigned = caseload.overdue_unassigned(viewer=viewer)
    except ServiceError as exc:
        raise Http404("Not found.") from exc
    return render(
        request,
        "policing/team.html",
        {
            "officers": officers,
            "bands": bands,
            "loads": loads,
            "overdue_unassigned": unassigned,
            "overdue_held": sum(o.overdue for o in officers),
        },
    )


@login_required
def handoff_settings(request: HttpRequest) -> HttpResponse:
    viewer = _police(request)
    force = Organisation.objects.filter(pk__in=viewer.police_force_ids).order_by("pk").first()
    assert force is not None
    endpoint = handoffs.endpoint_for_force(force.pk)
    form = EndpointForm(request.POST or None, initial={"url": endpoint.url if endpoint else ""})
    is_supervisor = can(viewer, Action.SUPERVISE)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint_configure(
                viewer=viewer, force=force, url=form.cleaned_data["url"], secret=form.cleaned_data["secret"]
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, "Hand-off settings saved.")
            return redirect("policing:handoff-settings")
    return render(
        request,
        "policing/handoff_settings.html",
        {"form": form, "endpoint": endpoint, "force": force, "is_supervisor": is_supervisor},
        status=422 if form.errors else 200,
    )


@login_required
def deliveries(request: HttpRequest) -> HttpResponse:
    viewer = _police(request)
    status = request.GET.get("status", DeliveryStatus.DEAD)
    if status not in (*DeliveryStatus.values, "all"):
        status = DeliveryStatus.DEAD
    rows = handoffs.deliveries(viewer=viewer, status=None if status == "all" else status)
    return render(
        request,
        "policing/deliveries.html",
        {
            "rows": rows,
            "status": status,
            "statuses": DeliveryStatus.choices,
            "refused": refused_callbacks(viewer=viewer),
        },
    )


@login_required
@require_POST
def delivery_replay_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _police(request)
    delivery = handoffs.delivery_get(viewer=viewer, delivery_id=pk)
    try:
        delivery_replay(viewer=viewer, delivery=delivery)
    except ServiceError as exc:
        messages.error(request, " ".join(e.message for e in exc.errors))
    else:
        delivery.refresh_from_db()
        messages.success(
            request,
            f"Hand-off of {delivery.incident.reference} replayed: {delivery.get_status_display().lower()}.",
        )
    return redirect(reverse("policing:deliveries") + "?status=all")


@login_required
def outcomes(request: HttpRequest) -> HttpResponse:
    viewer = _police(request)
    period = request.GET.get("period", "month")
    area = request.GET.get("area", "town")
    date_from = parse_datetime(request.GET.get("from", "") + "T00:00:00") if request.GET.get("from") else None
    date_to = parse_datetime(request.GET.get("to", "") + "T00:00:00") if request.GET.get("to") else None
    if date_from:
        date_from = timezone.make_aware(date_from)
    if date_to:
        date_to = timezone.make_aware(date_to)
    rows = outcome_rates(viewer=viewer, date_from=date_from, date_to=date_to, period=period, area=area)
    return render(
        request,
        "policing/outcomes.html",
        {
            "rows": rows,
            "total": rates_total(rows),
            "period": period,
            "area": area,
            "from": request.GET.get("from", ""),
            "to": request.GET.get("to", ""),
        },
    )


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    from .services.notifications import notification_mark_read

    user_id = int(str(request.user.pk))
    if request.method == "POST":
        with contextlib.suppress(ValueError):
            notification_mark_read(user_id=user_id, notification_id=int(request.POST.get("id", "0")))
        return redirect("policing:notifications")
    return render(request, "policing/notifications.html", {"rows": notifications_for(user_id=user_id)})
