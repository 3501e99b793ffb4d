"""Reads of self-assessments and programmes, scoped to the viewer.

Question sets are public to every signed-in user. A completed assessment is seen by the staff of its store,
its business's organisation-wide staff, the managers of the store's partnerships and platform admins.
PCC offices and partnerships see aggregates only, with counts under 5 suppressed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, can
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer
from shopwatch.core.models import AuditAction, Role, Store

from .models import Assessment, Enrolment, EnrolmentStatus, Programme, QuestionSet

SUPPRESS_BELOW = 5


def template_list(*, viewer: Viewer) -> list[QuestionSet]:
    if viewer.user_id is None:
        return []
    return list(QuestionSet.objects.filter(current=True).order_by("slug"))


def template_get(*, viewer: Viewer, template_id: int) -> QuestionSet:
    try:
        if viewer.user_id is None:
            raise QuestionSet.DoesNotExist
        return QuestionSet.objects.get(pk=template_id)
    except (QuestionSet.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(NOT_FOUND_MESSAGE) from exc


def _assessment_q(viewer: Viewer) -> Q:
    if viewer.user_id is None:
        return Q(pk__in=[])
    if viewer.platform_admin:
        return Q(pk__isnull=False)
    q = Q(pk__in=[])
    if viewer.store_ids:
        q |= Q(store_id__in=viewer.store_ids)
    if viewer.org_wide_ids:
        q |= Q(organisation_id__in=viewer.org_wide_ids)
    if viewer.managed_partnership_ids:
        q |= Q(
            store_id__in=Store.partnerships.through.objects.filter(
                organisation_id__in=viewer.managed_partnership_ids
            ).values("store_id")
        )
    return q


def assessment_queryset(viewer: Viewer) -> QuerySet[Assessment]:
    return Assessment.objects.filter(_assessment_q(viewer))


def assessment_list(*, viewer: Viewer, limit: int = 200) -> list[Assessment]:
    return list(
        assessment_queryset(viewer)
        .select_related("question_set", "store")
        .order_by("-completed_at", "-id")[:limit]
    )


def assessment_get(*, viewer: Viewer, assessment_id: int) -> Assessment:
    try:
        found = (
            assessment_queryset(viewer)
            .select_related("question_set", "store", "organisation")
            .get(pk=assessment_id)
        )
    except (Assessment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(NOT_FOUND_MESSAGE) from exc
    audit_record(
        viewer=viewer,
        action=AuditAction.VIEW,
        object_type="assessment",
        object_id=found.pk,
        store_id=found.store_id,
        summary="Viewed a self-assessment",
    )
    return found


@dataclass(frozen=True)
class Uptake:
    slug: str
    title: str
    stores: int | None  # stores that completed one (None: under 5, suppressed)
    average: int | None
    area_averages: dict[str, int | None]


def _area_stores(viewer: Viewer) -> QuerySet[Store] | None:
    """The stores whose figures the viewer may see in aggregate (PCC: the force area; managers: theirs)."""
    if viewer.platform_admin:
        return Store.objects.all()
    if Role.PCC_SCRUTINY in viewer.roles and viewer.force_id is not None:
        return Store.objects.filter(force_id=viewer.force_id)
    if viewer.managed_partnership_ids:
        return Store.objects.filter(partnerships__in=viewer.managed_partnership_ids).distinct()
    return None


def uptake(*, viewer: Viewer) -> list[Uptake]:
    """Uptake and average scores by area of each current self-assessment (latest per store), in aggregate."""
    stores = _area_stores(viewer)
    if stores is None:
        raise Http404(NOT_FOUND_MESSAGE)
    out = []
    for qs in QuestionSet.objects.filter(current=True).order_by("slug"):
        latest: dict[int, Assessment] = {}
        rows = Assessment.objects.filter(question_set__slug=qs.slug, store__in=stores.values("pk"))
        for a in rows.order_by("completed_at", "id"):
            if a.store_id is not None:
                latest[a.store_id] = a
        n = len(latest)
        shown = n >= SUPPRESS_BELOW
        areas: dict[str, int | None] = {}
        for area in qs.areas:
            values = [a.area_scores.get(area["key"]) for a in latest.values()]
            values = [v for v in values if v is not None]
            areas[area["key"]] = round(sum(values) / len(values)) if shown and values else None
        average = round(sum(a.score for a in latest.values()) / n) if shown else None
        out.append(Uptake(qs.slug, qs.title, n if shown else None, average, areas))
    audit_record(
        viewer=viewer, action=AuditAction.VIEW, object_type="assessment_uptake", summary="Viewed uptake"
    )
    return out


@dataclass(frozen=True)
class ProgrammeFigures:
    programme: Programme
    enrolled: int
    attending: int
    completed: int


def programme_list(*, viewer: Viewer) -> list[ProgrammeFigures]:
    """Programmes open to the viewer's stores or partnerships (PCC: in its force area), with uptake."""
    if viewer.user_id is None:
        return []
    qs = Programme.objects.select_related("funder", "partnership")
    if not viewer.platform_admin:
        q = Q(partnership_id__in=viewer.partnership_ids | viewer.managed_partnership_ids)
        if Role.PCC_SCRUTINY in viewer.roles and viewer.force_id is not None:
            q |= Q(partnership__force_id=viewer.force_id)
        qs = qs.filter(q)
    rows = qs.annotate(
        enrolled=Count("enrolments", filter=~Q(enrolments__status=EnrolmentStatus.WITHDRAWN)),
        attending=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ATTENDING)),
        completed=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.COMPLETED)),
    ).order_by("-starts_on", "id")
    return [ProgrammeFigures(p, p.enrolled, p.attending, p.completed) for p in rows]


