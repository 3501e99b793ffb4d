"""Writing persons and vehicles."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError, ValidationFailed
from shopwatch.core.models import AuditAction, Distribution, Organisation, OrganisationKind

from .models import Person, PersonAlias, PersonStatus


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
    if owner_org.pk not in viewer.org_wide_ids and not viewer.platform_admin:
        errors.append(FieldError("owner_org", "You may not create records for this organisation."))
    if partnership is not None and partnership.kind != OrganisationKind.PARTNERSHIP:
        errors.append(FieldError("partnership", "Must be a partnership."))
    if status == PersonStatus.KNOWN and not (given_name.strip() or family_name.strip()):
        errors.append(FieldError("family_name", "A known person needs a name; use 'ID sought' otherwise."))
    if date_of_birth and not (dt.date(1900, 1, 1) <= date_of_birth <= timezone.localdate()):
        errors.append(FieldError("date_of_birth", "Must be a real date in the past."))
    if age_min is not None and age_max is not None and age_min > age_max:
        errors.append(FieldError("age_max", "Must not be below the lower age."))
    for name, value in (("given_name", given_name), ("family_name", family_name), ("description", description)):
        if "\x00" in value:
            errors.append(FieldError(name, "Must not contain NUL characters."))
    if errors:
        raise ValidationFailed(errors)
    person = Person.objects.create(
        owner_org=owner_org,
        partnership=partnership if partnership is not None else (owner_org if owner_org.kind == OrganisationKind.PARTNERSHIP else None),
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        date_of_birth=date_of_birth,
        age_min=age_min,
        age_max=age_max,
        description=description.strip(),
        status=status,
        distribution=distribution,
    )
    PersonAlias.objects.bulk_create([PersonAlias(person=person, name=a.strip()) for a in aliases or [] if a.strip()])
    audit_record(viewer=viewer, action=AuditAction.CREATE, object_type="person", object_id=person.pk,
                 partnership_id=person.partnership_id, summary=person.display_name)
    return person
