"""Reading organisations, stores and people, scoped to the viewer."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from .entitlements import NOT_FOUND_MESSAGE, Viewer
from .models import (
    ApiKey,
    AuditEvent,
    Membership,
    Organisation,
    OrganisationKind,
    PartnershipMembership,
    Role,
    Store,
    User,
)


def store_list(*, viewer: Viewer) -> QuerySet[Store]:
    """Stores the viewer may see: their own, their estate's, their partnerships', their force's."""
    qs = Store.objects.select_related("retailer", "force").prefetch_related("partnerships")
    if viewer.platform_admin:
        return qs.order_by("name", "id")
    partnerships = viewer.partnership_ids | viewer.connected_partnership_ids
    q = Q(pk__in=viewer.reportable_store_ids) | Q(pk__in=viewer.store_ids)
    if partnerships:
        in_partnerships = Store.partnerships.through.objects.filter(organisation_id__in=partnerships)
        q |= Q(pk__in=in_partnerships.values("store_id"))
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


def managed_partnership_get(*, viewer: Viewer, slug: str) -> Organisation:
    """A partnership the viewer manages, or the same 404 a missing one gets."""
    partnership = managed_partnerships(viewer=viewer).filter(slug=slug).first()
    if partnership is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return partnership


def partnership_member_retailer_ids(partnership: Organisation) -> set[int]:
    """Retailers taking part: members by agreement, and retailers with a store in the partnership."""
    linked = set(
        PartnershipMembership.objects.filter(
            partnership=partnership, organisation__kind=OrganisationKind.RETAILER
        ).values_list("organisation_id", flat=True)
    )
    with_stores = set(Store.objects.filter(partnerships=partnership).values_list("retailer_id", flat=True))
    return linked | with_stores


def partnership_stores(*, viewer: Viewer, partnership: Organisation) -> QuerySet[Store]:
    """The partnership's stores, for its managers."""
    if partnership.pk not in viewer.managed_partnership_ids and not viewer.platform_admin:
        return Store.objects.none()
    return Store.objects.filter(partnerships=partnership).select_related("retailer").order_by("name", "id")


def partnership_store_candidates(*, viewer: Viewer, partnership: Organisation) -> QuerySet[Store]:
    """Open stores of member retailers, in the partnership's police area, not yet in the partnership."""
    if partnership.pk not in viewer.managed_partnership_ids and not viewer.platform_admin:
        return Store.objects.none()
    qs = Store.objects.filter(
        retailer_id__in=partnership_member_retailer_ids(partnership), active=True
    ).exclude(partnerships=partnership)
    if partnership.force_id is not None:
        qs = qs.filter(force_id=partnership.force_id)
    return qs.select_related("retailer").order_by("retailer__name", "name", "id")


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


def audit_trail_for_partnership(
    *, viewer: Viewer, partnership_id: int, limit: int = 200
) -> QuerySet[AuditEvent]:
    """A partnership's audit trail: what happened to records at its stores, and what its members did."""
    if partnership_id not in viewer.managed_partnership_ids and not viewer.platform_admin:
        return AuditEvent.objects.none()
    stores = Store.partnerships.through.objects.filter(organisation_id=partnership_id).values("store_id")
    members = Membership.objects.filter(Q(organisation_id=partnership_id) | Q(store__in=stores))
    return (
        AuditEvent.objects.filter(
            Q(store__in=stores) | Q(partnership_id=partnership_id) | Q(actor__in=members.values("user_id"))
        )
        .select_related("actor", "store", "api_key")
        .order_by("-at", "-id")[:limit]
    )


def apikey_list(*, user: User) -> QuerySet[ApiKey]:
    """A user's own API keys, newest first (only a hash of each is kept)."""
    return ApiKey.objects.filter(user=user).order_by("-created_at", "-id")


def memberships_awaiting_consent(*, viewer: Viewer) -> list[Membership]:
    """Store roles proposed by partnership managers at stores where the viewer may consent (the store's
    manager, the retailer's security manager, the operator), oldest first; never the viewer's own."""
    if viewer.user_id is None:
        return []
    qs = Membership.objects.filter(awaiting_consent=True, store__isnull=False).select_related(
        "user", "store", "organisation"
    )
    if not viewer.platform_admin:
        managed = Membership.objects.filter(
            user_id=viewer.user_id, role=Role.STORE_MANAGER, active=True, store__isnull=False
        ).values("store_id")
        qs = qs.filter(Q(store__retailer_id__in=viewer.org_wide_ids) | Q(store_id__in=managed))
    return list(qs.exclude(user_id=viewer.user_id).order_by("created_at", "id"))
