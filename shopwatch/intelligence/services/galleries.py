"""Galleries: listing a person, removing a listing, duplicates offered for merge, merging two records."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, require
from shopwatch.core.entitlements import Viewer, scope
from shopwatch.core.errors import Conflict, FieldError, ValidationFailed, clean_text
from shopwatch.core.models import AuditAction, Distribution, Organisation
from shopwatch.reporting.models import Incident, IncidentOffender
from shopwatch.subjects.models import Person, PersonAlias, PersonStatus
from shopwatch.subjects.services import person_create, person_erase

from ..models import (
    ExclusionNotice,
    GalleryEntry,
    GalleryStatus,
    IntelligenceReport,
    NetworkSharing,
    WarningLetter,
)
from .common import _require_manager, settings_for


def possible_duplicates(
    *, partnership: Organisation, given_name: str, family_name: str, date_of_birth: dt.date | None
) -> list[Person]:
    """People the partnership already holds who look like the same person (offered for merging)."""
    if not (given_name.strip() or family_name.strip()):
        return []
    qs = Person.objects.filter(
        partnership=partnership,
        given_name__iexact=given_name.strip(),
        family_name__iexact=family_name.strip(),
    )
    if date_of_birth:
        qs = qs.filter(Q(date_of_birth=date_of_birth) | Q(date_of_birth__isnull=True))
    return list(qs[:5])


def held_description(*, viewer: Viewer, person: Person) -> str:
    """A person already held, described as a user knows them, never by an internal number: the name, the
    year of birth (or age range), and the store and day of the latest incident naming them that the viewer
    may see, else when the partnership listed or first recorded them."""
    details: list[str] = []
    if person.date_of_birth:
        details.append(f"born {person.date_of_birth.year}")
    elif person.age_min or person.age_max:
        details.append(f"aged {person.age_min or '?'} to {person.age_max or '?'}")
    seen = (
        scope(Incident.objects.all(), viewer)
        .filter(offenders__person=person)
        .order_by("-occurred_at", "-id")
        .values("store__name", "occurred_at")
        .first()
    )
    if seen:
        when = timezone.localtime(seen["occurred_at"])
        details.append(f"last seen at {seen['store__name']}, {when:%-d %b %Y}")
    elif listed := GalleryEntry.objects.filter(person=person).order_by("-listed_at", "-id").first():
        details.append(f"listed {timezone.localtime(listed.listed_at):%-d %b %Y}")
    else:
        details.append(f"recorded {timezone.localtime(person.created_at):%-d %b %Y}")
    return f"{person.display_name} ({', '.join(details)})"


@transaction.atomic
def gallery_list(
    *, viewer: Viewer, partnership: Organisation, person: Person, reason: str, advice: str = ""
) -> GalleryEntry:
    """Put a person on the partnership's gallery until the configured expiry (renewed by new incidents)."""
    _require_manager(viewer, partnership)
    errors: list[FieldError] = []
    reason = clean_text("reason", reason, 500, errors)
    advice = clean_text("advice", advice, 500, errors, required=False)
    if not scope(Person.objects.all(), viewer).filter(pk=person.pk).exists():
        errors.append(FieldError("person", "Unknown person, or not one shared with you."))
    if GalleryEntry.objects.filter(
        partnership=partnership, person=person, status=GalleryStatus.ACTIVE
    ).exists():
        errors.append(FieldError("person", "This person is already on the gallery."))
    if errors:
        raise ValidationFailed(errors)
    conf = settings_for(partnership)
    now = timezone.now()
    entry = GalleryEntry.objects.create(
        partnership=partnership,
        person=person,
        owner_org=partnership,
        reason=reason,
        advice=advice or GalleryEntry._meta.get_field("advice").default,
        distribution=Distribution.CONNECTED
        if conf.network_sharing != NetworkSharing.NONE
        else Distribution.PARTNERSHIP,
        listed_by_id=viewer.user_id,
        listed_at=now,
        expires_at=now + relativedelta(months=conf.gallery_months),
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="gallery_entry",
        object_id=entry.pk,
        partnership_id=partnership.pk,
        summary=f"Listed person {person.pk}",
    )
    return entry


