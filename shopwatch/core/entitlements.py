"""The one entitlement mechanism.

Every selector that reads records calls :func:`scope` (lists) or :func:`get_visible` (one record).
Both are driven by the same :func:`visible_q`, so a list and a detail page can never disagree, and a
record the viewer may not see is indistinguishable from one that does not exist.

A record's audience comes from its owning organisation, its distribution level, its named sharing
group, and where it sits (the store and so the partnerships and police force area). Each shareable
model declares an :class:`Audience` saying where those facts live on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from .models import (
    POLICE_ROLES,
    STORE_ROLES,
    Distribution,
    Membership,
    Network,
    Organisation,
    OrganisationKind,
    PartnershipMembership,
    Role,
    SharingGroup,
    Store,
)

NOT_FOUND_MESSAGE = "Not found."

_PARTNERSHIP_LEVELS = [
    Distribution.PARTNERSHIP,
    Distribution.CONNECTED,
    Distribution.ALL_PARTNERSHIPS,
    Distribution.POLICE,
]
_CONNECTED_LEVELS = [Distribution.CONNECTED, Distribution.ALL_PARTNERSHIPS, Distribution.POLICE]
_NATIONAL_LEVELS = [Distribution.ALL_PARTNERSHIPS, Distribution.POLICE]


@dataclass(frozen=True)
class Viewer:
    """What one user (or an API key acting for them) is entitled to, worked out once per request."""

    user_id: int | None
    roles: frozenset[str] = frozenset()
    org_ids: frozenset[int] = frozenset()
    # Organisations whose every record the viewer may see (security manager of a retailer,
    # partnership manager of a partnership, police of a force).
    org_wide_ids: frozenset[int] = frozenset()
    store_ids: frozenset[int] = frozenset()
    partnership_ids: frozenset[int] = frozenset()
    managed_partnership_ids: frozenset[int] = frozenset()
    connected_partnership_ids: frozenset[int] = frozenset()
    police_force_ids: frozenset[int] = frozenset()
    national_police: bool = False
    sharing_group_ids: frozenset[int] = frozenset()
    reportable_store_ids: frozenset[int] = frozenset()
    platform_admin: bool = False
    primary_org_id: int | None = None
    force_id: int | None = None
    channel: str = "web"
    api_key_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_pcc(self) -> bool:
        return Role.PCC_SCRUTINY in self.roles

    @property
    def is_police(self) -> bool:
        return bool(self.police_force_ids) or self.national_police

    @property
    def sees_people(self) -> bool:
        """PCC scrutiny and navigators see no offender records through the shared mechanism."""
        return self.platform_admin or bool(self.roles - {Role.PCC_SCRUTINY, Role.NAVIGATOR})

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def can_report_for(self, store_id: int) -> bool:
        return store_id in self.reportable_store_ids


ANONYMOUS = Viewer(user_id=None)


def build_viewer(user: Any, *, channel: str = "web", api_key_id: int | None = None) -> Viewer:
    """Work out a user's entitlements from their active memberships (a handful of queries)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    memberships = list(
        Membership.objects.filter(user_id=user.pk, active=True).select_related("organisation", "store")
    )
    roles = {m.role for m in memberships}
    org_ids = {m.organisation_id for m in memberships}
    org_wide: set[int] = set()
    store_ids: set[int] = set()
    partnerships: set[int] = set()
    managed: set[int] = set()
    forces: set[int] = set()
    national = False
    reportable: set[int] = set()
    retailer_estates: set[int] = set()
    force_id: int | None = None

    for m in memberships:
        org = m.organisation
        if m.role in STORE_ROLES and m.store_id is not None:
            store_ids.add(m.store_id)
            reportable.add(m.store_id)
        elif m.role == Role.RETAIL_SECURITY_MANAGER and org.kind == OrganisationKind.RETAILER:
            org_wide.add(org.pk)
            retailer_estates.add(org.pk)
        elif m.role == Role.PARTNERSHIP_MANAGER and org.kind == OrganisationKind.PARTNERSHIP:
            org_wide.add(org.pk)
            managed.add(org.pk)
            partnerships.add(org.pk)
        elif m.role in POLICE_ROLES and org.kind == OrganisationKind.POLICE_FORCE:
            org_wide.add(org.pk)
            forces.add(org.pk)
        elif m.role == Role.ANALYST and org.kind == OrganisationKind.NATIONAL_UNIT:
            org_wide.add(org.pk)
            national = True

    if retailer_estates:
        reportable.update(Store.objects.filter(retailer_id__in=retailer_estates).values_list("pk", flat=True))
        partnerships.update(
            Store.partnerships.through.objects.filter(store__retailer_id__in=retailer_estates).values_list(
                "organisation_id", flat=True
            )
        )
        partnerships.update(
            PartnershipMembership.objects.filter(organisation_id__in=retailer_estates).values_list(
                "partnership_id", flat=True
            )
        )
    if store_ids:
        partnerships.update(
            Store.partnerships.through.objects.filter(store_id__in=store_ids).values_list(
                "organisation_id", flat=True
            )
        )
    if managed:
        reportable.update(
            Store.partnerships.through.objects.filter(organisation_id__in=managed).values_list(
                "store_id", flat=True
            )
        )
    connected: set[int] = set()
    if partnerships:
        connected = (
            set(
                Network.partnerships.through.objects.filter(
                    network_id__in=Network.partnerships.through.objects.filter(
                        organisation_id__in=partnerships
                    ).values("network_id")
                ).values_list("organisation_id", flat=True)
            )
            - partnerships
        )
    groups: set[int] = set()
    if org_wide:
        groups = set(
            SharingGroup.organisations.through.objects.filter(organisation_id__in=org_wide).values_list(
                "sharinggroup_id", flat=True
            )
        )

    primary = memberships[0].organisation if memberships else None
    if forces:
        force_id = min(forces)
    elif store_ids:
        force_id = memberships[0].store.force_id if memberships[0].store else None
    elif primary is not None and primary.force_id is not None:
        force_id = primary.force_id

    return Viewer(
        user_id=user.pk,
        roles=frozenset(roles),
        org_ids=frozenset(org_ids),
        org_wide_ids=frozenset(org_wide),
        store_ids=frozenset(store_ids),
        partnership_ids=frozenset(partnerships),
        managed_partnership_ids=frozenset(managed),
        connected_partnership_ids=frozenset(connected),
        police_force_ids=frozenset(forces),
        national_police=national,
        sharing_group_ids=frozenset(groups),
        reportable_store_ids=frozenset(reportable),
        platform_admin=Role.PLATFORM_ADMIN in roles or bool(user.is_superuser),
        primary_org_id=primary.pk if primary else None,
        force_id=force_id,
        channel=channel,
        api_key_id=api_key_id,
    )


