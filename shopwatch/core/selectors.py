"""Reading organisations, stores and people, scoped to the viewer."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .entitlements import Viewer
from .models import Membership, Organisation, OrganisationKind, Store, User


def store_list(*, viewer: Viewer) -> QuerySet[Store]:
    """Stores the viewer may see: their own, their estate's, their partnerships', their force's."""
    qs = Store.objects.select_related("retailer", "force").prefetch_related("partnerships")
    if viewer.platform_admin:
        return qs.order_by("name", "id")
    partnerships = viewer.partnership_ids | viewer.connected_partnership_ids
    q = Q(pk__in=viewer.reportable_store_ids) | Q(pk__in=viewer.store_ids)
    if partnerships:
        q |= Q(pk__in=Store.partnerships.through.objects.filter(organisation_id__in=partnerships).values("store_id"))
    if viewer.police_force_ids:
        q |= Q(force_id__in=viewer.police_force_ids)
    if viewer.national_police:
        q = Q()
    if viewer.user_id is None:
        return qs.none()
    return qs.filter(q).order_by("name", "id")


def managed_partnerships(*, viewer: Viewer) -> QuerySet[Organisation]:
    if viewer.platform_admin:
        return Organisation.objects.filter(kind=OrganisationKind.PARTNERSHIP)
    return Organisation.objects.filter(pk__in=viewer.managed_partnership_ids)


def partnership_members(*, viewer: Viewer, partnership: Organisation) -> QuerySet[Membership]:
    """Everyone who takes part in a partnership: its staff and the staff of its member stores."""
    if partnership.pk not in viewer.managed_partnership_ids and not viewer.platform_admin:
        return Membership.objects.none()
    stores = Store.partnerships.through.objects.filter(organisation_id=partnership.pk).values("store_id")
    return (
        Membership.objects.filter(Q(organisation=partnership) | Q(store__in=stores))
        .select_related("user", "store", "organisation")
        .order_by("user__full_name", "id")
    )


def user_accounts() -> QuerySet[User]:
    """All users with their memberships, for operators (``shopwatch accounts``)."""
    return User.objects.prefetch_related("memberships__organisation", "memberships__store").order_by("email")
