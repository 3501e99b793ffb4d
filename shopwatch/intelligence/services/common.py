"""What every part of intelligence's writes shares: a partnership's settings, who manages it, and a
person the viewer may name."""

from __future__ import annotations

from shopwatch.core.capabilities import Action, require
from shopwatch.core.entitlements import Viewer, scope
from shopwatch.core.errors import FieldError, ValidationFailed
from shopwatch.core.models import Organisation, OrganisationKind
from shopwatch.subjects.models import Person

from ..models import (
    PartnershipSettings,
)


def settings_for(partnership: Organisation) -> PartnershipSettings:
    obj, _ = PartnershipSettings.objects.get_or_create(partnership=partnership)
    return obj


def _require_manager(viewer: Viewer, partnership: Organisation) -> None:
    if partnership.kind != OrganisationKind.PARTNERSHIP:
        raise ValidationFailed([FieldError("partnership", "Must be a partnership.")])
    require(viewer, Action.MANAGE_PARTNERSHIP, partnership)


def _visible_person(viewer: Viewer, person_id: int | None, field: str) -> Person:
    person = scope(Person.objects.all(), viewer).filter(pk=person_id).first() if person_id else None
    if person is None:
        raise ValidationFailed([FieldError(field, "Unknown person, or not one shared with you.")])
    return person