ENTITLEMENT_GENERATION_KEY = "shopwatch:entitlements:generation"


def entitlements_changed() -> None:
    """Call after memberships, stores, partnerships, networks or sharing groups change: cached viewers of
    API keys are rebuilt at once (in this process; in every process when the cache is shared, e.g. Redis)."""
    from django.core.cache import cache

    try:
        cache.incr(ENTITLEMENT_GENERATION_KEY)
    except ValueError:
        cache.set(ENTITLEMENT_GENERATION_KEY, 1, timeout=None)


def cached_viewer(user: Any, *, channel: str, api_key_id: int | None) -> Viewer:
    """The viewer for an API key's user, kept for SHOPWATCH_ENTITLEMENT_CACHE_SECONDS.

    An incident system sends bursts of requests with one key; working out its entitlements once rather than
    on every request halves the cost of a report. A change made through ShopWatch's services takes effect at
    once (`entitlements_changed`); any other change within the cache period.
    """
    from django.conf import settings
    from django.core.cache import cache

    seconds = int(getattr(settings, "SHOPWATCH_ENTITLEMENT_CACHE_SECONDS", 0))
    if seconds <= 0:
        return build_viewer(user, channel=channel, api_key_id=api_key_id)
    generation = cache.get(ENTITLEMENT_GENERATION_KEY, 0)
    key = f"shopwatch:viewer:{generation}:{user.pk}:{channel}:{api_key_id}"
    viewer = cache.get(key)
    if viewer is None:
        viewer = build_viewer(user, channel=channel, api_key_id=api_key_id)
        cache.set(key, viewer, timeout=seconds)
    return viewer  # type: ignore[no-any-return]


def viewer_for(user: Any, *, channel: str = "web", api_key_id: int | None = None) -> Viewer:
    """The viewer for a user, cached on the user object for the rest of the request."""
    cache_attr = f"_shopwatch_viewer_{channel}_{api_key_id}"
    cached = getattr(user, cache_attr, None)
    if cached is None:
        cached = build_viewer(user, channel=channel, api_key_id=api_key_id)
        if user is not None:
            setattr(user, cache_attr, cached)
    return cached


@dataclass(frozen=True)
class Audience:
    """Where a shareable model keeps the facts that decide who may see a record."""

    in_partnerships: Callable[[frozenset[int]], Q]
    in_forces: Callable[[frozenset[int]], Q]
    owner_field: str = "owner_org"
    store_field: str | None = None
    police_flag_field: str | None = None
    distribution_field: str = "distribution"
    group_field: str = "sharing_group"
    # Another distribution that also shares the record with police (an alert follows its incident's).
    police_distribution_field: str | None = None

    def shared_with_police_q(self) -> Q:
        """Records police of their force area may see: distributed to police, or in their hands."""
        shared = Q(**{self.distribution_field: Distribution.POLICE})
        if self.police_distribution_field:
            shared |= Q(**{self.police_distribution_field: Distribution.POLICE})
        if self.police_flag_field:
            shared |= Q(**{self.police_flag_field: True})
        return shared


