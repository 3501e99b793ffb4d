"""Reading alerts: lists through the one entitlement mechanism, and who an alert goes to."""

from __future__ import annotations

import datetime as dt
import math

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from shopwatch.core.entitlements import Viewer, get_visible, scope
from shopwatch.core.models import (
    POLICE_ROLES,
    Membership,
    OrganisationKind,
    PartnershipMembership,
    Role,
    Store,
)

from .models import Alert, AlertPreference, AlertReceipt, AreaMode

EARTH_KM = 6371.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(a))


def alert_list(*, viewer: Viewer, limit: int = 50) -> list[Alert]:
    return list(
        scope(Alert.objects.select_related("store", "raised_by"), viewer)
        .prefetch_related(Prefetch("receipts", queryset=AlertReceipt.objects.select_related("user")))
        .order_by("-created_at", "-id")[:limit]
    )


# How long an alert stays in the banner of every page while its recipient has not acknowledged it.
BANNER_HOURS = 24
BANNER_LIMIT = 5


def receives_alerts(viewer: Viewer) -> bool:
    """Whether alerts reach this viewer's open pages at all: members taking part in a partnership or working
    at a store (security managers through their estate), and police of a force. A national unit, a PCC
    office, a navigator organisation and platform admins receive none, so their pages open no stream."""
    return bool(viewer.store_ids or viewer.partnership_ids or viewer.police_force_ids)


def banner_alerts(*, viewer: Viewer, now: dt.datetime | None = None) -> list[Alert]:
    """The viewer's current alerts, newest first: raised in the last day, visible to them, meant for them
    (within their chosen distance of one of their stores, when they chose one), not yet acknowledged by them
    and not raised by them. Shown in the banner of every page, so an alert raised before the page opened is
    not missed."""
    if viewer.user_id is None or not receives_alerts(viewer):
        return []
    since = (now or timezone.now()) - dt.timedelta(hours=BANNER_HOURS)
    acknowledged = AlertReceipt.objects.filter(user_id=viewer.user_id, acknowledged_at__isnull=False).values(
        "alert_id"
    )
    qs = (
        scope(Alert.objects.select_related("store"), viewer)
        .filter(created_at__gte=since)
        .exclude(pk__in=acknowledged)
        .exclude(raised_by_id=viewer.user_id)
        .order_by("-created_at", "-id")
    )
    pref = AlertPreference.objects.filter(user_id=viewer.user_id, mode=AreaMode.RADIUS).first()
    homes = (
        [
            (lat, lon)
            for lat, lon in Store.objects.filter(pk__in=viewer.store_ids).values_list("latitude", "longitude")
            if lat is not None and lon is not None
        ]
        if pref is not None
        else []
    )
    if pref is None or not homes:
        return list(qs[:BANNER_LIMIT])
    near = []
    for alert in qs[: BANNER_LIMIT * 10]:
        if any(
            distance_km(lat, lon, alert.store.latitude, alert.store.longitude) <= pref.radius_km
            for lat, lon in homes
        ):
            near.append(alert)
            if len(near) == BANNER_LIMIT:
                break
    return near


ESTATE_DAYS = 7


def estate_alerts(*, viewer: Viewer, now: dt.datetime | None = None, limit: int = 10) -> list[Alert]:
    """Alerts at a retail security manager's stores in the last week, newest first, among those they may see;
    each carries ``acknowledged`` (whether the viewer has acknowledged it)."""
    if viewer.user_id is None:
        return []
    since = (now or timezone.now()) - dt.timedelta(days=ESTATE_DAYS)
    acknowledged = AlertReceipt.objects.filter(
        alert=OuterRef("pk"), user_id=viewer.user_id, acknowledged_at__isnull=False
    )
    return list(
        scope(Alert.objects.select_related("store"), viewer)
        .filter(
            store__retailer_id__in=viewer.org_wide_ids,
            store__retailer__kind=OrganisationKind.RETAILER,
            created_at__gte=since,
        )
        .annotate(acknowledged=Exists(acknowledged))
        .order_by("-created_at", "-id")[:limit]
    )


