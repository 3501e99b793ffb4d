"""A small, complete world for tests: every relation the permission matrix needs.

Sussex: Brighton BCRP and Crawley BCRP, connected through the Sussex network.
Thames Valley: Oxford BCRP, connected to neither.
Northway is a national chain with stores in both forces; Corner Shop and Kiosk are independents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from shopwatch.core.entitlements import Viewer, viewer_for
from shopwatch.core.models import (
    Membership,
    Network,
    Organisation,
    OrganisationKind,
    Role,
    Store,
    User,
)
from shopwatch.reporting import services
from shopwatch.reporting.models import Incident

PASSWORD = "correct-horse-battery-staple"


@dataclass
class World:
    orgs: dict[str, Organisation] = field(default_factory=dict)
    stores: dict[str, Store] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def viewer(self, name: str, channel: str = "web") -> Viewer:
        return viewer_for(User.objects.get(pk=self.users[name].pk), channel=channel)

    def report(self, user: str, store: str, **kwargs: object) -> Incident:
        data = services.IncidentInput(
            store_id=self.stores[store].pk,
            type=str(kwargs.pop("type", "theft")),
            occurred_at=kwargs.pop("occurred_at", timezone.now() - dt.timedelta(hours=1)),  # type: ignore[arg-type]
            description=str(kwargs.pop("description", "Took meat from the chiller and left")),
            **kwargs,  # type: ignore[arg-type]
        )
        return services.incident_create(viewer=self.viewer(user), data=data)


def _org(w: World, key: str, kind: str, name: str, **extra: object) -> Organisation:
    w.orgs[key] = Organisation.objects.create(kind=kind, slug=key, name=name, **extra)
    return w.orgs[key]


def _store(
    w: World, key: str, retailer: str, force: str, partnerships: list[str], lat: float, lon: float
) -> Store:
    s = Store.objects.create(
        retailer=w.orgs[retailer],
        name=key.replace("-", " ").title(),
        code=key[:8],
        address="1 High Street",
        town="Town",
        postcode="BN1 1AA",
        latitude=lat,
        longitude=lon,
        force=w.orgs[force],
    )
    s.partnerships.set([w.orgs[p] for p in partnerships])
    w.stores[key] = s
    return s


_HASHED: list[str] = []


def hashed_password() -> str:
    """The Argon2 hash of PASSWORD, computed once: hashing is deliberately slow."""
    if not _HASHED:
        _HASHED.append(make_password(PASSWORD))
    return _HASHED[0]


def _user(w: World, key: str, role: str, org: str, store: str | None = None) -> User:
    u = User.objects.create(
        email=f"{key}@example.org", password=hashed_password(), full_name=key.replace("_", " ").title()
    )
    Membership.objects.create(user=u, organisation=w.orgs[org], role=role, store=w.stores.get(store or ""))
    w.users[key] = u
    return u


def build_world() -> World:
    w = World()
    K = OrganisationKind
    _org(w, "sussex", K.POLICE_FORCE, "Sussex Police")
    _org(w, "thames-valley", K.POLICE_FORCE, "Thames Valley Police")
    _org(w, "brighton-bcrp", K.PARTNERSHIP, "Brighton BCRP", force=w.orgs["sussex"], partnership_type="bcrp")
    _org(w, "crawley-bcrp", K.PARTNERSHIP, "Crawley BCRP", force=w.orgs["sussex"], partnership_type="bcrp")
    _org(
        w, "oxford-bcrp", K.PARTNERSHIP, "Oxford BCRP", force=w.orgs["thames-valley"], partnership_type="bcrp"
    )
    net = Network.objects.create(slug="sussex-network", name="Sussex Business Crime Network")
    net.partnerships.set([w.orgs["brighton-bcrp"], w.orgs["crawley-bcrp"]])
    _org(w, "northway", K.RETAILER, "Northway Foods")
    _org(w, "corner", K.RETAILER, "Corner Shop")
    _org(w, "kiosk", K.RETAILER, "Kiosk News")
    _org(w, "oxshop", K.RETAILER, "Oxford Goods")
    _org(w, "sussex-pcc", K.PCC_OFFICE, "Sussex PCC", force=w.orgs["sussex"])
    _org(w, "navigators", K.SUPPORT_PROVIDER, "Navigator Trust")
    _org(w, "platform", K.PLATFORM, "ShopWatch")

    _store(w, "nw-brighton", "northway", "sussex", ["brighton-bcrp"], 50.8225, -0.1372)
    _store(w, "nw-hove", "northway", "sussex", ["brighton-bcrp"], 50.8279, -0.1688)
    _store(w, "nw-oxford", "northway", "thames-valley", ["oxford-bcrp"], 51.7520, -1.2577)
    _store(w, "corner-brighton", "corner", "sussex", ["brighton-bcrp"], 50.8240, -0.1400)
    _store(w, "kiosk-crawley", "kiosk", "sussex", ["crawley-bcrp"], 51.1130, -0.1870)
    _store(w, "oxshop-oxford", "oxshop", "thames-valley", ["oxford-bcrp"], 51.7540, -1.2550)

    R = Role
    _user(w, "reporter", R.STORE_REPORTER, "northway", "nw-brighton")
    _user(w, "manager", R.STORE_MANAGER, "northway", "nw-brighton")
    _user(w, "other_store_reporter", R.STORE_REPORTER, "northway", "nw-hove")
    _user(w, "security", R.RETAIL_SECURITY_MANAGER, "northway")
    _user(w, "same_partnership_reporter", R.STORE_REPORTER, "corner", "corner-brighton")
    _user(w, "connected_reporter", R.STORE_REPORTER, "kiosk", "kiosk-crawley")
    _user(w, "unconnected_reporter", R.STORE_REPORTER, "oxshop", "oxshop-oxford")
    _user(w, "partnership_manager", R.PARTNERSHIP_MANAGER, "brighton-bcrp")
    _user(w, "connected_partnership_manager", R.PARTNERSHIP_MANAGER, "crawley-bcrp")
    _user(w, "unconnected_partnership_manager", R.PARTNERSHIP_MANAGER, "oxford-bcrp")
    _user(w, "police_sussex", R.POLICE_INVESTIGATOR, "sussex")
    _user(w, "supervisor_sussex", R.POLICE_SUPERVISOR, "sussex")
    _user(w, "analyst_sussex", R.ANALYST, "sussex")
    _user(w, "police_tv", R.POLICE_INVESTIGATOR, "thames-valley")
    _user(w, "pcc", R.PCC_SCRUTINY, "sussex-pcc")
    _user(w, "navigator", R.NAVIGATOR, "navigators")
    _user(w, "admin", R.PLATFORM_ADMIN, "platform")
    return w