@transaction.atomic
def gallery_add_person(
    *,
    viewer: Viewer,
    partnership: Organisation,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date | None,
    description: str,
    reason: str,
    advice: str = "",
    id_sought: bool = False,
    confirm_new: bool = False,
) -> GalleryEntry:
    """Create a person and list them. If the partnership already holds someone who looks the same, refuse
    and offer the merge, unless the manager confirmed this is someone else: never merge silently."""
    _require_manager(viewer, partnership)
    if not id_sought and not confirm_new:
        dupes = possible_duplicates(
            partnership=partnership,
            given_name=given_name,
            family_name=family_name,
            date_of_birth=date_of_birth,
        )
        if dupes:
            raise Conflict(
                [
                    FieldError(
                        "family_name",
                        f"The partnership already holds {held_description(viewer=viewer, person=d)}. "
                        "List that person, merge the two, or confirm this is someone else.",
                    )
                    for d in dupes
                ],
                title="This may be a person the partnership already holds",
            )
    person = person_create(
        viewer=viewer,
        owner_org=partnership,
        partnership=partnership,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        description=description,
        status=PersonStatus.ID_SOUGHT if id_sought else PersonStatus.KNOWN,
    )
    return gallery_list(viewer=viewer, partnership=partnership, person=person, reason=reason, advice=advice)


@transaction.atomic
def gallery_remove(*, viewer: Viewer, entry: GalleryEntry, reason: str) -> GalleryEntry:
    _require_manager(viewer, entry.partnership)
    entry.status = GalleryStatus.REMOVED
    entry.updated_at = timezone.now()
    entry.save(update_fields=["status", "updated_at"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="gallery_entry",
        object_id=entry.pk,
        partnership_id=entry.partnership_id,
        summary=f"Removed: {reason[:200]}",
    )
    return entry


@transaction.atomic
def person_merge(*, viewer: Viewer, keep: Person, remove: Person, reason: str) -> Person:
    """Merge a duplicate into the record kept: incidents, images, aliases, listings, notices, intelligence."""
    for person in (keep, remove):
        require(viewer, Action.MERGE_PERSONS, person)
    if keep.pk == remove.pk:
        raise ValidationFailed([FieldError("remove", "Choose two different records.")])
    names = {a.name for a in keep.aliases.all()} | {keep.display_name}
    extra = [n for n in [remove.display_name, *[a.name for a in remove.aliases.all()]] if n not in names]
    PersonAlias.objects.bulk_create([PersonAlias(person=keep, name=n) for n in extra])
    IncidentOffender.objects.filter(person=remove).update(person=keep)
    remove.photos.exclude(sha256__in=keep.photos.values("sha256")).update(person=keep)
    for entry in GalleryEntry.objects.filter(person=remove):
        if GalleryEntry.objects.filter(
            partnership=entry.partnership, person=keep, status=GalleryStatus.ACTIVE
        ).exists():
            entry.delete()
        else:
            entry.person = keep
            entry.save(update_fields=["person"])
    _move_evidence_pairings(viewer, keep=keep, remove=remove)
    ExclusionNotice.objects.filter(person=remove).update(person=keep)
    WarningLetter.objects.filter(person=remove).update(person=keep)
    IntelligenceReport.objects.filter(person=remove).update(person=keep)
    IntelligenceReport.objects.filter(suggested_person=remove).update(suggested_person=keep)
    if remove.last_incident_at and (
        keep.last_incident_at is None or remove.last_incident_at > keep.last_incident_at
    ):
        keep.last_incident_at = remove.last_incident_at
        keep.save(update_fields=["last_incident_at"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="person",
        object_id=keep.pk,
        partnership_id=keep.partnership_id,
        summary=f"Merged record {remove.pk} into this one",
        detail={"reason": reason[:300], "merged": remove.pk},
    )
    person_erase(viewer=viewer, person=remove, reason=f"Merged into record {keep.pk}: {reason}"[:300])
    return keep


def _move_evidence_pairings(viewer: Viewer, *, keep: Person, remove: Person) -> None:
    """Files recorded as showing the merged-away record now show the kept one; each file's chain of custody
    records the move (ids only)."""
    from shopwatch.evidence.custody import custody_append
    from shopwatch.evidence.models import CustodyAction, EvidencePerson

    already = EvidencePerson.objects.filter(person=keep).values("evidence_id")
    for pairing in (
        EvidencePerson.objects.filter(person=remove)
        .exclude(evidence_id__in=already)
        .select_related("evidence")
    ):
        EvidencePerson.objects.filter(pk=pairing.pk).update(person=keep)
        custody_append(
            evidence=pairing.evidence,
            action=CustodyAction.LINKED,
            viewer=viewer,
            detail={"person": keep.pk, "merged_from": remove.pk},
        )
