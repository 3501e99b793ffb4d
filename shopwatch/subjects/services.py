"""Writing persons and vehicles."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import REFUSALS, Action, can
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError, NotEntitled, ValidationFailed
from shopwatch.core.files.hashing import HashingReader, file_size
from shopwatch.core.files.sniff import photo_check
from shopwatch.core.models import AuditAction, Distribution, Organisation, OrganisationKind

from .models import Person, PersonAlias, PersonPhoto, PersonStatus, PersonTombstone, Rectification


@transaction.atomic
def person_create(
    *,
    viewer: Viewer,
    owner_org: Organisation,
    partnership: Organisation | None = None,
    given_name: str = "",
    family_name: str = "",
    aliases: list[str] | None = None,
    date_of_birth: dt.date | None = None,
    age_min: int | None = None,
    age_max: int | None = None,
    description: str = "",
    status: str = PersonStatus.KNOWN,
    distribution: str = Distribution.PARTNERSHIP,
) -> Person:
    """Record a person. Only organisations the viewer manages (or admins) may own one."""
    errors: list[FieldError] = []
    if not can(viewer, Action.RECORD_PERSON, owner_org):  # a 422 naming the owner, as it always answered
        errors.append(FieldError(*REFUSALS[Action.RECORD_PERSON]))
    if partnership is not None and partnership.kind != OrganisationKind.PARTNERSHIP:
        errors.append(FieldError("partnership", "Must be a partnership."))
    if status == PersonStatus.KNOWN and not (given_name.strip() or family_name.strip()):
        errors.append(FieldError("family_name", "A known person needs a name; use 'ID sought' otherwise."))
    if date_of_birth and not (dt.date(1900, 1, 1) <= date_of_birth <= timezone.localdate()):
        errors.append(FieldError("date_of_birth", "Must be a real date in the past."))
    if age_min is not None and age_max is not None and age_min > age_max:
        errors.append(FieldError("age_max", "Must not be below the lower age."))
    for name, value in (
        ("given_name", given_name),
        ("family_name", family_name),
        ("description", description),
    ):
        if "\x00" in value:
            errors.append(FieldError(name, "Must not contain NUL characters."))
    if errors:
        raise ValidationFailed(errors)
    person = Person.objects.create(
        owner_org=owner_org,
        partnership=partnership
        if partnership is not None
        else (owner_org if owner_org.kind == OrganisationKind.PARTNERSHIP else None),
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        date_of_birth=date_of_birth,
        age_min=age_min,
        age_max=age_max,
        description=description.strip(),
        status=status,
        distribution=distribution,
    )
    PersonAlias.objects.bulk_create(
        [PersonAlias(person=person, name=a.strip()) for a in aliases or [] if a.strip()]
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="person",
        object_id=person.pk,
        partnership_id=person.partnership_id,
        summary=person.display_name,
    )
    return person


@transaction.atomic
def person_photo_add(
    *, viewer: Viewer, person: Person, fileobj: Any, filename: str, source_evidence_id: int | None = None
) -> PersonPhoto:
    """Add an image of a person: checked from its content, stored once, hashed while it streams."""
    from django.conf import settings
    from django.core.files import File
    from django.core.files.storage import default_storage

    if not _may_manage(viewer, person):
        raise NotEntitled(
            [FieldError("person", "Only the partnership that keeps this record may add images.")]
        )
    content_type = photo_check(fileobj=fileobj, filename=filename)
    size = file_size(fileobj)
    reader = HashingReader(fileobj, size, settings.SHOPWATCH_MAX_PHOTO_BYTES)
    name = f"people/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
    stored = default_storage.save(name, File(reader, name=name))  # type: ignore[arg-type]
    sha256, _ = reader.finish()
    existing = PersonPhoto.objects.filter(person=person, sha256=sha256).first()
    if existing is not None:
        default_storage.delete(stored)
        return existing
    photo = PersonPhoto.objects.create(
        person=person,
        file=stored,
        sha256=sha256,
        size=size,
        content_type=content_type,
        source_evidence_id=source_evidence_id,
        uploaded_by_id=viewer.user_id,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="person",
        object_id=person.pk,
        partnership_id=person.partnership_id,
        summary=f"Image added ({sha256[:12]})",
    )
    return photo


def person_photo_thumbnail_ensure(*, photo: PersonPhoto) -> str | None:
    """The storage name of the photo's thumbnail, made and kept on first request (None if not renderable).

    A derived file (at most 480 px, upright, JPEG without metadata) stored under thumbs/people/ apart from
    the original, which is never changed. Not audited itself: serving it is, as a view of the person.
    """
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from .thumbnails import person_thumbnail

    if photo.thumbnail:
        return str(photo.thumbnail.name)
    with default_storage.open(photo.file.name, "rb") as original:
        data = person_thumbnail(original)
    if data is None:
        return None
    name = default_storage.save(
        f"thumbs/people/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.jpg", ContentFile(data)
    )
    claimed = PersonPhoto.objects.filter(pk=photo.pk, thumbnail="").update(thumbnail=name)
    if not claimed:  # another request made one first (or the photo is gone): keep theirs
        default_storage.delete(name)
        photo.refresh_from_db(fields=["thumbnail"])
        return str(photo.thumbnail.name) if photo.thumbnail else None
    photo.thumbnail.name = name
    return name


def _may_manage(viewer: Viewer, person: Person) -> bool:
    return can(viewer, Action.MANAGE_PERSON, person)


RECTIFIABLE = (
    "given_name",
    "family_name",
    "date_of_birth",
    "age_min",
    "age_max",
    "height_cm",
    "build",
    "hair",
    "distinguishing_features",
    "description",
    "status",
)


@transaction.atomic
def person_rectify(*, viewer: Viewer, person: Person, changes: dict[str, Any], reason: str) -> Person:
    """Correct a person's record; each changed field is logged with the reason."""
    if not _may_manage(viewer, person):
        raise NotEntitled(
            [FieldError("person", "Only the partnership that keeps this record may correct it.")]
        )
    if not reason.strip():
        raise ValidationFailed([FieldError("reason", "Say why the record is corrected.")])
    unknown = [f for f in changes if f not in RECTIFIABLE]
    if unknown:
        raise ValidationFailed([FieldError(f, "This field cannot be corrected here.") for f in unknown])
    log = []
    for field, value in changes.items():
        old = getattr(person, field)
        if old != value:
            setattr(person, field, value)
            log.append(
                Rectification(
                    person=person,
                    field=field,
                    old_value=str(old or ""),
                    new_value=str(value or ""),
                    reason=reason.strip()[:500],
                    by_id=viewer.user_id,
                )
            )
    if log:
        person.updated_at = timezone.now()
        person.save(update_fields=[r.field for r in log] + ["updated_at"])
        Rectification.objects.bulk_create(log)
        audit_record(
            viewer=viewer,
            action=AuditAction.CHANGE,
            object_type="person",
            object_id=person.pk,
            partnership_id=person.partnership_id,
            summary=f"Rectified: {', '.join(r.field for r in log)}",
            detail={"reason": reason.strip()[:500]},
        )
    return person


