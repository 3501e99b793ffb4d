"""Reads of navigator casework, scoped to the viewer.

Cases are records owned by one support provider, like a force's case files are owned by the force
(``core.entitlements.Owner``), except that nobody outside the owning navigator organisation reads them, not
even the platform operator: their needs and support are special category data. Police read one fact only,
through :func:`engaged_for_police`; a PCC office reads aggregates only, through :func:`pcc_outcomes`, with
counts under 5 suppressed.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer, scope
from shopwatch.core.models import (
    AuditAction,
    AuditEvent,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
)
from shopwatch.core.pagination import Key, keyset_order, parse_int
from shopwatch.reporting.models import IncidentOffender
from shopwatch.subjects.models import Person

from .models import CaseStatus, Consent, NavigatorCase, NavigatorSettings

SUPPRESS_BELOW = 5
LIST_KEYS = (Key("id", descending=True, parse=parse_int),)


def navigator_org_ids(viewer: Viewer) -> frozenset[int]:
    """The organisations in which the viewer is a navigator (the only readers of their cases)."""
    if viewer.user_id is None or Role.NAVIGATOR not in viewer.roles:
        return frozenset()
    return frozenset(
        Membership.objects.filter(user_id=viewer.user_id, role=Role.NAVIGATOR, active=True).values_list(
            "organisation_id", flat=True
        )
    )


def settings_for(organisation_id: int) -> NavigatorSettings:
    """A navigator organisation's settings (the defaults until changed)."""
    conf = NavigatorSettings.objects.filter(organisation_id=organisation_id).first()
    return conf or NavigatorSettings(organisation_id=organisation_id)


def case_queryset(viewer: Viewer) -> QuerySet[NavigatorCase]:
    orgs = navigator_org_ids(viewer)
    if not orgs:
        return NavigatorCase.objects.none()
    return NavigatorCase.objects.filter(organisation_id__in=orgs)


def details_visible(case: NavigatorCase) -> bool:
    """Beyond the referral, a case shows only while the person's consent stands."""
    return case.consent == Consent.GIVEN


