"""Evidence and persons: recording that a file shows a person, and taking a still as the person's photo.

A pairing (``EvidencePerson``) is seen only by someone who may see both the file and the person; it widens
neither audience. Adding or removing one enters the file's chain of custody with the person's id only (no
name: a person can be erased, the chain cannot), and the audit trail. Taking a still as the person's photo
copies the bytes into the person's record (``subjects.services.person_photo_add``, which keeps the source
file's id) and enters the chain as an export.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, can_any, require_any
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer
from shopwatch.core.errors import FieldError, ValidationFailed
from shopwatch.core.models import AuditAction
from shopwatch.reporting.models import Incident
from shopwatch.subjects.models import Person, PersonPhoto
from shopwatch.subjects.selectors import person_queryset

from .custody import custody_append
from .linking import reason_error
from .models import CustodyAction, EvidenceFile, EvidenceLink, EvidencePerson
from .selectors import evidence_to_change

PHOTO_TYPES = {"image/jpeg", "image/png", "image/heic", "image/heif"}


def _person(viewer: Viewer, person_id: int | None) -> Person:
    person = person_queryset(viewer).filter(pk=person_id).first() if person_id is not None else None
    if person is None:
        raise ValidationFailed([FieldError("person", "No person with that id that you can see.")])
    return person


def _incidents_of(evidence: EvidenceFile) -> QuerySet[Incident]:
    linked = EvidenceLink.objects.filter(evidence=evidence).values("incident_id")
    return Incident.objects.filter(pk=evidence.incident_id) | Incident.objects.filter(pk__in=linked)


def may_pair(viewer: Viewer, evidence: EvidenceFile) -> bool:
    """Whether the viewer may say who the file shows: the table's ``pair_person`` on one of its incidents."""
    return can_any(viewer, Action.PAIR_PERSON, _incidents_of(evidence))


def _refuse_unless_may_pair(viewer: Viewer, evidence: EvidenceFile) -> None:
    require_any(viewer, Action.PAIR_PERSON, _incidents_of(evidence))


def person_candidates(*, viewer: Viewer, evidence: EvidenceFile) -> list[Person]:
    """The persons recorded as offenders on the file's incidents that the viewer may see, not yet paired."""
    if not may_pair(viewer, evidence):
        return []
    paired = EvidencePerson.objects.filter(evidence=evidence).values("person_id")
    return list(
        person_queryset(viewer)
        .filter(incident_links__incident__in=_incidents_of(evidence))
        .exclude(pk__in=paired)
        .distinct()
        .order_by("family_name", "given_name", "id")
    )


@transaction.atomic
def evidence_person_add(
    *, viewer: Viewer, evidence_id: int, person_id: int | None, note: str = ""
) -> EvidencePerson:
    """Record that the file shows the person (both must be visible to the viewer)."""
    evidence = evidence_to_change(viewer=viewer, evidence_id=evidence_id)
    _refuse_unless_may_pair(viewer, evidence)
    person = _person(viewer, person_id)
    note = (note or "").strip()
    problem = reason_error("note", note, missing="")
    if problem:
        raise ValidationFailed([problem])
    try:
        with transaction.atomic():
            pairing = EvidencePerson.objects.create(
                evidence=evidence, person=person, note=note, added_by_id=viewer.user_id
            )
    except IntegrityError as exc:
        raise ValidationFailed(
            [FieldError("person", f"This file is already recorded as showing {person.display_name}.")]
        ) from exc
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="evidence",
        object_id=evidence.pk,
        store_id=evidence.incident.store_id,
        partnership_id=person.partnership_id,
        summary=f"{evidence.original_filename} shows person #{person.pk}",
        detail={"person": person.pk},
    )
    custody_append(
        evidence=evidence, action=CustodyAction.LINKED, viewer=viewer, detail={"person": person.pk}
    )
    return pairing


@transaction.atomic
def evidence_person_remove(*, viewer: Viewer, evidence_id: int, person_id: int, reason: str = "") -> None:
    """The file does not show the person after all: the pairing goes, with a reason."""
    evidence = evidence_to_change(viewer=viewer, evidence_id=evidence_id)
    pairing = (
        EvidencePerson.objects.select_for_update()
        .filter(evidence=evidence, person__in=person_queryset(viewer), person_id=person_id)
        .first()
        if str(person_id).isdigit()
        else None
    )
    if pairing is None:
        raise Http404(NOT_FOUND_MESSAGE)
    _refuse_unless_may_pair(viewer, evidence)
    reason = (reason or "").strip()
    problem = reason_error("reason", reason, missing="Say why the file does not show this person.")
    if problem:
        raise ValidationFailed([problem])
    person_pk = pairing.person_id
    EvidencePerson.objects.filter(pk=pairing.pk).delete()
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="evidence",
        object_id=evidence.pk,
        store_id=evidence.incident.store_id,
        summary=f"{evidence.original_filename} does not show person #{person_pk}",
        detail={"person": person_pk, "reason": reason},
    )
    custody_append(
        evidence=evidence, action=CustodyAction.UNLINKED, viewer=viewer, detail={"person": person_pk}
    )


@transaction.atomic
def evidence_person_photo(*, viewer: Viewer, evidence_id: int, person_id: int) -> PersonPhoto:
    """Take a still the file is paired with as the person's photo (for galleries): the bytes are copied
    into the person's record, which names the source file; the chain of custody records the copy."""
    from shopwatch.subjects.services import person_photo_add

    evidence = evidence_to_change(viewer=viewer, evidence_id=evidence_id)
    pairing = (
        EvidencePerson.objects.filter(
            evidence=evidence, person__in=person_queryset(viewer), person_id=person_id
        )
        .select_related("person")
        .first()
        if str(person_id).isdigit()
        else None
    )
    if pairing is None:
        raise ValidationFailed([FieldError("person", "Record that the file shows this person first.")])
    if evidence.content_type not in PHOTO_TYPES:
        raise ValidationFailed(
            [
                FieldError(
                    "evidence", "Only a photo can be a person's image; take a still from the video first."
                )
            ]
        )
    with evidence.file.open("rb") as original:
        photo = person_photo_add(
            viewer=viewer,
            person=pairing.person,
            fileobj=original,
            filename=evidence.original_filename,
            source_evidence_id=evidence.pk,
        )
    custody_append(
        evidence=evidence,
        action=CustodyAction.EXPORTED,
        viewer=viewer,
        detail={"to": "person photo", "person": pairing.person_id, "photo": photo.pk},
    )
    return photo
