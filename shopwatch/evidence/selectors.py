"""Reading evidence, always through the one entitlement mechanism (plus explicit, unexpired shares)."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer, get_visible, scope, visible_q
from shopwatch.core.errors import FieldError, ServiceError
from shopwatch.core.models import AuditAction
from shopwatch.core.pagination import keyset_page, oldest_id
from shopwatch.reporting.models import Incident
from shopwatch.reporting.selectors import incident_queryset
from shopwatch.subjects.models import Person
from shopwatch.subjects.selectors import person_queryset

from .models import CustodyAction, EvidenceFile, EvidenceLink, EvidencePerson, EvidenceShare


class Gone(ServiceError):
    """The file existed for this person but is no longer theirs to have (a share ended, or it was deleted)."""

    status_code = 410
    title = "No longer available"


def _shares_for(viewer: Viewer) -> QuerySet[EvidenceShare]:
    return EvidenceShare.objects.filter(
        Q(with_user_id=viewer.user_id) | Q(with_force_id__in=viewer.police_force_ids)
    )


def evidence_queryset(viewer: Viewer) -> QuerySet[EvidenceFile]:
    """What the viewer may see: the audience (``visible_q``) of the file's incident, of any incident its owner
    linked it to (a link made by anyone else widens nothing: ``EvidenceLink.shares_audience``), and unexpired
    shares with them."""
    qs = EvidenceFile.objects.select_related("incident", "incident__store")
    if viewer.user_id is None:
        return qs.none()
    shared = _shares_for(viewer).filter(evidence=OuterRef("pk"), expires_at__gt=timezone.now())
    linked = EvidenceLink.objects.filter(
        evidence=OuterRef("pk"),
        shares_audience=True,
        incident__in=scope(Incident.objects.all(), viewer).values("pk"),
    )
    return qs.filter(visible_q(viewer, EvidenceFile.audience) | Q(Exists(shared)) | Q(Exists(linked)))


def evidence_to_change(*, viewer: Viewer, evidence_id: int) -> EvidenceFile:
    """An undeleted file the viewer may see, for sharing, linking or pairing it (not a view: not recorded);
    the same 404 for missing, forbidden and deleted."""
    evidence = evidence_queryset(viewer).filter(pk=evidence_id, deleted_at__isnull=True).first()
    if evidence is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return evidence


def on_incidents_q(incident_ids: list[int]) -> Q:
    """Files that belong to any of the incidents: arrived on one, or linked to one afterwards."""
    linked = EvidenceLink.objects.filter(evidence=OuterRef("pk"), incident_id__in=incident_ids)
    return Q(incident_id__in=incident_ids) | Q(Exists(linked))


def evidence_for_incident(*, viewer: Viewer, incident: Incident) -> list[EvidenceFile]:
    """The files on an incident (and linked to it) that the viewer may see, oldest first (listing them is
    not a view)."""
    return list(
        evidence_queryset(viewer)
        .filter(on_incidents_q([incident.pk]), deleted_at__isnull=True)
        .order_by("created_at", "id")
    )


def evidence_for_incidents(*, viewer: Viewer, incident_ids: list[int]) -> list[EvidenceFile]:
    """The files of several incidents (a series, a case file), each once, that the viewer may see and that
    still exist (retention may have deleted some), oldest first."""
    return list(
        evidence_queryset(viewer)
        .filter(on_incidents_q(incident_ids), deleted_at__isnull=True)
        .order_by("created_at", "id")
    )


def evidence_incidents(
    *, viewer: Viewer, evidence: EvidenceFile
) -> list[tuple[Incident, EvidenceLink | None]]:
    """The incidents the file belongs to that the viewer may see: its first incident (link None), then
    those it was linked to, in the order they were linked."""
    visible = scope(Incident.objects.all(), viewer).values("pk")
    out: list[tuple[Incident, EvidenceLink | None]] = []
    if Incident.objects.filter(pk=evidence.incident_id, pk__in=visible).exists():
        out.append((evidence.incident, None))
    links = (
        EvidenceLink.objects.filter(evidence=evidence, incident__in=visible)
        .select_related("incident", "linked_by")
        .order_by("linked_at", "id")
    )
    out.extend((link.incident, link) for link in links)
    return out


def evidence_page(
    *, viewer: Viewer, incident_id: int, after: list[object] | None, limit: int
) -> tuple[list[EvidenceFile], list[object] | None]:
    """One page of an incident's evidence, oldest first, and the keyset cursor for the next; audited."""
    incident = get_visible(incident_queryset(viewer), viewer, pk=incident_id)
    qs = evidence_queryset(viewer).filter(on_incidents_q([incident.pk]), deleted_at__isnull=True)
    try:
        rows, cursor = keyset_page(qs, oldest_id(), after, limit)
    except ValueError as exc:
        raise Http404(NOT_FOUND_MESSAGE) from exc
    audit_record(
        viewer=viewer,
        action=AuditAction.LIST,
        object_type="evidence",
        store_id=incident.store_id,
        summary=f"{incident.reference}: listed {len(rows)} evidence files",
        detail={"incident": incident.pk, "ids": [r.pk for r in rows]},
    )
    return rows, cursor