def case_list(
    *, viewer: Viewer, after: list[Any] | None = None, limit: int = 100, status: str | None = None
) -> tuple[list[NavigatorCase], list[Any] | None]:
    """The viewer's caseload, newest referral first, and the cursor of the next page (audited)."""
    qs = case_queryset(viewer).select_related("person", "navigator")
    if status:
        qs = qs.filter(status=status)
    rows = list(keyset_order(qs, LIST_KEYS, after)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        audit_record(
            viewer=viewer,
            action=AuditAction.LIST,
            object_type="navigator_case",
            summary=f"Listed {len(rows)} navigator cases",
            detail={"ids": [c.pk for c in rows]},
        )
    cursor = [key.cursor_value(rows[-1]) for key in LIST_KEYS] if more else None
    return rows, cursor


def case_get(*, viewer: Viewer, case_id: int, audit: bool = True) -> NavigatorCase:
    """One case of the viewer's organisation; the same 404 for missing and another organisation's."""
    try:
        case = case_queryset(viewer).select_related("person", "navigator").get(pk=case_id)
    except (NavigatorCase.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(NOT_FOUND_MESSAGE) from exc
    if audit:
        audit_record(
            viewer=viewer,
            action=AuditAction.VIEW,
            object_type="navigator_case",
            object_id=case.pk,
            summary="Viewed a navigator case",
            detail={"person": case.person_id, "details": details_visible(case)},
        )
    return case


@dataclass(frozen=True)
class CaseDetail:
    case: NavigatorCase
    needs: list[Any]
    contacts: list[Any]
    onward_referrals: list[Any]
    goals: list[Any]


def case_detail(*, viewer: Viewer, case_id: int) -> CaseDetail:
    case = case_get(viewer=viewer, case_id=case_id)
    if not details_visible(case):
        return CaseDetail(case, [], [], [], [])
    return CaseDetail(
        case,
        list(case.needs.order_by("recorded_at", "id")),
        list(case.contacts.order_by("-on", "-id")),
        list(case.onward_referrals.order_by("referred_on", "id")),
        list(case.goals.order_by("id")),
    )


# --- Offending before and after engagement ---------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, 28))


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=timezone.get_current_timezone())


@dataclass(frozen=True)
class BeforeAfter:
    months: int
    before: int
    after: int
    after_days: int  # how much of the after period has passed (less than months while recent)


def before_after(case: NavigatorCase, *, months: int = 6, today: dt.date | None = None) -> BeforeAfter | None:
    """Incidents naming the person in ``months`` before engagement and since (up to ``months``)."""
    if case.engaged_at is None:
        return None
    today = today or timezone.localdate()
    start = _add_months(case.engaged_at, -months)
    end = min(_add_months(case.engaged_at, months), today)
    links = IncidentOffender.objects.filter(person_id=case.person_id)
    before = (
        links.filter(incident__occurred_at__gte=_at(start), incident__occurred_at__lt=_at(case.engaged_at))
        .values("incident_id")
        .distinct()
        .count()
    )
    after = (
        links.filter(incident__occurred_at__gte=_at(case.engaged_at), incident__occurred_at__lt=_at(end))
        .values("incident_id")
        .distinct()
        .count()
    )
    return BeforeAfter(months, before, after, max(0, (end - case.engaged_at).days))


@dataclass(frozen=True)
class Outcomes:
    months: int
    people: int | None  # None: fewer than 5, suppressed
    before: int | None
    after: int | None
    stopped: int | None  # people with offending before and none after


def _suppress(n: int) -> int | None:
    return n if n >= SUPPRESS_BELOW else None


def pcc_outcomes(*, viewer: Viewer, months: int = 6, today: dt.date | None = None) -> Outcomes:
    """Before and after figures of engaged people in the PCC office's force area, in aggregate only.

    Counted over people whose full after period has passed; every count under 5 is suppressed.
    """
    if Role.PCC_SCRUTINY not in viewer.roles or viewer.force_id is None:
        raise Http404(NOT_FOUND_MESSAGE)
    today = today or timezone.localdate()
    cases = NavigatorCase.objects.filter(
        force_id=viewer.force_id, engaged_at__isnull=False, engaged_at__lte=_add_months(today, -months)
    ).exclude(consent=Consent.REFUSED)
    before = after = stopped = people = 0
    for case in cases:
        figures = before_after(case, months=months, today=today)
        if figures is None:
            continue
        people += 1
        before += figures.before
        after += figures.after
        stopped += figures.before > 0 and figures.after == 0
    audit_record(
        viewer=viewer,
        action=AuditAction.VIEW,
        object_type="navigator_outcomes",
        summary=f"Viewed diversion outcomes over {months} months",
    )
    return Outcomes(months, _suppress(people), _suppress(before), _suppress(after), _suppress(stopped))


def engaged_for_police(*, viewer: Viewer, person_id: int) -> bool:
    """Whether police of the viewer's force may be told the person is engaged with a diversion programme.

    True only for police of the case's force area who may see the person, while consent stands, the case
    is open and its navigator chose to share it. Nothing else of a case ever reaches police.
    """
    if not viewer.police_force_ids or not scope(Person.objects.filter(pk=person_id), viewer).exists():
        return False
    return NavigatorCase.objects.filter(
        Q(person_id=person_id, force_id__in=viewer.police_force_ids, shared_with_police=True),
        consent=Consent.GIVEN,
        status=CaseStatus.ACTIVE,
    ).exists()


# --- Subject access ------------------------------------------------------------------------------------


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _case_record(case: NavigatorCase) -> dict[str, object]:
    """Everything the organisation holds in one case (whatever consent now says: a subject access answer
    covers all that is held)."""
    return {
        "organisation": case.organisation.name,
        "referred_at": _iso(case.referred_at),
        "source": case.get_source_display(),
        "referred_by": case.referred_by,
        "reason": case.reason,
        "prompting_incidents": sorted(case.prompting_incidents.values_list("reference", flat=True)),
        "consent": case.get_consent_display(),
        "consent_at": _iso(case.consent_at),
        "status": case.get_status_display(),
        "engaged_at": _iso(case.engaged_at),
        "shared_with_police": case.shared_with_police,
        "closed_at": _iso(case.closed_at),
        "closure_reason": case.closure_reason,
        "needs": [
            {"area": n.get_area_display(), "detail": n.detail, "recorded_at": _iso(n.recorded_at)}
            for n in case.needs.order_by("recorded_at", "id")
        ],
        "contacts": [
            {"on": _iso(c.on), "kind": c.get_kind_display(), "note": c.note}
            for c in case.contacts.order_by("on", "id")
        ],
        "onward_referrals": [
            {
                "service": o.service,
                "area": o.get_area_display(),
                "referred_on": _iso(o.referred_on),
                "outcome": o.get_outcome_display(),
            }
            for o in case.onward_referrals.order_by("referred_on", "id")
        ],
        "goals": [
            {"goal": g.text, "progress": g.progress, "achieved_on": _iso(g.achieved_on)}
            for g in case.goals.order_by("id")
        ],
    }


def subject_access_archive(*, viewer: Viewer, person_id: int) -> bytes | None:
    """What the viewer's navigator organisation holds about one person, as a ZIP (their cases and who read
    or changed them), or None where the viewer holds no case for the person: only the organisation holding
    a case ever produces its contents. Audited as an export."""
    cases = list(
        case_queryset(viewer)
        .filter(person_id=person_id)
        .select_related("organisation", "person")
        .order_by("id")
    )
    if not cases:
        return None
    person = cases[0].person
    events = AuditEvent.objects.filter(
        object_type="navigator_case", object_id__in=[str(c.pk) for c in cases]
    ).select_related("actor", "organisation")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "person.json",
            json.dumps(
                {
                    "given_name": person.given_name,
                    "family_name": person.family_name,
                    "date_of_birth": _iso(person.date_of_birth),
                },
                indent=2,
            ),
        )
        z.writestr("navigator_cases.json", json.dumps([_case_record(c) for c in cases], indent=2))
        z.writestr(
            "audit.json",
            json.dumps(
                [
                    {
                        "at": _iso(a.at),
                        "who": a.actor.full_name if a.actor else "system",
                        "organisation": a.organisation.name if a.organisation else "",
                        "action": a.action,
                        "summary": a.summary,
                    }
                    for a in events.order_by("at", "id")
                ],
                indent=2,
            ),
        )
        z.writestr(
            "README.txt",
            f"Subject access answer from {cases[0].organisation.name}: what it holds about "
            f"{person.given_name} {person.family_name}.\n"
            "person.json: the name and date of birth on the referral; navigator_cases.json: each referral "
            "with consent, needs, contacts and sessions, onward referrals, goals and closure; audit.json: "
            "who read or changed the cases.\n",
        )
    for case in cases:
        audit_record(
            viewer=viewer,
            action=AuditAction.EXPORT,
            object_type="navigator_case",
            object_id=case.pk,
            organisation_id=case.organisation_id,
            summary="Subject access archive produced",
        )
    return buf.getvalue()


def navigator_orgs_serving(force_id: int | None) -> list[Organisation]:
    """The support providers with navigators that take referrals from a police force area: those recorded
    as serving that area, and those recorded with no area (they serve every area)."""
    if force_id is None:
        return []
    navigating = Membership.objects.filter(role=Role.NAVIGATOR, active=True).values("organisation_id")
    return list(
        Organisation.objects.filter(kind=OrganisationKind.SUPPORT_PROVIDER, pk__in=navigating)
        .filter(Q(force_id=force_id) | Q(force__isnull=True))
        .order_by("name", "id")
    )


def referrer_force_id(viewer: Viewer, person: Person) -> int | None:
    """The police force area a referral from a person's page is made in: a police officer's own force, a
    partnership manager's: the force area of the partnership keeping the person."""
    if viewer.police_force_ids:
        return min(viewer.police_force_ids)
    if person.partnership_id is not None and person.partnership_id in viewer.managed_partnership_ids:
        return (
            Organisation.objects.filter(pk=person.partnership_id).values_list("force_id", flat=True).first()
        )
    return None
