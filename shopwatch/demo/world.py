"""The demo organisations, stores and accounts (everything but persons and incidents)."""

from __future__ import annotations

import datetime as dt
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopwatch.core.models import (
    TWO_FACTOR_ROLES,
    Membership,
    Network,
    Organisation,
    OrganisationKind,
    PartnershipMembership,
    Role,
    Store,
    User,
)

from . import places
from .places import DEMO_DOMAIN, NAMED_ACCOUNTS, ORGANISATIONS, RETAILERS, STORES, AccountSpec, StoreSpec
from .text import FAMILY_NAMES, FIRST_NAMES

DEMO_PASSWORD = "shopwatch-demo"  # noqa: S105 - documented demo password, demo accounts only
DEMO_DEVICE_NAME = "demo"
# RFC 6238's published test key: deliberately public, so anyone can add it to an authenticator app.
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
DEMO_TOTP_KEY_BASE32 = b32encode(unhexlify(DEMO_TOTP_KEY_HEX)).decode()


@dataclass
class DemoWorld:
    orgs: dict[str, Organisation] = field(default_factory=dict)
    stores: dict[str, Store] = field(default_factory=dict)
    specs: dict[str, StoreSpec] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)  # by email
    store_reporter: dict[str, User] = field(default_factory=dict)  # by store key
    security: dict[str, User] = field(default_factory=dict)  # by retailer slug
    investigator: dict[str, User] = field(default_factory=dict)  # by force slug
    partnership_manager: dict[str, User] = field(default_factory=dict)  # by partnership slug


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def all_accounts() -> list[AccountSpec]:
    """The named accounts, then a store reporter for every store that has none yet."""
    accounts = list(NAMED_ACCOUNTS)
    covered = {a.store for a in accounts if a.role == Role.STORE_REPORTER}
    n = 0
    for spec in STORES:
        if spec.key in covered:
            continue
        name = f"{FIRST_NAMES[(n * 7) % len(FIRST_NAMES)]} {FAMILY_NAMES[(n * 11 + 3) % len(FAMILY_NAMES)]}"
        accounts.append(
            AccountSpec(f"reporter.{spec.key}", name, Role.STORE_REPORTER, spec.retailer, spec.key)
        )
        n += 1
    return accounts


def build_world(*, founded: dt.datetime) -> DemoWorld:
    """Create organisations, the Sussex network, stores, accounts and demo two-factor devices."""
    w = DemoWorld()
    for o in ORGANISATIONS:
        w.orgs[o.slug] = Organisation.objects.create(
            kind=o.kind,
            slug=o.slug,
            name=o.name,
            partnership_type=o.partnership_type,
            force=w.orgs[o.force] if o.force else None,
            created_at=founded,
        )
    for r in RETAILERS:
        w.orgs[r.slug] = Organisation.objects.create(
            kind=OrganisationKind.RETAILER, slug=r.slug, name=r.name, created_at=founded
        )
    network = Network.objects.create(slug=places.NETWORK, name="Sussex Business Crime Network")
    network.partnerships.set([w.orgs[places.BRIGHTON], w.orgs[places.CRAWLEY]])

    stores = [
        Store(
            retailer=w.orgs[s.retailer],
            name=s.name,
            code=s.code,
            address=s.address,
            town=s.town,
            postcode=s.postcode,
            latitude=s.latitude,
            longitude=s.longitude,
            force=w.orgs[s.force],
        )
        for s in STORES
    ]
    Store.objects.bulk_create(stores)
    links = []
    members: set[tuple[str, str]] = set()
    for spec, store in zip(STORES, stores, strict=True):
        w.stores[spec.key] = store
        w.specs[spec.key] = spec
        if spec.partnership:
            links.append(
                Store.partnerships.through(store_id=store.pk, organisation_id=w.orgs[spec.partnership].pk)
            )
            members.add((spec.partnership, spec.retailer))
    Store.partnerships.through.objects.bulk_create(links)
    PartnershipMembership.objects.bulk_create(
        [
            PartnershipMembership(partnership=w.orgs[p], organisation=w.orgs[r], joined_at=founded)
            for p, r in sorted(members)
        ]
    )

    accounts = all_accounts()
    password = make_password(DEMO_PASSWORD)
    users = [
        User(
            email=demo_email(a.email_local),
            full_name=a.full_name,
            password=password,
            date_joined=founded,
            # The platform operator manages users, organisations and the audit trail in the admin pages.
            is_staff=a.role == Role.PLATFORM_ADMIN,
            is_superuser=a.role == Role.PLATFORM_ADMIN,
        )
        for a in accounts
    ]
    User.objects.bulk_create(users)
    memberships = []
    devices = []
    for a, u in zip(accounts, users, strict=True):
        w.users[u.email] = u
        memberships.append(
            Membership(
                user=u,
                organisation=w.orgs[a.organisation],
                role=a.role,
                store=w.stores[a.store] if a.store else None,
                created_at=founded,
            )
        )
        if a.role == Role.STORE_REPORTER and a.store:
            w.store_reporter.setdefault(a.store, u)
        elif a.role == Role.RETAIL_SECURITY_MANAGER:
            w.security.setdefault(a.organisation, u)
        elif a.role == Role.POLICE_INVESTIGATOR:
            w.investigator.setdefault(a.organisation, u)
        elif a.role == Role.PARTNERSHIP_MANAGER:
            w.partnership_manager.setdefault(a.organisation, u)
        if a.role in TWO_FACTOR_ROLES:
            devices.append(TOTPDevice(user=u, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY_HEX, confirmed=True))
    Membership.objects.bulk_create(memberships)
    TOTPDevice.objects.bulk_create(devices)
    return w
