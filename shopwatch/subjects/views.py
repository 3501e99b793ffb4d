"""People pages: the persons a user may see, one person, and a CSV export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shopwatch.core.csvexport import csv_writer
from shopwatch.core.entitlements import viewer_for

from . import selectors
from .pages import person_detail_sections

PAGE = 50


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    q = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    try:
        after = int(request.GET.get("after", "")) if request.GET.get("after") else None
    except ValueError:
        after = None
    with transaction.atomic():
        rows = selectors.person_list(viewer=viewer, q=q, after_id=after, limit=PAGE + 1)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return render(
        request,
        "subjects/person_list.html",
        {"persons": rows, "q": q, "next_after": rows[-1].pk if more and rows else None},
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    with transaction.atomic():
        person = selectors.person_detail(viewer=viewer, person_id=pk)
        sections = person_detail_sections.build(viewer, person)
    return render(request, "subjects/person_detail.html", {"person": person, "sections": sections})


@login_required
def person_export(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    q = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    with transaction.atomic():
        rows = selectors.person_export_rows(viewer=viewer, q=q)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="shopwatch-persons.csv"'
    writer = csv_writer(response)
    writer.writerow(
        [
            "id",
            "status",
            "given_name",
            "family_name",
            "aliases",
            "date_of_birth",
            "age_min",
            "age_max",
            "description",
            "partnership",
            "distribution",
            "last_incident_at",
        ]
    )
    for p in rows:
        writer.writerow(
            [
                p.pk,
                p.status,
                p.given_name,
                p.family_name,
                "; ".join(a.name for a in p.aliases.all()),
                p.date_of_birth or "",
                p.age_min or "",
                p.age_max or "",
                p.description,
                p.partnership.slug if p.partnership else "",
                p.distribution,
                p.last_incident_at.isoformat() if p.last_incident_at else "",
            ]
        )
    return response