class Shareable(Protocol):
    audience: Audience


def visible_q(viewer: Viewer, audience: Audience) -> Q:
    """The filter that selects exactly the records of a model the viewer may see."""
    if viewer.user_id is None:
        return Q(pk__in=[])
    if viewer.platform_admin:
        # Everything, as a filter that survives being combined: Q() | X would be just X.
        return Q(pk__isnull=False)
    level = audience.distribution_field
    q = Q(pk__in=[])
    if viewer.org_wide_ids:
        q |= Q(**{f"{audience.owner_field}__in": viewer.org_wide_ids})
    if audience.store_field and viewer.store_ids:
        q |= Q(**{f"{audience.store_field}__in": viewer.store_ids})
    if viewer.partnership_ids:
        q |= Q(**{f"{level}__in": _PARTNERSHIP_LEVELS}) & audience.in_partnerships(viewer.partnership_ids)
        q |= Q(**{f"{level}__in": _NATIONAL_LEVELS})
    if viewer.connected_partnership_ids:
        q |= Q(**{f"{level}__in": _CONNECTED_LEVELS}) & audience.in_partnerships(
            viewer.connected_partnership_ids
        )
    if viewer.police_force_ids or viewer.national_police:
        shared = audience.shared_with_police_q()
        q |= shared if viewer.national_police else shared & audience.in_forces(viewer.police_force_ids)
    if viewer.sharing_group_ids:
        q |= Q(**{level: Distribution.GROUP, f"{audience.group_field}__in": viewer.sharing_group_ids})
    return q


M = TypeVar("M", bound=Model)


def scope(queryset: QuerySet[M], viewer: Viewer) -> QuerySet[M]:
    """Narrow a queryset of a shareable model to what the viewer may see."""
    audience: Audience = queryset.model.audience  # type: ignore[attr-defined]
    return queryset.filter(visible_q(viewer, audience))


def get_visible(queryset: QuerySet[M], viewer: Viewer, **lookup: Any) -> M:
    """One record the viewer may see, or the same 404 a missing record gets."""
    try:
        return scope(queryset, viewer).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404(NOT_FOUND_MESSAGE) from exc


def can_see(viewer: Viewer, obj: Model) -> bool:
    """The object check, answered by the same filter as the lists."""
    model = type(obj)
    return scope(model._default_manager.all(), viewer).filter(pk=obj.pk).exists()


# --- Records owned by one police force or one partnership -------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """Where a record that belongs to one police force or one partnership names its owner.

    Such records (a force's series, case files and hand-offs; a partnership's warning letters and exclusion
    notices) are not shared by distribution: they are seen by the police of the owning force (``force_field``)
    or by the managers of the owning partnership (``partnership_field``), and by platform admins, who see
    everything (docs/decisions/0002-one-entitlement-mechanism.md). Models declare ``owner = Owner(...)``.
    """

    force_field: str | None = None
    partnership_field: str | None = None


class Owned(Protocol):
    owner: Owner


def owned_q(viewer: Viewer, owner: Owner) -> Q:
    """The filter that selects exactly the owned records of a model the viewer may see."""
    if viewer.user_id is None:
        return Q(pk__in=[])
    if viewer.platform_admin:
        return Q(pk__isnull=False)
    q = Q(pk__in=[])
    if owner.force_field and viewer.police_force_ids:
        q |= Q(**{f"{owner.force_field}__in": viewer.police_force_ids})
    if owner.partnership_field and viewer.managed_partnership_ids:
        q |= Q(**{f"{owner.partnership_field}__in": viewer.managed_partnership_ids})
    return q


def owned_scope(queryset: QuerySet[M], viewer: Viewer) -> QuerySet[M]:
    """Narrow a queryset of an owned model (one that declares ``owner``) to what the viewer may see."""
    owner: Owner = queryset.model.owner  # type: ignore[attr-defined]
    return queryset.filter(owned_q(viewer, owner))


def get_owned(queryset: QuerySet[M], viewer: Viewer, **lookup: Any) -> M:
    """One owned record the viewer may see, or the same 404 a missing record gets."""
    try:
        return owned_scope(queryset, viewer).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404(NOT_FOUND_MESSAGE) from exc


def may_manage_partnership_record(viewer: Viewer, partnership_id: int | None) -> bool:
    """Whether the viewer manages the partnership a record belongs to (platform admins manage every one)."""
    return viewer.platform_admin or (
        partnership_id is not None and partnership_id in viewer.managed_partnership_ids
    )


def organisation_by_slug(slug: str) -> Organisation | None:
    return Organisation.objects.filter(slug=slug).first()
