"""Which dashboards a viewer may open, and the filter each applies to the rollups.

Dashboards show aggregates, so they read the rollups rather than records; the filter is derived from the same
`Viewer` the record entitlement mechanism uses, with the same rules: a store sees its own store, a retailer
its estate, a partnership what its stores shared with it, a force what was shared with or sent to it, and a
PCC office its force area, in aggregate only, with small counts suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404

from shopwatch.core.entitlements import NOT_FOUND_MESSAGE, Viewer
from shopwatch.core.models import Distribution, Organisation, OrganisationKind, Role, Store

PARTNERSHIP_LEVELS = [
    Distribution.PARTNERSHIP,
    Distribution.CONNECTED,
    Distribution.ALL_PARTNERSHIPS,
    Distribution.POLICE,
]
SUPPRESS_BELOW = 5


@dataclass(frozen=True)
class DashboardScope:
    kind: str  # store | retailer | partnership | force | pcc
    key: str  # store id, or organisation slug
    title: str
    filter: Q
    force_ids: frozenset[int]
    store_ids: frozenset[int] | None  # None: every store matching the filter
    suppress: bool  # aggregates only: counts below SUPPRESS_BELOW are hidden
    people: bool  # may list the top offenders (persons are still filtered by the record mechanism)

    @property
    def slug(self) -> str:
        return f"{self.kind}/{self.key}"


def _partnership_store_ids(partnership_id: int) -> frozenset[int]:
    return frozenset(
        Store.partnerships.through.objects.filter(organisation_id=partnership_id).values_list(
            "store_id", flat=True
        )
    )


def available_scopes(viewer: Viewer) -> list[DashboardScope]:
    """Every dashboard the viewer may open, most specific first."""
    scopes: list[DashboardScope] = []
    if viewer.user_id is None:
        return scopes
    stores = Store.objects.in_bulk(list(viewer.store_ids))
    for store in sorted(stores.values(), key=lambda s: s.name):
        scopes.append(
            DashboardScope(
                "store",
                str(store.pk),
                store.name,
                Q(store_id=store.pk),
                frozenset({store.force_id}),
                frozenset({store.pk}),
                False,
                True,
            )
        )
    orgs = Organisation.objects.in_bulk(list(viewer.org_wide_ids | viewer.managed_partnership_ids))
    pcc_orgs = []
    if viewer.has_role(Role.PCC_SCRUTINY):
        pcc_orgs = list(
            Organisation.objects.filter(
                memberships__user_id=viewer.user_id,
                memberships__role=Role.PCC_SCRUTINY,
                memberships__active=True,
                kind=OrganisationKind.PCC_OFFICE,
            )
        )
    for org in sorted(orgs.values(), key=lambda o: o.name):
        if org.kind == OrganisationKind.RETAILER:
            scopes.append(
                DashboardScope(
                    "retailer",
                    org.slug,
                    f"{org.name} estate",
                    Q(retailer_id=org.pk),
                    frozenset(Store.objects.filter(retailer=org).values_list("force_id", flat=True)),
                    None,
                    False,
                    True,
                )
            )
        elif org.kind == OrganisationKind.PARTNERSHIP:
            ids = _partnership_store_ids(org.pk)
            scopes.append(
                DashboardScope(
                    "partnership",
                    org.slug,
                    org.name,
                    Q(store_id__in=ids, distribution__in=PARTNERSHIP_LEVELS),
                    frozenset({org.force_id}) if org.force_id else frozenset(),
                    ids,
                    False,
                    True,
                )
            )
        elif org.kind == OrganisationKind.POLICE_FORCE:
            scopes.append(
                DashboardScope(
                    "force",
                    org.slug,
                    org.name,
                    Q(force_id=org.pk) & (Q(distribution=Distribution.POLICE) | Q(sent_to_police=True)),
                    frozenset({org.pk}),
                    None,
                    False,
                    True,
                )
            )
    for org in pcc_orgs:
        if org.force_id:
            scopes.append(
                DashboardScope(
                    "pcc",
                    org.slug,
                    f"{org.name} (force area)",
                    Q(force_id=org.force_id),
                    frozenset({org.force_id}),
                    None,
                    True,
                    False,
                )
            )
    if viewer.platform_admin:
        for force in Organisation.objects.filter(kind=OrganisationKind.POLICE_FORCE).order_by("name"):
            if not any(s.kind == "force" and s.key == force.slug for s in scopes):
                scopes.append(
                    DashboardScope(
                        "force",
                        force.slug,
                        f"{force.name} area (all reports)",
                        Q(force_id=force.pk),
                        frozenset({force.pk}),
                        None,
                        False,
                        True,
                    )
                )
    return scopes


def scope_for(viewer: Viewer, kind: str, key: str) -> DashboardScope:
    for s in available_scopes(viewer):
        if s.kind == kind and s.key == key:
            return s
    raise Http404(NOT_FOUND_MESSAGE)
