from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shopwatch.core.entitlements import viewer_for

from . import selectors


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    rows, _ = selectors.incident_page(viewer=viewer, filters=selectors.IncidentFilters(), after=None, limit=50)
    return render(request, "reporting/incident_list.html", {"incidents": rows})


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_detail(viewer=viewer_for(request.user), incident_id=pk)
    return render(request, "reporting/incident_detail.html", {"incident": incident})
