"""Who may be searched for and who may search: the watchlist rules and the entitlement to search.

The watchlist rules follow the ICO's Facewatch decision (2023): only people with repeat or serious
offending, never anyone under 18 (or whose age is not known to be 18 or over), never anyone flagged
vulnerable. They are applied in the query that builds every search's gallery, so they hold at the moment
of each search. The thresholds are settings:

* ``SHOPWATCH_FACES_REPEAT_INCIDENTS`` (default 2): incidents naming the person that make offending "repeat";
* ``SHOPWATCH_FACES_WINDOW_MONTHS`` (default 24): how far back those incidents count;
* a single incident with violence, a weapon or an injured member of staff in that window is "serious".
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from shopwatch.core.capabilities import Action, can
from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import Role
from shopwatch.reporting.models import IncidentOffender
from shopwatch.subjects.models import Person

from .models import FaceSettings

DEFAULT_REPEAT_INCIDENTS = 2
DEFAULT_WINDOW_MONTHS = 24
ADULT_AGE = 18
SEARCH_ROLES = (Role.POLICE_INVESTIGATOR, Role.POLICE_SUPERVISOR)


def repeat_incidents() -> int:
    return max(1, int(getattr(settings, "SHOPWATCH_FACES_REPEAT_INCIDENTS", DEFAULT_REPEAT_INCIDENTS)))


def window_months() -> int:
    return max(1, int(getattr(settings, "SHOPWATCH_FACES_WINDOW_MONTHS", DEFAULT_WINDOW_MONTHS)))


def _adult_born_by(today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year - ADULT_AGE)
    except ValueError:  # 29 February
        return today.replace(year=today.year - ADULT_AGE, day=28)


def searchable_q(*, now: dt.datetime | None = None) -> Q:
    """The filter over Person that keeps exactly the people a face search may return."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=round(window_months() * 30.44))
    recent = IncidentOffender.objects.filter(person__isnull=False, incident__occurred_at__gte=since)
    repeat = (
        recent.values("person_id")
        .annotate(n=Count("incident_id", distinct=True))
        .filter(n__gte=repeat_incidents())
        .values("person_id")
    )
    serious = recent.filter(
        Q(incident__flag_violence=True) | Q(incident__flag_weapon=True) | Q(incident__flag_staff_injured=True)
    ).values("person_id")
    adult = Q(date_of_birth__lte=_adult_born_by(timezone.localdate(now))) | Q(
        date_of_birth__isnull=True, age_min__gte=ADULT_AGE
    )
    return adult & Q(face_exclusion__isnull=True) & (Q(pk__in=repeat) | Q(pk__in=serious))


def watchlist_reasons(person: Person, *, now: dt.datetime | None = None) -> list[str]:
    """Why a person is not searchable, in words; empty when they are."""
    now = now or timezone.now()
    reasons = []
    age = person.age_on(timezone.localdate(now))
    if age is not None and age < ADULT_AGE:
        reasons.append("under 18")
    elif person.date_of_birth is None and (person.age_min is None or person.age_min < ADULT_AGE):
        reasons.append("not known to be 18 or over")
    if hasattr(person, "face_exclusion"):
        reasons.append("flagged vulnerable")
    if not reasons and not Person.objects.filter(searchable_q(now=now), pk=person.pk).exists():
        reasons.append(
            f"no serious incident and fewer than {repeat_incidents()} incidents in {window_months()} months"
        )
    return reasons


def enabled_partnership_ids(viewer: Viewer) -> frozenset[int]:
    """The partnerships the viewer manages that have recorded a DPIA and switched face search on."""
    if not viewer.managed_partnership_ids:
        return frozenset()
    rows = FaceSettings.objects.filter(
        partnership_id__in=viewer.managed_partnership_ids, enabled=True, dpia_approved_on__isnull=False
    ).exclude(dpia_reference="")
    return frozenset(rows.values_list("partnership_id", flat=True))


def searches_as_police(viewer: Viewer) -> bool:
    return viewer.is_police and viewer.has_role(*SEARCH_ROLES)


def may_search(viewer: Viewer) -> bool:
    """Police investigators and supervisors; partnership managers only where their partnership has a DPIA
    recorded and has switched face search on: ``search_faces`` in the capability table."""
    return can(viewer, Action.SEARCH_FACES)


def manages_a_searching_partnership(viewer: Viewer, record: object) -> bool:
    """The capability table's "manages a partnership searching faces" relation (registered at start-up):
    of the record (a partnership) or, without one, of any partnership."""
    enabled = enabled_partnership_ids(viewer)
    if record is None:
        return bool(enabled)
    return getattr(record, "pk", None) in enabled
