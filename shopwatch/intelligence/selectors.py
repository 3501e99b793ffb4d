"""Reading partnership intelligence through the one entitlement mechanism, and what each person may see."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import (
    NOT_FOUND_MESSAGE,
    Viewer,
    get_owned,
    get_visible,
    may_manage_partnership_record,
    owned_scope,
    scope,
)
from shopwatch.core.models import AuditAction, AuditEvent, Organisation, OrganisationKind
from shopwatch.reporting.models import Incident, IncidentOffender
from shopwatch.subjects.models import Person, PersonPhoto

from .models import (
    ExclusionNotice,
    ExclusionStatus,
    GalleryEntry,
    GalleryStatus,
    IntelligenceReport,
    IntelStatus,
    NetworkSharing,
    WarningLetter,
)
from .services.common import settings_for
from .services.graded import may_grade

RECENT_DAYS = 90


@dataclass
class GalleryCard:
    entry: GalleryEntry
    person: Person
    redacted: bool  # seen through the county network with "images only": no name or details
    recent_incidents: int
    excluded_until: dt.date | None
    photo_id: int | None

    @property
    def title(self) -> str:
        if self.redacted or (self.person.status == "id_sought" and not self.person.display_name.strip()):
            return f"Person {self.entry.pk}"
        return self.person.display_name


def gallery_partnerships(*, viewer: Viewer) -> QuerySet[Organisation]:
    """Galleries the viewer may open: their own partnerships' and connected ones; every partnership's for the
    platform operator. The index lists exactly these, and a gallery page opens only one of them."""
    partnerships = Organisation.objects.filter(kind=OrganisationKind.PARTNERSHIP).order_by("name")
    if viewer.platform_admin:
        return partnerships
    return partnerships.filter(pk__in=viewer.partnership_ids | viewer.connected_partnership_ids)


def managed_partnerships(*, viewer: Viewer) -> QuerySet[Organisation]:
    """Partnerships whose gallery, notices and data protection the viewer manages (every one for the
    platform operator)."""
    partnerships = Organisation.objects.filter(kind=OrganisationKind.PARTNERSHIP).order_by("name")
    if viewer.platform_admin:
        return partnerships
    return partnerships.filter(pk__in=viewer.managed_partnership_ids)


def gallery_cards(
    *,
    viewer: Viewer,
    partnership: Organisation,
    q: str = "",
    page: int = 1,
    per_page: int = 48,
    entry_id: int | None = None,
) -> tuple[list[GalleryCard], bool]:
    """One page of a partnership's gallery (or one entry of it) as the viewer may see it; audited as a view
    of exactly the entries shown."""
    now = timezone.now()
    qs = (
        scope(
            GalleryEntry.objects.filter(
                partnership=partnership, status=GalleryStatus.ACTIVE, expires_at__gt=now
            ),
            viewer,
        )
        .select_related("person")
        .order_by("-listed_at", "-id")
    )
    if entry_id is not None:
        qs = qs.filter(pk=entry_id)
    own = partnership.pk in viewer.partnership_ids or viewer.platform_admin
    conf = settings_for(partnership)
    if not own and conf.network_sharing == NetworkSharing.NONE:
        return [], False
    if q and own:
        qs = qs.filter(
            Q(person__given_name__icontains=q)
            | Q(person__family_name__icontains=q)
            | Q(person__aliases__name__icontains=q)
            | Q(reason__icontains=q)
        ).distinct()
    start = (max(page, 1) - 1) * per_page
    entries = list(qs[start : start + per_page + 1])
    more = len(entries) > per_page
    entries = entries[:per_page]
    person_ids = [e.person_id for e in entries]
    since = now - dt.timedelta(days=RECENT_DAYS)
    counts = dict(
        IncidentOffender.objects.filter(person_id__in=person_ids, incident__occurred_at__gte=since)
        .values("person_id")
        .annotate(n=Count("incident_id", distinct=True))
        .values_list("person_id", "n")
    )
    today = timezone.localdate()
    excluded: dict[int, dt.date] = {}
    for pid, ends in ExclusionNotice.objects.filter(
        person_id__in=person_ids, status=ExclusionStatus.ACTIVE, starts_on__lte=today, ends_on__gte=today
    ).values_list("person_id", "ends_on"):
        excluded[pid] = max(ends, excluded.get(pid, ends))
    photos: dict[int, int] = {}
    for pid, photo_id in (
        PersonPhoto.objects.filter(person_id__in=person_ids)
        .order_by("-created_at")
        .values_list("person_id", "id")
    ):
        photos.setdefault(pid, photo_id)
    redacted = not own and conf.network_sharing == NetworkSharing.IMAGES
    cards = [
        GalleryCard(
            entry=e,
            person=e.person,
            redacted=redacted,
            recent_incidents=counts.get(e.person_id, 0),
            excluded_until=excluded.get(e.person_id),
            photo_id=photos.get(e.person_id),
        )
        for e in entries
    ]
    if cards:
        audit_record(
            viewer=viewer,
            action=AuditAction.VIEW,
            object_type="gallery_entry",
            partnership_id=partnership.pk,
            summary=f"Gallery page of {len(cards)} entries",
            detail={"entries": [c.entry.pk for c in cards], "persons": person_ids},
        )
    return cards, more


def gallery_entry(*, viewer: Viewer, entry_id: int) -> GalleryCard:
    entry = get_visible(GalleryEntry.objects.select_related("person", "partnership"), viewer, pk=entry_id)
    cards, _ = gallery_cards(viewer=viewer, partnership=entry.partnership, entry_id=entry.pk)
    for card in cards:
        if card.entry.pk == entry.pk:
            audit_record(
                viewer=viewer,
                action=AuditAction.VIEW,
                object_type="person",
                object_id=entry.person_id,
                partnership_id=entry.partnership_id,
                summary="Gallery entry opened",
            )
            return card
    raise Http404(NOT_FOUND_MESSAGE)


def person_photo_visible(*, viewer: Viewer, person_id: int) -> bool:
    """Whoever may see the person sees their images; so do members of a connected partnership whose gallery
    lists them, when the owning partnership shares images (or details) with the county network."""
    if scope(Person.objects.filter(pk=person_id), viewer).exists():
        return True
    return scope(
        GalleryEntry.objects.filter(
            person_id=person_id, status=GalleryStatus.ACTIVE, expires_at__gt=timezone.now()
        ),
        viewer,
    ).exists()


def person_photo_get(*, viewer: Viewer, photo_id: int, purpose: str = "image") -> PersonPhoto:
    """One image of a person, to serve in full (``purpose="image"``) or as a thumbnail: the same 404 for
    missing and forbidden, and the access audited as a view of the person, naming the image."""
    photo = PersonPhoto.objects.select_related("person").filter(pk=photo_id).first()
    if photo is None or not person_photo_visible(viewer=viewer, person_id=photo.person_id):
        raise Http404(NOT_FOUND_MESSAGE)
    audit_record(
        viewer=viewer,
        action=AuditAction.VIEW,
        object_type="person",
        object_id=photo.person_id,
        partnership_id=photo.person.partnership_id,
        summary=f"Image {photo.sha256[:12]} viewed ({purpose})",
        detail={"photo": photo.pk, "purpose": purpose},
    )
    return photo


# --- Intelligence as each person may see it ------------------------------------------------------


def intelligence_view(report: IntelligenceReport, viewer: Viewer) -> dict[str, Any]:
    """The parts of a report this viewer may see: the source only for its submitter and grader."""
    is_grader = (
        report.graded_by_id == viewer.user_id
        if report.status != IntelStatus.SUBMITTED
        else may_grade(viewer, report.partnership)
    )
    sees_source = viewer.user_id == report.submitted_by_id or is_grader
    original = viewer.user_id == report.submitted_by_id or is_grader
    return {
        "report": report,
        "grading": report.grading,
        "text": report.text if original else report.sanitised_text,
        "source_details": report.source_details if sees_source else None,
        "handling_conditions": report.handling_conditions,
    }


def intelligence_shared(*, viewer: Viewer, partnership: Organisation | None = None) -> list[dict[str, Any]]:
    """Graded intelligence shared with the viewer, sanitised."""
    qs = scope(IntelligenceReport.objects.filter(status=IntelStatus.GRADED), viewer).select_related(
        "person", "vehicle", "partnership"
    )
    if partnership is not None:
        qs = qs.filter(partnership=partnership)
    return [intelligence_view(r, viewer) for r in qs.order_by("-graded_at")[:100]]


def grading_queue(*, viewer: Viewer) -> list[IntelligenceReport]:
    """Submissions awaiting grading in the partnerships the viewer may grade for."""
    gradable = Organisation.objects.filter(kind=OrganisationKind.PARTNERSHIP)
    if not viewer.platform_admin:
        gradable = gradable.filter(
            Q(pk__in=viewer.managed_partnership_ids) | Q(force_id__in=viewer.police_force_ids)
        )
    qs = IntelligenceReport.objects.filter(
        status=IntelStatus.SUBMITTED, partnership__in=gradable
    ).select_related("partnership", "person", "suggested_person", "vehicle")
    return [r for r in qs.order_by("submitted_at")[:200] if may_grade(viewer, r.partnership)]


def my_submissions(*, viewer: Viewer) -> QuerySet[IntelligenceReport]:
    return IntelligenceReport.objects.filter(submitted_by_id=viewer.user_id).order_by("-submitted_at")[:100]


# --- Subject access ----------------------------------------------------------------------------


def _iso(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


SAR_EVIDENCE_BYTES = 50 * 1024 * 1024  # larger files (video) are listed, and supplied on request


def _evidence_showing(z: zipfile.ZipFile, viewer: Viewer, person: Person) -> None:
    """Evidence recorded as showing the person that the requester may see: listed in evidence.json, photos
    and files up to 50 MB copied under evidence/ (video is listed with its size and supplied separately)."""
    from shopwatch.evidence.selectors import evidence_queryset

    files = list(
        evidence_queryset(viewer)
        .filter(persons__person=person, deleted_at__isnull=True)
        .order_by("created_at", "id")
    )
    listed = []
    for f in files:
        included = f.size <= SAR_EVIDENCE_BYTES
        path = f"evidence/{f.pk}-{f.sha256[:12]}" if included else None
        if path:
            with default_storage.open(f.file.name, "rb") as fh:
                z.writestr(path, fh.read())
        listed.append(
            {
                "incident": f.incident.reference,
                "filename": f.original_filename,
                "content_type": f.content_type,
                "size": f.size,
                "sha256": f.sha256,
                "received_at": _iso(f.created_at),
                "path": path,
                "note": None if included else "Too large for this archive; supplied separately on request.",
            }
        )
    z.writestr("evidence.json", json.dumps(listed, indent=2))


# Other holders' own answers to a subject access request, registered by the apps above this one in their
# AppConfig.ready() (navigator: a navigator organisation's cases): (viewer, person id) -> that holder's
# archive, or None where the viewer answers for none of its records.
SUBJECT_ACCESS_HOLDERS: list[Callable[[Viewer, int], bytes | None]] = []


def subject_access_archive(*, viewer: Viewer, person: Person) -> bytes:
    """Everything held about one person, in one ZIP: records, images, incidents, notices, intelligence,
    and the audit of who viewed them. Only the partnership that keeps the record may produce it; another
    holder (a navigator organisation holding a case for the person) produces its own answer, its records
    only, through :data:`SUBJECT_ACCESS_HOLDERS`."""
    from shopwatch.core.errors import FieldError, NotEntitled

    from .pdfs import exclusion_pdf, warning_pdf

    if not (
        may_manage_partnership_record(viewer, person.partnership_id)
        or person.owner_org_id in viewer.org_wide_ids
    ):
        # Another holder answers for what it alone holds, and nothing else; its records never enter the
        # partnership's answer.
        for holder in SUBJECT_ACCESS_HOLDERS:
            held = holder(viewer, person.pk)
            if held is not None:
                return held
        raise NotEntitled(
            [FieldError("person", "Only the partnership that keeps this record may answer a request.")]
        )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        record = {f.name: _iso(getattr(person, f.attname)) for f in Person._meta.concrete_fields}
        record["aliases"] = [a.name for a in person.aliases.all()]
        record["rectifications"] = [
            {"field": r.field, "old": r.old_value, "new": r.new_value, "reason": r.reason, "at": _iso(r.at)}
            for r in person.rectifications.all()
        ]
        z.writestr("person.json", json.dumps(record, indent=2))
        for photo in person.photos.all():
            with default_storage.open(photo.file.name, "rb") as fh:
                z.writestr(f"images/{photo.pk}-{photo.sha256[:12]}", fh.read())
        _evidence_showing(z, viewer, person)
        incidents = Incident.objects.filter(offenders__person=person).distinct().select_related("store")
        z.writestr(
            "incidents.json",
            json.dumps(
                [
                    {
                        "reference": i.reference,
                        "occurred_at": _iso(i.occurred_at),
                        "type": i.type,
                        "store": i.store.name,
                        "description": i.description,
                        "goods_value": str(i.goods_value),
                        "flags": i.flags,
                        "status": i.status,
                        "crime_reference": i.crime_reference,
                    }
                    for i in incidents
                ],
                indent=2,
            ),
        )
        z.writestr(
            "gallery.json",
            json.dumps(
                [
                    {
                        "partnership": e.partnership.name,
                        "reason": e.reason,
                        "status": e.status,
                        "listed_at": _iso(e.listed_at),
                        "expires_at": _iso(e.expires_at),
                    }
                    for e in GalleryEntry.objects.filter(person=person).select_related("partnership")
                ],
                indent=2,
            ),
        )
        for letter in WarningLetter.objects.filter(person=person).select_related("partnership"):
            z.writestr(f"notices/warning-{letter.pk}.pdf", warning_pdf(letter, viewer=viewer))
        for notice in ExclusionNotice.objects.filter(person=person).select_related("partnership"):
            z.writestr(f"notices/exclusion-{notice.pk}.pdf", exclusion_pdf(notice, viewer=viewer))
        z.writestr(
            "intelligence.json",
            json.dumps(
                [
                    {
                        "submitted_at": _iso(r.submitted_at),
                        "kind": r.kind,
                        "grading": r.grading,
                        "text": r.sanitised_text if r.status == IntelStatus.GRADED else "(awaiting grading)",
                    }
                    for r in IntelligenceReport.objects.filter(Q(person=person) | Q(suggested_person=person))
                ],
                indent=2,
            ),
        )
        views = AuditEvent.objects.filter(object_type="person", object_id=str(person.pk)).select_related(
            "actor", "organisation"
        )
        # Gallery pages record the people they showed; pick out the pages that showed this person.
        gallery_views = [
            a
            for a in AuditEvent.objects.filter(
                object_type="gallery_entry", partnership_id=person.partnership_id
            )
            .select_related("actor", "organisation")
            .iterator()
            if person.pk in (a.detail or {}).get("persons", [])
        ]
        z.writestr(
            "audit.json",
            json.dumps(
                [
                    {
                        "at": _iso(a.at),
                        "who": a.actor.full_name if a.actor else "system",
                        "organisation": a.organisation.name if a.organisation else "",
                        "action": a.action,
                        "channel": a.channel,
                        "summary": a.summary,
                    }
                    for a in [*views, *gallery_views]
                ],
                indent=2,
            ),
        )
        z.writestr(
            "README.txt",
            (
                "Subject access: everything ShopWatch holds about this person for the partnership, produced "
                f"{timezone.now():%d %B %Y %H:%M} by {viewer.user_id}.\n"
                "person.json: the record, aliases and corrections; images/: images as stored; "
                "incidents.json: incidents they are linked to; evidence.json and evidence/: CCTV and "
                "photos recorded as showing them (video over 50 MB listed, supplied on request); "
                "gallery.json: gallery listings; "
                "notices/: warning letters and exclusion notices; intelligence.json: graded intelligence "
                "about them (sources withheld); audit.json: who viewed or changed the record.\n"
            ),
        )
    audit_record(
        viewer=viewer,
        action=AuditAction.EXPORT,
        object_type="person",
        object_id=person.pk,
        partnership_id=person.partnership_id,
        summary="Subject access archive produced",
    )
    return buf.getvalue()


# --- Warning letters and exclusion notices: records a partnership owns -----------------------------------


def exclusion_notice_get(*, viewer: Viewer, notice_id: int) -> ExclusionNotice:
    """One exclusion notice of a partnership the viewer manages (platform admins: any); else the 404."""
    return get_owned(ExclusionNotice.objects.select_related("person", "partnership"), viewer, pk=notice_id)


def warning_letter_get(*, viewer: Viewer, letter_id: int) -> WarningLetter:
    """One warning letter of a partnership the viewer manages (platform admins: any); else the 404."""
    return get_owned(WarningLetter.objects.select_related("person", "partnership"), viewer, pk=letter_id)


def exclusion_notices(*, viewer: Viewer, partnership: Organisation) -> QuerySet[ExclusionNotice]:
    """A partnership's exclusion notices, latest start first (none unless the viewer manages it)."""
    qs = owned_scope(ExclusionNotice.objects.filter(partnership=partnership), viewer)
    return qs.select_related("person").order_by("-starts_on")


def warning_letters(*, viewer: Viewer, partnership: Organisation) -> QuerySet[WarningLetter]:
    """A partnership's warning letters, newest first (none unless the viewer manages it)."""
    qs = owned_scope(WarningLetter.objects.filter(partnership=partnership), viewer)
    return qs.select_related("person").order_by("-issued_at")