def repeat_victims_not_taking_part(
    *, viewer: Viewer, since_days: int = 365, at_least: int = 3
) -> list[Store]:
    """Stores of a partnership manager's partnerships with ``at_least`` incidents in the period that have
    neither completed a self-assessment nor enrolled in a programme: whom to invite next."""
    if not viewer.managed_partnership_ids and not viewer.platform_admin:
        raise Http404(NOT_FOUND_MESSAGE)
    since = timezone.now() - dt.timedelta(days=since_days)
    stores = Store.objects.all()
    if not viewer.platform_admin:
        stores = stores.filter(partnerships__in=viewer.managed_partnership_ids)
    return list(
        stores.annotate(recent=Count("incidents", filter=Q(incidents__occurred_at__gte=since), distinct=True))
        .filter(recent__gte=at_least)
        .exclude(pk__in=Assessment.objects.filter(store__isnull=False).values("store_id"))
        .exclude(pk__in=Enrolment.objects.filter(store__isnull=False).values("store_id"))
        .distinct()
        .order_by("-recent", "name")
    )


@dataclass(frozen=True)
class UptakeMonth:
    month: dt.date
    slug: str
    title: str
    completed: int | None  # assessments completed by the area's stores that month (None: under 5)
    average: int | None  # their average score, shown only with 5 or more


def uptake_by_month(*, viewer: Viewer, months: int = 12, today: dt.date | None = None) -> list[UptakeMonth]:
    """Self-assessments completed a month by the viewer's area's stores and their average score, over time,
    per question set (aggregates, counts under 5 suppressed; the same areas as :func:`uptake`). Audited."""
    stores = _area_stores(viewer)
    if stores is None:
        raise Http404(NOT_FOUND_MESSAGE)
    today = today or timezone.localdate()
    first = today.replace(day=1)
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=timezone.get_current_timezone())
    sums: dict[tuple[dt.date, str], list[int]] = {}
    titles: dict[str, str] = {}
    rows = Assessment.objects.filter(store__in=stores.values("pk"), completed_at__gte=since).values_list(
        "completed_at", "score", "question_set__slug", "question_set__title"
    )
    for completed_at, score, slug, title in rows:
        month = timezone.localtime(completed_at).date().replace(day=1)
        titles[slug] = title
        entry = sums.setdefault((month, slug), [0, 0])
        entry[0] += 1
        entry[1] += score
    out = []
    for (month, slug), (n, total) in sorted(sums.items()):
        shown = n >= SUPPRESS_BELOW
        out.append(
            UptakeMonth(month, slug, titles[slug], n if shown else None, round(total / n) if shown else None)
        )
    audit_record(
        viewer=viewer,
        action=AuditAction.VIEW,
        object_type="assessment_uptake",
        summary=f"Viewed uptake by month over {months} months",
    )
    return out


def programme_get(*, viewer: Viewer, programme_id: int) -> ProgrammeFigures:
    """One programme of :func:`programme_list`; the same 404 for missing and out of reach."""
    for figures in programme_list(viewer=viewer):
        if figures.programme.pk == programme_id:
            return figures
    raise Http404(NOT_FOUND_MESSAGE)


def programme_runs(*, viewer: Viewer, programme: Programme) -> bool:
    """Whether the viewer records the programme's enrolments and attendance (``run_programme``: its
    partnership's managers, and the operator)."""
    return can(viewer, Action.RUN_PROGRAMME, programme)


def enrolment_list(*, viewer: Viewer, programme: Programme) -> list[Enrolment]:
    """A programme's enrolments: all of them for its managers and the PCC office of its area; a store's
    staff and retailer see their own stores' only."""
    qs = programme.enrolments.select_related("store", "organisation")
    sees_all = programme_runs(viewer=viewer, programme=programme) or (
        Role.PCC_SCRUTINY in viewer.roles and programme.partnership.force_id == viewer.force_id
    )
    if not sees_all:
        mine = Q(store_id__in=viewer.reportable_store_ids) | Q(organisation_id__in=viewer.org_wide_ids)
        qs = qs.filter(mine)
    return list(qs.order_by("store__name", "id"))


def enrollable_stores(*, viewer: Viewer, programme: Programme) -> list[Store]:
    """Stores the viewer may enrol in the programme: in its partnership, not yet enrolled, and (for a
    store's own staff or retailer) theirs; the programme's managers may enrol any of its stores."""
    stores = Store.objects.filter(partnerships=programme.partnership_id).exclude(
        pk__in=programme.enrolments.filter(store__isnull=False).values("store_id")
    )
    if not programme_runs(viewer=viewer, programme=programme):
        stores = stores.filter(pk__in=viewer.reportable_store_ids)
    return list(stores.distinct().order_by("name", "id"))


def enrolment_get(*, viewer: Viewer, enrolment_id: int) -> Enrolment:
    """One enrolment of a programme the viewer runs (its partnership's managers); else the 404."""
    enrolment = Enrolment.objects.select_related("programme", "store").filter(pk=enrolment_id).first()
    if enrolment is None or not programme_runs(viewer=viewer, programme=enrolment.programme):
        raise Http404(NOT_FOUND_MESSAGE)
    return enrolment