def alert_detail(*, viewer: Viewer, alert_id: int) -> Alert:
    qs = scope(Alert.objects.select_related("store", "raised_by"), viewer).prefetch_related(
        Prefetch("receipts", queryset=AlertReceipt.objects.select_related("user").order_by("seen_at"))
    )
    return get_visible(qs, viewer, pk=alert_id)


def area_members(store: Store) -> QuerySet[Membership]:
    """Everyone taking part in the store's partnerships: the people an alert at this store is for.

    The same participation rule as the entitlement mechanism: staff of member stores, security managers
    of member retailers, and the partnerships' own managers. Never an unconnected partnership.
    """
    partnership_ids = list(store.partnerships.values_list("pk", flat=True))
    if not partnership_ids:
        return Membership.objects.filter(store=store, active=True, user__is_active=True)
    member_stores = Store.partnerships.through.objects.filter(organisation_id__in=partnership_ids).values(
        "store_id"
    )
    member_retailers = set(
        Store.objects.filter(pk__in=member_stores).values_list("retailer_id", flat=True)
    ) | set(
        PartnershipMembership.objects.filter(partnership_id__in=partnership_ids).values_list(
            "organisation_id", flat=True
        )
    )
    return Membership.objects.filter(
        Q(store__in=member_stores)
        | Q(organisation_id__in=partnership_ids, role=Role.PARTNERSHIP_MANAGER)
        | Q(organisation_id__in=member_retailers, role=Role.RETAIL_SECURITY_MANAGER),
        active=True,
        user__is_active=True,
    )


def alert_recipient_ids(alert: Alert) -> set[int]:
    """The members who receive an alert: the area's members, narrowed by each one's radius choice."""
    store = alert.store
    rows = list(area_members(store).values_list("user_id", "store__latitude", "store__longitude"))
    users = {r[0] for r in rows}
    prefs = {p.user_id: p for p in AlertPreference.objects.filter(user_id__in=users, mode=AreaMode.RADIUS)}
    homes: dict[int, list[tuple[float, float]]] = {}
    for user_id, lat, lon in rows:
        if lat is not None and lon is not None:
            homes.setdefault(user_id, []).append((lat, lon))
    recipients = set()
    for user_id in users:
        pref = prefs.get(user_id)
        if (
            pref is None
            or user_id not in homes
            or any(
                distance_km(lat, lon, store.latitude, store.longitude) <= pref.radius_km
                for lat, lon in homes[user_id]
            )
        ):
            recipients.add(user_id)
    if alert.raised_by_id is not None:
        recipients.discard(alert.raised_by_id)
    return recipients


def shared_with_police(alert: Alert) -> bool:
    """Whether police of the store's force area may see the alert: the same facts the alert's audience
    gives the entitlement mechanism (its distribution, and its incident being in police hands)."""
    return Alert.objects.filter(Alert.audience.shared_with_police_q(), pk=alert.pk).exists()


def force_police_ids(alert: Alert) -> set[int]:
    """Police of the store's force area who may see the alert (none when it is not shared with police)."""
    force_id = alert.store.force_id
    if force_id is None or not shared_with_police(alert):
        return set()
    return set(
        Membership.objects.filter(
            organisation_id=force_id,
            organisation__kind=OrganisationKind.POLICE_FORCE,
            role__in=POLICE_ROLES,
            active=True,
            user__is_active=True,
        ).values_list("user_id", flat=True)
    ) - ({alert.raised_by_id} if alert.raised_by_id is not None else set())


def stream_recipient_ids(alert: Alert) -> set[int]:
    """Whose open pages an alert appears on: the area's members (as for email and push) and the police of the
    force area when it is shared with them. Police follow alerts on open pages only; their own queue is
    where incidents reach them otherwise."""
    return alert_recipient_ids(alert) | force_police_ids(alert)


def preference_for(user_id: int) -> AlertPreference:
    return AlertPreference.objects.filter(user_id=user_id).first() or AlertPreference(user_id=user_id)
