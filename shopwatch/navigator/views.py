"""Navigator pages: the caseload, one case with its casework, recording consent."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from shopwatch.core.entitlements import viewer_for
from shopwatch.core.errors import ServiceError

from . import selectors, services
from .models import Consent


@login_required
def caseload(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    cases, _ = selectors.case_list(viewer=viewer, limit=200)
    return render(request, "navigator/caseload.html", {"cases": cases})


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    if request.method == "POST":
        consent = request.POST.get("consent", "")
        try:
            on = (
                dt.date.fromisoformat(request.POST.get("on", ""))
                if request.POST.get("on")
                else timezone.localdate()
            )
            services.case_consent_record(viewer=viewer, case_id=pk, consent=consent, on=on)
        except ValueError:
            messages.error(request, "Give the date as YYYY-MM-DD.")
        except ServiceError as exc:
            for e in exc.errors:
                messages.error(request, e.message)
        else:
            messages.success(request, f"Consent recorded: {consent}.")
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
            "today": timezone.localdate(),
        },
    )
