"""Self-assessment pages: pick one, answer it on a phone, see the score and next steps, print the
certificate."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import viewer_for
from shopwatch.core.errors import ServiceError
from shopwatch.core.models import AuditAction, Store

from . import selectors, services
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
            "can_take": bool(viewer.reportable_store_ids),
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
