"""Marking pages: the kits the viewer may see, and the code look-up."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from shopwatch.core.entitlements import viewer_for

from . import selectors


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
        },
    )
