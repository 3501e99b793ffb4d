"""Reading persons, always through the one entitlement mechanism."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer, get_visible, scope
from shopwatch.core.models import AuditAction

from .models import Person, PersonPhoto


def person_queryset(viewer: Viewer) -> QuerySet[Person]:
    return scope(Person.objects.select_related("partnership").prefetch_related("aliases"), viewer)


def person_list(*, viewer: Viewer, q: str = "", after_id: int | None = None, limit: int = 50) -> list[Person]:
    """One page of the persons the viewer may see, each with ``photo_id``: their latest image, or None."""
    latest_photo = PersonPhoto.objects.filter(person=OuterRef("pk")).order_by("-created_at", "-id")
    qs = person_queryset(viewer).annotate(photo_id=Subquery(latest_photo.values("id")[:1])).order_by("id")
    if q:
        qs = qs.filter(
            Q(given_name__icontains=q) | Q(family_name__icontains=q) | Q(aliases__name__icontains=q)
        ).distinct()
    if after_id is not None:
        qs = qs.filter(id__gt=after_id)
    rows: list[Person] = list(qs[:limit])
    if rows:
        audit_record(
            viewer=viewer,
            action=AuditAction.LIST,
            object_type="person",
            summary=f"Listed {len(rows)} persons",
            detail={"ids": [p.pk for p in rows]},
        )
    return rows


def person_detail(*, viewer: Viewer, person_id: int) -> Person:
    person = get_visible(person_queryset(viewer).prefetch_related("photos"), viewer, pk=person_id)
    audit_record(
        viewer=viewer,
        action=AuditAction.VIEW,
        object_type="person",
        object_id=person.pk,
        partnership_id=person.partnership_id,
        summary=person.display_name,
    )
    return person


def person_export_rows(*, viewer: Viewer, q: str = "", limit: int = 50_000) -> list[Person]:
    """Persons for a CSV export; the export is audited with the ids it contained."""
    qs = person_queryset(viewer).order_by("family_name", "given_name", "id")
    if q:
        qs = qs.filter(
            Q(given_name__icontains=q) | Q(family_name__icontains=q) | Q(aliases__name__icontains=q)
        ).distinct()
    rows = list(qs[:limit])
    audit_record(
        viewer=viewer,
        action=AuditAction.EXPORT,
        object_type="person",
        summary=f"Exported {len(rows)} persons",
        detail={"ids": [p.pk for p in rows]},
    )
    return rows
