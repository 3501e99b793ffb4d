"""Face search pages: pick a still, review candidates side by side, decide; the processing record."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from PIL import Image

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, can
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, viewer_for
from shopwatch.core.errors import FieldError, ServiceError, ValidationFailed
from shopwatch.core.models import AuditAction, Organisation
from shopwatch.core.pickers import PickError, pick_error_to_form
from shopwatch.evidence.models import EvidencePerson
from shopwatch.evidence.selectors import evidence_queryset
from shopwatch.reporting.pickers import person_resolve

from . import engine, selectors, services, video
from .forms import DecisionForm, SearchForm, SettingsForm, VulnerableForm, VulnerablePersonForm
from .models import FaceCandidate, FaceSettings, SearchStatus
from .rules import may_search, repeat_incidents

FACE_SIDE = 240
RECENT_STILLS = 30


FIELD_OF = {"outcome": "choice", "candidate": "choice"}


def _errors_to_form(form: Any, exc: ServiceError) -> None:
    for e in exc.errors:
        name = FIELD_OF.get(e.field, e.field)
        form.add_error(name if name in form.fields else None, e.message)


def _recent_stills(viewer: Any) -> list[Any]:
    rows = list(
        evidence_queryset(viewer)
        .filter(deleted_at__isnull=True)
        .filter(Q(content_type__startswith="image/") | Q(content_type__startswith="video/"))
        .select_related("incident")
        .order_by("-created_at", "-pk")[:RECENT_STILLS]
    )
    if rows:
        audit_record(
            viewer=viewer,
            action=AuditAction.LIST,
            object_type="evidence",
            summary=f"{len(rows)} stills and videos listed for a face search",
            detail={"evidence": [e.pk for e in rows]},
        )
    return rows


@login_required
def index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not may_search(viewer):
        raise Http404(NOT_FOUND_MESSAGE)
    form = SearchForm(request.POST or None, initial={"evidence": request.GET.get("evidence")})
    if request.method == "POST" and form.is_valid():
        at_text = form.cleaned_data["at"].strip()
        frame_at = video.parse_time(at_text) if at_text else None
        try:
            if at_text and frame_at is None:
                raise ValidationFailed(
                    [FieldError("at", "Give the time as seconds (like 12.5) or mm:ss (like 1:05).")]
                )
            search = services.face_search_run(
                viewer=viewer,
                evidence_id=form.cleaned_data["evidence"],
                purpose=form.cleaned_data["purpose"],
                frame_at=frame_at,
            )
        except ServiceError as exc:
            _errors_to_form(form, exc)
        else:
            return redirect("faces:search", pk=search.pk)
    with transaction.atomic():
        stills = _recent_stills(viewer)
        searches = selectors.search_list(viewer=viewer)
    return render(
        request,
        "faces/index.html",
        {
            "form": form,
            "stills": stills,
            "searches": searches,
            "threshold": engine.MATCH_THRESHOLD,
            "records": Organisation.objects.filter(pk__in=viewer.managed_partnership_ids).order_by("name"),
        },
        status=422 if form.errors else 200,
    )


@login_required
def search_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    with transaction.atomic():
        search = selectors.search_get(viewer=viewer, search_id=pk)
    return _render_search(request, search, DecisionForm())


def _render_search(request: HttpRequest, search: Any, form: DecisionForm, status: int = 200) -> HttpResponse:
    viewer = viewer_for(request.user)
    decisions = selectors.decisions_of(search)
    reviewed = any(d.reviewer_id == viewer.user_id for d in decisions)
    return render(
        request,
        "faces/search.html",
        {
            "search": search,
            "candidates": selectors.candidates_of(search),
            "decisions": decisions,
            "outcome": services.search_outcome(decisions, search),
            "form": form,
            "may_decide": may_search(viewer) and search.status != SearchStatus.DECIDED and not reviewed,
            "may_link": may_search(viewer),
            "linked": _linked(search, decisions),
        },
        status=status,
    )


def _linked(search: Any, decisions: list[Any]) -> EvidencePerson | None:
    if not decisions or decisions[0].candidate is None:
        return None
    return (
        EvidencePerson.objects.filter(evidence_id=search.probe_id, person_id=decisions[0].candidate.person_id)
        .select_related("person")
        .first()
    )


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    with transaction.atomic():
        search = selectors.search_get(viewer=viewer, search_id=pk, audit=False)
    form = DecisionForm(request.POST)
    if form.is_valid():
        outcome, candidate = form.outcome()
        try:
            services.face_decision_record(
                viewer=viewer,
                search_id=search.pk,
                outcome=outcome,
                reason=form.cleaned_data["reason"],
                candidate_id=candidate,
            )
        except ServiceError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "Your decision is recorded.")
            return redirect("faces:search", pk=search.pk)
    search.refresh_from_db()
    return _render_search(request, search, form, status=422)


def _face_jpeg(name: str, box: list[int]) -> HttpResponse:
    with default_storage.open(name, "rb") as fh:
        image = Image.fromarray(engine.load_image(fh.read()))
    return _crop_jpeg(image, box)


def _crop_jpeg(image: Image.Image, box: list[int]) -> HttpResponse:
    if len(box) == 4:
        top, right, bottom, left = box
        pad = (bottom - top) // 3
        image = image.crop((max(0, left - pad), max(0, top - pad), right + pad, bottom + pad))
    image.thumbnail((FACE_SIDE, FACE_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    response = HttpResponse(out.getvalue(), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def probe_face(request: HttpRequest, pk: int, candidate: int) -> HttpResponse:
    """The face in the searched still that a candidate was found for (the page view is the audited access)."""
    viewer = viewer_for(request.user)
    search = selectors.search_get(viewer=viewer, search_id=pk, audit=False)
    row = FaceCandidate.objects.filter(search=search, pk=candidate).first()
    if row is None or search.probe.deleted_at is not None:
        raise Http404(NOT_FOUND_MESSAGE)
    if search.frame_at is not None:
        try:
            frame = services.probe_image(search.probe, search.frame_at)
        except ServiceError as exc:
            raise Http404(NOT_FOUND_MESSAGE) from exc
        return _crop_jpeg(Image.fromarray(frame), list(row.probe_box))
    return _face_jpeg(search.probe.file.name, list(row.probe_box))


@login_required
def candidate_face(request: HttpRequest, pk: int, candidate: int) -> HttpResponse:
    """The stored face a candidate was found from: their gallery photo or an evidence still of them."""
    viewer = viewer_for(request.user)
    search = selectors.search_get(viewer=viewer, search_id=pk, audit=False)
    row = (
        FaceCandidate.objects.filter(search=search, pk=candidate)
        .select_related("encoding__photo", "encoding__evidence")
        .first()
    )
    if row is None or row.encoding is None:
        raise Http404(NOT_FOUND_MESSAGE)
    source = row.encoding.photo.file if row.encoding.photo else row.encoding.evidence.file  # type: ignore[union-attr]
    return _face_jpeg(source.name, list(row.encoding.box))


@login_required
@require_POST
def link_match(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    try:
        pairing = services.face_match_link(viewer=viewer, search_id=pk)
    except ServiceError as exc:
        for e in exc.errors:
            messages.error(request, e.message)
    else:
        messages.success(request, f"The still is recorded as showing {pairing.person.display_name}.")
    return redirect("faces:search", pk=pk)


@login_required
def processing(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = viewer_for(request.user)
    with transaction.atomic():
        record = selectors.processing_record(viewer=viewer, slug=slug)
    manages = can(viewer, Action.MANAGE_PARTNERSHIP, record.partnership)
    may_flag = can(viewer, Action.FLAG_VULNERABLE)
    flagging = request.method == "POST" and request.POST.get("form") == "flag"
    flag_form = VulnerablePersonForm(request.POST if flagging else None, auto_id="flag_%s")
    if flagging:
        if not may_flag:
            raise Http404(NOT_FOUND_MESSAGE)
        if _flag_picked(request, flag_form):
            return redirect("faces:processing", slug=slug)
        settings_form = SettingsForm(initial=_settings_initial(record))
        return _processing_page(request, record, settings_form, flag_form, 422)
    form = SettingsForm(request.POST or None, initial=_settings_initial(record))
    status = 200
    if request.method == "POST":
        if not manages:
            raise Http404(NOT_FOUND_MESSAGE)
        if form.is_valid():
            try:
                services.face_settings_set(viewer=viewer, partnership=record.partnership, **form.cleaned_data)
            except ServiceError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, "Face search settings saved.")
                return redirect("faces:processing", slug=slug)
        status = 422
    return _processing_page(request, record, form, flag_form, status)


def _settings_initial(record: Any) -> dict[str, Any]:
    settings_row = record.settings or FaceSettings(partnership=record.partnership)
    return {
        "dpia_reference": settings_row.dpia_reference,
        "dpia_approved_on": settings_row.dpia_approved_on,
        "enabled": settings_row.enabled,
        "second_reviewer_required": settings_row.second_reviewer_required,
    }


def _processing_page(
    request: HttpRequest, record: Any, form: SettingsForm, flag_form: VulnerablePersonForm, status: int
) -> HttpResponse:
    viewer = viewer_for(request.user)
    return render(
        request,
        "faces/processing.html",
        {
            "record": record,
            "form": form,
            "flag_form": flag_form,
            "manages": can(viewer, Action.MANAGE_PARTNERSHIP, record.partnership),
            "repeat": repeat_incidents(),
            "may_flag": can(viewer, Action.FLAG_VULNERABLE),
        },
        status=status,
    )


def _flag_picked(request: HttpRequest, form: VulnerablePersonForm) -> bool:
    """Flag the person the processing record's form picked (chosen, or typed and resolved through the
    viewer's scope); False, with the form saying why (and offering the people who fit), when it cannot."""
    if not form.is_valid():
        return False
    viewer = viewer_for(request.user)
    try:
        person = person_resolve(viewer=viewer, pick=form.cleaned_data["person"])
    except PickError as exc:
        pick_error_to_form(form, "person", exc)
        return False
    try:
        services.face_exclusion_set(viewer=viewer, person_id=person.pk, note=form.cleaned_data["note"])
    except ServiceError as exc:
        for e in exc.errors:
            form.add_error("person" if e.field in ("person", "person_id") else "note", e.message)
        return False
    messages.success(
        request, f"{person.display_name} flagged vulnerable: never searchable by face; stored faces deleted."
    )
    return True


@login_required
@require_POST
def flag_vulnerable(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    form = VulnerableForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the person is flagged vulnerable.")
    else:
        try:
            services.face_exclusion_set(viewer=viewer, person_id=person_id, note=form.cleaned_data["note"])
        except ServiceError as exc:
            for e in exc.errors:
                messages.error(request, e.message)
        else:
            messages.success(request, "Flagged vulnerable: never searchable by face; stored faces deleted.")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) and back.startswith(
        "/faces/"
    ):
        return redirect(back)
    return redirect("subjects:person-detail", pk=person_id)
