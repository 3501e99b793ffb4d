"""Self-assessment pages: pick one, answer it on a phone, see the score and next steps, print the
certificate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, can
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, viewer_for
from shopwatch.core.errors import ServiceError
from shopwatch.core.forms import add_service_errors
from shopwatch.core.models import AuditAction, Store

from . import selectors, services
from .forms import AttendanceForm, EnrolForm, ProgrammeForm
from .models import EnrolmentStatus
from .pdf import certificate_pdf


@login_required
def index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    return render(
        request,
        "assessments/index.html",
        {
            "templates": selectors.template_list(viewer=viewer),
            "done": selectors.assessment_list(viewer=viewer, limit=50),
            "can_take": can(viewer, Action.TAKE_UP_PREVENTION),
        },
    )


@login_required
def take(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    qs = selectors.template_get(viewer=viewer, template_id=pk)
    stores = list(Store.objects.filter(pk__in=viewer.reportable_store_ids).order_by("name"))
    errors: dict[str, str] = {}
    answers: dict[str, str] = {}
    if request.method == "POST":
        answers = {q["id"]: request.POST[q["id"]] for q in qs.questions if request.POST.get(q["id"])}
        store_raw = request.POST.get("store", "")
        try:
            done = services.assessment_submit(
                viewer=viewer,
                question_set_id=qs.pk,
                store_id=int(store_raw) if store_raw.isdigit() else 0,
                answers=answers,
            )
        except ServiceError as exc:
            errors = {e.field.removeprefix("answers."): e.message for e in exc.errors}
        else:
            return redirect("assessments:result", pk=done.pk)
    titles = {a["key"]: a["title"] for a in qs.areas}
    questions = [
        {
            **q,
            "area_title": titles.get(q["area"], q["area"]),
            "error": errors.get(q["id"], ""),
            "chosen": answers.get(q["id"], ""),
        }
        for q in qs.questions
    ]
    return render(
        request,
        "assessments/take.html",
        {
            "qs": qs,
            "questions": questions,
            "stores": stores,
            "store_error": errors.get("store", ""),
            "errors": errors,
        },
    )


@login_required
def result(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    done = selectors.assessment_get(viewer=viewer, assessment_id=pk)
    areas = [(a["title"], done.area_scores.get(a["key"], 0)) for a in done.question_set.areas]
    return render(request, "assessments/result.html", {"a": done, "areas": areas})


@login_required
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    done = selectors.assessment_get(viewer=viewer, assessment_id=pk)
    audit_record(
        viewer=viewer,
        action=AuditAction.EXPORT,
        object_type="assessment",
        object_id=done.pk,
        store_id=done.store_id,
        summary="Printed a self-assessment certificate",
    )
    response = HttpResponse(certificate_pdf(done), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{done.certificate_number}.pdf"'
    return response


# --- Programmes ----------------------------------------------------------------------------------------


@login_required
def programmes(request: HttpRequest) -> HttpResponse:
    """Programmes open to the viewer's stores or run by their partnerships (PCC: in its force area)."""
    viewer = viewer_for(request.user)
    return render(
        request,
        "assessments/programmes.html",
        {
            "rows": selectors.programme_list(viewer=viewer),
            "may_create": bool(services.programme_partnerships(viewer)),
        },
    )


@login_required
def programme_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    partnerships = services.programme_partnerships(viewer)
    if not partnerships:
        raise Http404(NOT_FOUND_MESSAGE)
    form = ProgrammeForm(
        request.POST or None,
        partnerships=partnerships,
        funders=services.programme_funders(viewer),
        assessments=[(t.slug, t.title) for t in selectors.template_list(viewer=viewer)],
        initial={"starts_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            programme = services.programme_create(
                viewer=viewer,
                title=data["title"],
                kind=data["kind"],
                funder_id=data["funder"].pk,
                partnership_id=data["partnership"].pk,
                places=data["places"],
                eligibility=data["eligibility"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                funding_note=data["funding_note"],
                question_set_slug=data["question_set_slug"],
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, f"Programme {programme.title} set up.")
            return redirect("assessments:programme", pk=programme.pk)
    return render(request, "assessments/programme_new.html", {"form": form})


@login_required
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A programme: its enrolments, enrolling a business, and (for its managers) attendance."""
    viewer = viewer_for(request.user)
    figures = selectors.programme_get(viewer=viewer, programme_id=pk)
    programme = figures.programme
    runs = selectors.programme_runs(viewer=viewer, programme=programme)
    stores = selectors.enrollable_stores(viewer=viewer, programme=programme)
    enrol_form = EnrolForm(request.POST if request.POST.get("action") == "enrol" else None, stores=stores)
    if request.method == "POST" and request.POST.get("action") == "enrol" and enrol_form.is_valid():
        store = enrol_form.cleaned_data["store"]
        try:
            services.enrolment_create(viewer=viewer, programme_id=programme.pk, store_id=store.pk)
        except ServiceError as exc:
            add_service_errors(enrol_form, exc.errors)
        else:
            messages.success(request, f"{store.name} enrolled.")
            return redirect("assessments:programme", pk=programme.pk)
    return render(
        request,
        "assessments/programme.html",
        {
            "f": figures,
            "p": programme,
            "runs": runs,
            "enrolments": selectors.enrolment_list(viewer=viewer, programme=programme),
            "enrol_form": enrol_form if stores or enrol_form.errors else None,
            "places_left": max(programme.places - figures.enrolled, 0),
        },
    )


@login_required
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an enrolment's sessions attended and completion (the programme's managers)."""
    viewer = viewer_for(request.user)
    enrolment = selectors.enrolment_get(viewer=viewer, enrolment_id=pk)
    form = AttendanceForm(
        request.POST or None,
        initial={
            "sessions": enrolment.sessions_attended,
            "completed": enrolment.status == EnrolmentStatus.COMPLETED,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.enrolment_attendance(
                viewer=viewer,
                enrolment_id=enrolment.pk,
                sessions=form.cleaned_data["sessions"],
                completed=form.cleaned_data["completed"],
            )
        except ServiceError as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, "Attendance recorded.")
            return redirect("assessments:programme", pk=enrolment.programme_id)
    return render(request, "assessments/attendance.html", {"form": form, "e": enrolment})