@transaction.atomic
def person_erase(*, viewer: Viewer | None, person: Person, reason: str) -> PersonTombstone:
    """Delete a person and their images, leaving a tombstone without personal data and an audit row.

    ``viewer`` is None for the scheduled retention job. Links from incidents are kept as descriptions
    only (the incident stays; who it was does not).
    """
    from django.core.files.storage import default_storage

    if viewer is not None and not _may_manage(viewer, person):
        raise NotEntitled([FieldError("person", "Only the partnership that keeps this record may erase it.")])
    if not reason.strip():
        raise ValidationFailed([FieldError("reason", "Say why the record is erased.")])
    files = [n for p in person.photos.all() for n in (p.file.name, p.thumbnail.name) if n]
    tomb = PersonTombstone.objects.create(
        person_id=person.pk,
        partnership_id=person.partnership_id,
        reason=reason.strip()[:300],
        deleted_by_id=viewer.user_id if viewer else None,
    )
    from shopwatch.core.audit import audit_record as _audit
    from shopwatch.core.entitlements import Viewer as _V

    _audit(
        viewer=viewer or _V(user_id=None, channel="system"),
        action=AuditAction.DELETE,
        object_type="person",
        object_id=person.pk,
        partnership_id=person.partnership_id,
        summary=f"Erased: {reason.strip()[:200]}",
        organisation_id=person.owner_org_id,
    )
    person.delete()

    def delete_files() -> None:
        for name in files:
            default_storage.delete(name)

    transaction.on_commit(delete_files)
    return tomb