def _ended_share(viewer: Viewer, evidence_id: int) -> EvidenceShare | None:
    if viewer.user_id is None:
        return None
    return _shares_for(viewer).filter(evidence_id=evidence_id).order_by("-expires_at").first()


def evidence_get(
    *,
    viewer: Viewer,
    evidence_id: int,
    purpose: str = "content",
    record_if: Callable[[EvidenceFile], bool] | None = None,
) -> EvidenceFile:
    """One evidence file for viewing or downloading; the same 404 for missing and forbidden.

    The access is audited and enters the file's chain of custody ("downloaded" for ``purpose="download"``,
    "viewed" otherwise). A share that has ended, or a file deleted under retention, says so (410).
    ``record_if`` may say that an access continues one already recorded (a video player's next byte range):
    it is checked exactly the same, and not recorded again.
    """
    from .custody import custody_append

    evidence = evidence_queryset(viewer).filter(pk=evidence_id).first()
    if evidence is None:
        ended = _ended_share(viewer, evidence_id)
        if ended is not None:
            raise Gone(
                [
                    FieldError(
                        "evidence",
                        f"Your access to this evidence ended on "
                        f"{timezone.localtime(ended.expires_at):%d %B %Y at %H:%M}. Ask whoever shared "
                        "it to share it again.",
                    )
                ]
            )
        raise Http404(NOT_FOUND_MESSAGE)
    if evidence.deleted_at is not None:
        raise Gone(
            [
                FieldError(
                    "evidence",
                    "This file was deleted under the retention policy on "
                    f"{timezone.localtime(evidence.deleted_at):%d %B %Y}; its record remains.",
                )
            ]
        )
    if record_if is not None and not record_if(evidence):
        return evidence
    audit_record(
        viewer=viewer,
        action=AuditAction.VIEW,
        object_type="evidence",
        object_id=evidence.pk,
        store_id=evidence.incident.store_id,
        summary=f"{evidence.incident.reference}: {purpose} of {evidence.original_filename}",
        detail={"purpose": purpose, "incident": evidence.incident_id},
    )
    custody_append(
        evidence=evidence,
        action=CustodyAction.DOWNLOADED if purpose == "download" else CustodyAction.VIEWED,
        viewer=viewer,
        detail={"purpose": purpose},
    )
    return evidence


def evidence_persons(*, viewer: Viewer, evidence: EvidenceFile) -> list[EvidencePerson]:
    """Who the file shows, among the persons the viewer may see."""
    return list(
        EvidencePerson.objects.filter(evidence=evidence, person__in=person_queryset(viewer))
        .select_related("person")
        .order_by("added_at", "id")
    )


def evidence_for_person(*, viewer: Viewer, person_id: int) -> tuple[Person, list[EvidenceFile]]:
    """The person (404 if the viewer may not see them) and the files that show them, among those the viewer
    may see (not deleted), newest first; the listing is audited."""
    person = get_visible(person_queryset(viewer), viewer, pk=person_id)
    files = list(
        evidence_queryset(viewer)
        .filter(persons__person=person, deleted_at__isnull=True)
        .order_by("-created_at", "-id")
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.LIST,
        object_type="evidence",
        partnership_id=person.partnership_id,
        summary=f"Listed {len(files)} evidence files showing person #{person.pk}",
        detail={"person": person.pk, "ids": [f.pk for f in files]},
    )
    return person, files
