"""Incident pages: the shop worker's report, the managers' list, one incident, the CSV export."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods, require_POST

from shopwatch.core.capabilities import Action, can
from shopwatch.core.csvexport import csv_writer
from shopwatch.core.entitlements import Viewer, viewer_for
from shopwatch.core.errors import FieldError, ServiceError, ValidationFailed
from shopwatch.core.faults import Fault, fault_for
from shopwatch.core.files.sniff import photo_check
from shopwatch.core.forms import add_service_errors
from shopwatch.core.idempotency import request_fingerprint
from shopwatch.core.models import Distribution, Store
from shopwatch.core.pickers import Pick, PickError, pick_error_to_form
from shopwatch.core.selectors import store_list
from shopwatch.subjects.registrations import format_registration
from shopwatch.subjects.selectors import person_queryset

from . import selectors, services
from .forms import IncidentFilterForm, IncidentReportForm, form_field_for
from .models import FLAG_FIELDS, Flag, Incident, IncidentStatus
from .pages import incident_detail_sections, incident_submitted_sections
from .pickers import person_resolve

PAGE_SIZE = 50
_STATUS_LABELS = dict(IncidentStatus.choices)
_FLAG_LABELS = dict(Flag.choices)


# --- Reporting an incident -------------------------------------------------------------------------


def _reportable_stores(viewer: Viewer) -> list[Store]:
    return list(store_list(viewer=viewer).filter(pk__in=viewer.reportable_store_ids, active=True))


def _photo_errors(photos: list[UploadedFile]) -> list[FieldError]:
    """Every problem with every photo, before anything is written, so the worker can fix them all at once."""
    errors: list[FieldError] = []
    for photo in photos:
        try:
            photo_check(fileobj=photo, filename=photo.name or "photo")
        except ValidationFailed as exc:
            errors += exc.errors
    return errors


def _fingerprint(form: IncidentReportForm, photos: list[UploadedFile]) -> str:
    """What this submission says; a double-tap sends the same, an edited resubmission does not."""
    data = {k: v for k, v in form.cleaned_data.items() if k not in ("token", "photos")}
    data["photos"] = [(p.name, p.size) for p in photos]
    return request_fingerprint(data)


def _file_report(viewer: Viewer, form: IncidentReportForm) -> tuple[int, bool]:
    """Create the incident and attach its photos in one transaction, once per form token (the id, and
    whether the form had already been sent)."""
    photos: list[UploadedFile] = form.cleaned_data["photos"]
    data = form.to_input()
    data.photos = photos
    return services.incident_report_file(
        viewer=viewer,
        data=data,
        form_token=form.cleaned_data["token"],
        fingerprint=_fingerprint(form, photos),
    )


def _known_person(viewer: Viewer, form: IncidentReportForm) -> bool:
    """Replace the known person picked or typed by their id; False (the form showing why, with the people
    who fit when several do) if it names no one person the reporter may see."""
    pick = form.cleaned_data.get("known_person")
    if not isinstance(pick, Pick) or not pick:
        form.cleaned_data["known_person"] = None
        return True
    try:
        form.cleaned_data["known_person"] = person_resolve(viewer=viewer, pick=pick).pk
    except PickError as exc:
        pick_error_to_form(form, "known_person", exc)
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    stores = _reportable_stores(viewer)
    if not stores:
        return render(request, "reporting/incident_form.html", {"no_stores": True}, status=403)
    photos_dropped = False
    fault: Fault | None = None
    if request.method == "POST":
        form = IncidentReportForm(request.POST, request.FILES, stores=stores)
        if form.is_valid() and _known_person(viewer, form):
            errors = _photo_errors(form.cleaned_data["photos"])
            if not errors:
                try:
                    incident_id, already_sent = _file_report(viewer, form)
                except (OSError, DatabaseError) as exc:
                    # A full disk, unwritable storage, an overloaded database: nothing was filed, and the
                    # form comes back with everything typed (photos must be chosen again).
                    fault = fault_for(exc)
                    if fault is None:
                        raise
                    errors = [FieldError("", fault.detail)]
                except ServiceError as exc:
                    errors = exc.errors or [FieldError("", exc.title)]
                    if any(e.field == "Idempotency-Key" for e in exc.errors):
                        errors = [
                            FieldError(
                                "",
                                "This form was already sent as another report. If this is a "
                                "different incident, check the details and send it again.",
                            )
                        ]
                        fresh = request.POST.copy()
                        fresh["token"] = secrets.token_urlsafe(24)
                        form.data = fresh
                else:
                    if already_sent:
                        messages.info(
                            request,
                            "This report was already sent: it has not been filed twice. Its reference is "
                            "below. To report a different incident, start a new report.",
                        )
                    return redirect("reporting:incident-submitted", pk=incident_id)
            add_service_errors(form, errors, field_for=form_field_for)
        photos_dropped = bool(request.FILES)
    else:
        form = IncidentReportForm(initial={"token": secrets.token_urlsafe(24)}, stores=stores)
    response = render(
        request,
        "reporting/incident_form.html",
        {
            "form": form,
            "single_store": stores[0] if len(stores) == 1 else None,
            "photos_dropped": photos_dropped,
            "offers_known_people": person_queryset(viewer).exists(),
        },
        status=fault.status if fault else 422 if form.is_bound else 200,
    )
    if fault is not None:
        response["Retry-After"] = str(fault.retry_after)
    return response


def _who_sees(incident: Incident) -> list[str]:
    """In plain words, who can now see a report (from where it sits and how far it is shared)."""
    store = incident.store
    who = [f"Staff at {store.name}", f"{store.retailer.name}'s security team"]
    if incident.distribution != Distribution.ORGANISATION:
        names = [p.name for p in store.partnerships.all()]
        if names:
            who.append(" and ".join(names) + " (partnership managers and member shops)")
        if incident.distribution == Distribution.CONNECTED:
            who.append("Partnerships connected to them")
        elif incident.distribution in (Distribution.ALL_PARTNERSHIPS, Distribution.POLICE):
            who.append("All partnerships on ShopWatch")
    if incident.sent_to_police or incident.distribution == Distribution.POLICE:
        who.append(incident.force.name)
    return who


@login_required
def incident_submitted(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    incident = selectors.incident_detail(viewer=viewer, incident_id=pk, audit=False)
    return render(
        request,
        "reporting/incident_submitted.html",
        {
            "incident": incident,
            "who_sees": _who_sees(incident),
            "sections": incident_submitted_sections.build(viewer, incident),
            "danger": incident.flag_offender_nearby or incident.flag_weapon or incident.flag_violence,
        },
    )


# --- Lists, detail, export -----------------------------------------------------------------------


def _filters(request: HttpRequest, viewer: Viewer) -> IncidentFilterForm:
    return IncidentFilterForm(
        request.GET or None,
        stores=store_list(viewer=viewer).select_related(None).prefetch_related(None).only("pk", "name"),
    )


def _cursor(raw: str) -> list[object] | None:
    when_text, _, pk = raw.rpartition("|")
    when = parse_datetime(when_text)
    if when is None or not pk.isdigit():
        return None
    return [when.isoformat(), int(pk)]


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    form = _filters(request, viewer)
    filters = form.to_filters()
    after = _cursor(request.GET.get("after", ""))
    rows, cursor = selectors.incident_page(viewer=viewer, filters=filters, after=after, limit=PAGE_SIZE)
    query = {k: v for k, v in request.GET.items() if k != "after" and v and k in form.fields}
    older = None
    if cursor:
        older = "?" + urlencode({**query, "after": f"{cursor[0]}|{cursor[1]}"})
    return render(
        request,
        "reporting/incident_list.html",
        {
            "form": form,
            "incidents": [{"incident": i, "flags": [_FLAG_LABELS[f] for f in i.flags]} for i in rows],
            "older_url": older,
            "newest_url": "?" + urlencode(query) if after else None,
            "export_url": "export.csv" + ("?" + urlencode(query) if query else ""),
            "filtered": bool(query),
            "can_report": bool(viewer.reportable_store_ids),
        },
    )


def _person_names(viewer: Viewer, incident: Incident) -> dict[int, str]:
    """Names of linked persons the viewer may see; others are shown without a name."""
    ids = [o.person_id for o in incident.offenders.all() if o.person_id]
    if not ids:
        return {}
    return {p.pk: p.display_name for p in person_queryset(viewer).filter(pk__in=ids)}


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    incident = selectors.incident_detail(viewer=viewer, incident_id=pk)
    names = _person_names(viewer, incident)
    offenders = [
        {
            "name": names.get(o.person_id) if o.person_id else None,
            "hidden": bool(o.person_id) and o.person_id not in names,
            "description": o.description,
        }
        for o in incident.offenders.all()
    ]
    vehicles = [
        {
            "registration": format_registration(v.vehicle.registration),
            "vehicle": v.vehicle,
            "description": v.description,
        }
        for v in incident.vehicles.all()
    ]
    history = [
        {"at": c.at, "to": _STATUS_LABELS.get(c.to_status, c.to_status), "note": c.note}
        for c in incident.status_changes.all()
    ]
    return render(
        request,
        "reporting/incident_detail.html",
        {
            "incident": incident,
            "flags": [_FLAG_LABELS[f] for f in FLAG_FIELDS if getattr(incident, FLAG_FIELDS[f])],
            "offenders": offenders,
            "vehicles": vehicles,
            "history": history,
            "sections": incident_detail_sections.build(viewer, incident),
            "can_send_to_police": not incident.sent_to_police
            and can(viewer, Action.SEND_TO_POLICE, incident),
            "who_sees": _who_sees(incident),
        },
    )


@login_required
@require_POST
def incident_send_to_police(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    incident = selectors.incident_detail(viewer=viewer, incident_id=pk, audit=False)
    try:
        services.incident_send_to_police(viewer=viewer, incident=incident)
    except ServiceError as exc:
        messages.error(request, " ".join(e.message for e in exc.errors) or exc.title)
    else:
        messages.success(request, f"{incident.reference} has been sent to {incident.force.name}.")
    return redirect("reporting:incident-detail", pk=incident.pk)


EXPORT_COLUMNS = [
    "reference",
    "occurred_at",
    "store",
    "store_code",
    "retailer",
    "type",
    "status",
    "priority",
    "offence_code",
    "offence",
    "goods_value",
    "flags",
    "report_to_police",
    "sent_to_police",
    "crime_reference",
    "description",
]


@login_required
def incident_export(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    filters = _filters(request, viewer).to_filters()
    rows = selectors.incident_export_rows(viewer=viewer, filters=filters)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="shopwatch-incidents-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv_writer(response)
    writer.writerow(EXPORT_COLUMNS)
    for inc in rows:
        writer.writerow(
            (
                inc.reference,
                timezone.localtime(inc.occurred_at).isoformat(timespec="minutes"),
                inc.store.name,
                inc.store.code,
                inc.store.retailer.name,
                inc.get_type_display(),
                inc.get_status_display(),
                inc.priority,
                inc.offence_code,
                inc.offence_label,
                f"{inc.goods_value:.2f}",
                "; ".join(_FLAG_LABELS[f] for f in inc.flags),
                "yes" if inc.report_to_police else "no",
                "yes" if inc.sent_to_police else "no",
                inc.crime_reference,
                inc.description,
            )
        )
    return response
