"""Reads for face search, scoped to the viewer: the gallery a search runs against, searches, records."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer, scope
from shopwatch.core.models import AuditAction, Organisation, OrganisationKind
from shopwatch.evidence.selectors import evidence_queryset
from shopwatch.subjects.models import Person

from . import engine
from .models import FaceCandidate, FaceDecision, FaceEncoding, FaceSearch, FaceSettings, Outcome, SearchStatus
from .rules import enabled_partnership_ids, may_search, searchable_q, searches_as_police


def searchable_persons(viewer: Viewer) -> QuerySet[Person]:
    """The people the viewer may search for: those they may see, on the watchlist by its rules, and for a
    partnership manager only those kept by a partnership that has switched face search on."""
    people = scope(Person.objects.all(), viewer).filter(searchable_q())
    if not searches_as_police(viewer):
        people = people.filter(partnership_id__in=enabled_partnership_ids(viewer))
    return people


def gallery_encodings(viewer: Viewer, *, exclude_evidence_id: int | None = None) -> QuerySet[FaceEncoding]:
    """Stored faces a search by the viewer runs against: gallery photos of searchable people, and evidence
    stills of them the viewer may see (never a still deleted under retention, never the still searched)."""
    visible_evidence = evidence_queryset(viewer).filter(deleted_at__isnull=True).values("pk")
    rows = FaceEncoding.objects.filter(
        vector__isnull=False, person__in=searchable_persons(viewer).values("pk")
    )
    rows = rows.filter(Q(photo__isnull=False) | Q(evidence__in=visible_evidence))
    if exclude_evidence_id is not None:
        rows = rows.exclude(evidence_id=exclude_evidence_id)
    return rows


@dataclass
class LoadedGallery:
    gallery: engine.Gallery
    person_of: dict[int, int]


def gallery_load(viewer: Viewer, *, exclude_evidence_id: int | None = None) -> LoadedGallery:
    query = gallery_encodings(viewer, exclude_evidence_id=exclude_evidence_id)
    rows = [(pk, person, bytes(v)) for pk, person, v in query.values_list("pk", "person_id", "vector") if v]
    keys = [pk for pk, _, _ in rows]
    vectors = (
        np.stack([engine.from_bytes(v) for _, _, v in rows])
        if rows
        else np.zeros((0, engine.ENCODING_SIZE), dtype=np.float32)
    )
    return LoadedGallery(engine.Gallery(keys, vectors), {pk: person for pk, person, _ in rows})


def search_queryset(viewer: Viewer) -> QuerySet[FaceSearch]:
    """Searches the viewer may open: their own, and those of their force or partnership (as police or
    partnership managers who may search themselves)."""
    if viewer.user_id is None:
        return FaceSearch.objects.none()
    q = Q(searched_by_id=viewer.user_id)
    if viewer.platform_admin:
        q = Q(pk__isnull=False)
    elif may_search(viewer):
        if searches_as_police(viewer):
            q |= Q(organisation_id__in=viewer.police_force_ids)
        q |= Q(organisation_id__in=enabled_partnership_ids(viewer))
    return FaceSearch.objects.filter(q)


def search_list(*, viewer: Viewer, limit: int = 50) -> list[FaceSearch]:
    rows: list[FaceSearch] = list(
        search_queryset(viewer)
        .select_related("searched_by", "probe")
        .annotate(n_candidates=Count("candidates"))
        .order_by("-created_at", "-pk")[:limit]
    )
    if rows:
        audit_record(
            viewer=viewer,
            action=AuditAction.LIST,
            object_type="face_search",
            summary=f"{len(rows)} face searches listed",
            detail={"searches": [s.pk for s in rows]},
        )
    return rows


def search_get(*, viewer: Viewer, search_id: int, audit: bool = True) -> FaceSearch:
    """One search the viewer may open, or the same 404 a missing one gets; the view is audited."""
    try:
        search = (
            search_queryset(viewer)
            .select_related("searched_by", "probe__incident__store", "organisation")
            .get(pk=search_id)
        )
    except FaceSearch.DoesNotExist as exc:
        raise Http404(NOT_FOUND_MESSAGE) from exc
    if audit:
        persons = list(search.candidates.values_list("person_id", flat=True))
        audit_record(
            viewer=viewer,
            action=AuditAction.VIEW,
            object_type="face_search",
            object_id=search.pk,
            summary=f"Face search {search.pk} opened ({len(persons)} candidates)",
            detail={"persons": persons},
        )
    return search


def candidates_of(search: FaceSearch) -> list[FaceCandidate]:
    return list(
        search.candidates.select_related("person", "encoding__photo", "encoding__evidence").order_by("rank")
    )


def decisions_of(search: FaceSearch) -> list[FaceDecision]:
    return list(search.decisions.select_related("reviewer", "candidate__person").order_by("decided_at", "pk"))


@dataclass
class ProcessingRecord:
    partnership: Organisation
    settings: FaceSettings | None
    calibration: engine.Calibration
    searches: int
    searches_with_candidates: int
    decisions: dict[str, int]
    awaiting: int
    encodings: int
    excluded_people: int

    @property
    def decided(self) -> int:
        return sum(self.decisions.values())

    @property
    def match_share(self) -> float | None:
        """Of the reviewed searches with candidates, the share a reviewer called a match."""
        return self.decisions.get(Outcome.MATCH, 0) / self.decided if self.decided else None


def processing_record(*, viewer: Viewer, slug: str) -> ProcessingRecord:
    """A partnership's record of processing for face search: its managers, police of its force area,
    analysts and admins may read it (counts only, no personal data)."""
    partnership = Organisation.objects.filter(slug=slug, kind=OrganisationKind.PARTNERSHIP).first()
    if partnership is None or not (
        viewer.platform_admin
        or partnership.pk in viewer.managed_partnership_ids
        or (viewer.is_police and (viewer.national_police or partnership.force_id in viewer.police_force_ids))
    ):
        raise Http404(NOT_FOUND_MESSAGE)
    settings = FaceSettings.objects.filter(partnership=partnership).first()
    # Searches by its managers, and searches of stills from its member stores.
    searches = FaceSearch.objects.filter(
        Q(organisation=partnership) | Q(probe__incident__store__partnerships=partnership)
    ).distinct()
    decisions: dict[str, int] = {}
    for outcome, n in (
        FaceDecision.objects.filter(search__in=searches.values("pk"))
        .values_list("outcome")
        .annotate(n=Count("pk"))
        .values_list("outcome", "n")
    ):
        decisions[str(outcome)] = int(n)
    record = ProcessingRecord(
        partnership=partnership,
        settings=settings,
        calibration=engine.CALIBRATION,
        searches=searches.count(),
        searches_with_candidates=searches.filter(candidates__isnull=False).distinct().count(),
        decisions=decisions,
        awaiting=searches.exclude(status=SearchStatus.DECIDED).count(),
        encodings=FaceEncoding.objects.filter(person__partnership=partnership, vector__isnull=False).count(),
        excluded_people=Person.objects.filter(partnership=partnership, face_exclusion__isnull=False).count(),
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.VIEW,
        object_type="face_processing_record",
        object_id=partnership.pk,
        partnership_id=partnership.pk,
        summary=f"Face search processing record of {partnership.name}",
    )
    return record
