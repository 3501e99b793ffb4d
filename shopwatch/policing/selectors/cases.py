"""Series, link suggestions and case files: the records a force's investigators build."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    Q,
    QuerySet,
)
from django.http import Http404

from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer, owned_scope, scope
from shopwatch.core.pagination import (
    keyset_page,
    newest,
)
from shopwatch.reporting.models import Incident
from shopwatch.subjects.models import Person

from ..models import (
    CaseFile,
    LinkSuggestion,
    Series,
    SeriesMember,
    WitnessStatement,
)
from ..services.common import force_incidents
from .queue import _sent_at, reference_filter

#
# Series, suggestions and case files belong to a force: the caller sees its own force's. The incidents in
# them are read through ``force_incidents`` (the entitlement filter), so nothing outside the queue shows.


def _not_found() -> Http404:
    return Http404(NOT_FOUND_MESSAGE)


def series_queryset(viewer: Viewer) -> QuerySet[Series]:
    return owned_scope(Series.objects.all(), viewer)


def _newest_first(
    qs: QuerySet[Any], after: list[Any] | None, limit: int
) -> tuple[list[Any], list[Any] | None]:
    """One page of ``qs`` newest first (created_at, id), and the keyset cursor for the next."""
    return keyset_page(qs, newest(), after, limit)


def series_list(
    *, viewer: Viewer, after: list[Any] | None = None, limit: int = 200
) -> tuple[list[Series], list[Any] | None]:
    """The force's series, newest first, each with ``member_count`` (incidents the caller may see), and the
    keyset cursor for the next page."""
    visible = force_incidents(viewer).values("pk")
    qs: QuerySet[Series] = series_queryset(viewer).annotate(
        member_count=Count("members", filter=Q(members__incident__in=visible))
    )
    return _newest_first(qs, after, limit)


def series_get(*, viewer: Viewer, series_id: int) -> Series:
    """One series of the caller's force; the same 404 for missing and another force's."""
    series = series_queryset(viewer).filter(pk=series_id).first()
    if series is None:
        raise _not_found()
    return series


def series_members(*, viewer: Viewer, series: Series) -> list[SeriesMember]:
    """The incidents in a series (that the caller may see), in the order they happened."""
    return list(
        SeriesMember.objects.filter(series=series, incident__in=force_incidents(viewer).values("pk"))
        .select_related("incident", "incident__store", "added_by")
        .order_by("incident__occurred_at", "incident_id")
    )


def series_for_incident(*, viewer: Viewer, incident: Incident) -> list[Series]:
    return list(series_queryset(viewer).filter(members__incident=incident).order_by("-created_at", "-id"))


def linkable_incidents(
    *, viewer: Viewer, reference: str = "", ids: list[int] | None = None, limit: int = 20
) -> list[Incident]:
    """Incidents of the caller's force queue to choose from when linking: those with ``ids``, or matching a
    reference (any part of it), or else the most recently sent."""
    qs = force_incidents(viewer).select_related("store").annotate(sent_at=_sent_at())
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    elif reference.strip():
        qs = qs.filter(reference_filter(reference))
    return list(qs.order_by("-sent_at", "-id")[:limit])


def suggestion_get(*, viewer: Viewer, suggestion_id: int) -> LinkSuggestion:
    """One link suggestion of the caller's force whose incidents the caller may see; else 404."""
    visible = force_incidents(viewer).values("pk")
    suggestion = (
        owned_scope(LinkSuggestion.objects.all(), viewer)
        .filter(pk=suggestion_id, incident_a__in=visible, incident_b__in=visible)
        .select_related("incident_a", "incident_b", "incident_a__store", "incident_b__store")
        .first()
    )
    if suggestion is None:
        raise _not_found()
    return suggestion


def casefile_queryset(viewer: Viewer) -> QuerySet[CaseFile]:
    return owned_scope(CaseFile.objects.all(), viewer)


def casefile_list(
    *, viewer: Viewer, after: list[Any] | None = None, limit: int = 200
) -> tuple[list[CaseFile], list[Any] | None]:
    """The force's case files, newest first, and the keyset cursor for the next page."""
    qs = casefile_queryset(viewer).select_related("created_by")
    return _newest_first(qs, after, limit)


def casefile_get(*, viewer: Viewer, casefile_id: int) -> CaseFile:
    """One case file of the caller's force; the same 404 for missing and another force's."""
    case = (
        casefile_queryset(viewer)
        .filter(pk=casefile_id)
        .select_related("force", "created_by", "incident", "series", "person")
        .first()
    )
    if case is None:
        raise _not_found()
    return case


def casefile_incidents(*, viewer: Viewer, case: CaseFile) -> list[Incident]:
    from ..services.casefiles import casefile_incidents as covered

    return list(covered(viewer, case))


def casefile_statements(case: CaseFile) -> list[WitnessStatement]:
    return list(
        WitnessStatement.objects.filter(case_file=case)
        .select_related("witness", "incident")
        .order_by("created_at", "id")
    )


def casefile_target_person(*, viewer: Viewer, person_id: int) -> Person | None:
    """A person the caller may see (for an offender's case file), or None."""
    return scope(Person.objects.all(), viewer).filter(pk=person_id).first()


def casefile_target_incident(*, viewer: Viewer, incident_id: int) -> Incident | None:
    """An incident of the caller's force queue (for an incident's case file), or None."""
    return force_incidents(viewer).filter(pk=incident_id).first()


def casefile_target_series(*, viewer: Viewer, series_id: int) -> Series | None:
    """A series of the caller's force (for a series' case file), or None."""
    return series_queryset(viewer).filter(pk=series_id).first()
