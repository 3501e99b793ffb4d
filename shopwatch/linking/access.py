"""Who may use linking at all, and who may decide. Which records a viewer may see is never decided here:
that is the one entitlement mechanism (`shopwatch.core.entitlements`), applied to both persons of a
proposal."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shopwatch.core.capabilities import Action, can
from shopwatch.core.entitlements import Viewer, scope
from shopwatch.core.models import Role
from shopwatch.subjects.models import Person

# Who uses linking and who decides is the capability table's (``use_linking``, ``decide_link``): store
# staff, PCC scrutiny and navigators see nothing of linking; a named investigator or analyst decides.


def may_link(viewer: Viewer) -> bool:
    """``use_linking`` in the capability table."""
    return can(viewer, Action.USE_LINKING)


def may_decide(viewer: Viewer) -> bool:
    """``decide_link`` in the capability table."""
    return viewer.user_id is not None and can(viewer, Action.DECIDE_LINK)


def is_analyst(viewer: Viewer) -> bool:
    return viewer.user_id is not None and Role.ANALYST in viewer.roles


def visible_persons(viewer: Viewer) -> QuerySet[Person]:
    """The persons the viewer may see, as a subquery (the subjects' own filter)."""
    if not may_link(viewer):
        return Person.objects.none()
    return scope(Person.objects.all(), viewer)


def both_visible_q(viewer: Viewer, prefix: str = "") -> Q:
    seen = visible_persons(viewer).values("pk")
    return Q(**{f"{prefix}person_a__in": seen}) & Q(**{f"{prefix}person_b__in": seen})
