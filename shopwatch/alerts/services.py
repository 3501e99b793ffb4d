"""Raising and acknowledging alerts, and members' choices about how they receive them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, can, require
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError, ValidationFailed
from shopwatch.core.models import AuditAction, Distribution, Store
from shopwatch.core.selectors import store_list
from shopwatch.reporting.filed import IncidentsFiled
from shopwatch.reporting.models import Flag, Incident

from .models import Alert, AlertKind, AlertPreference, AlertReceipt, AreaMode, PushSubscription

URGENT_FLAGS = {
    Flag.VIOLENCE: "Violence",
    Flag.WEAPON: "Weapon",
    Flag.OFFENDER_NEARBY: "Offender still nearby",
}


def _schedule_delivery(alert_id: int) -> None:
    from . import tasks

    transaction.on_commit(lambda: tasks.deliver_alert.enqueue(alert_id))


def may_alert(viewer: Viewer, store: Store) -> bool:
    """Who may alert a store's area: ``raise_alert`` in the capability table (those who report for the
    store, police of its force area, the platform operator)."""
    return can(viewer, Action.RAISE_ALERT, store)


@transaction.atomic
def alert_raise(*, viewer: Viewer, store_id: int, message: str, kind: str = AlertKind.MANUAL) -> Alert:
    """A member raises an alert for a store's area by hand."""
    store = store_list(viewer=viewer).filter(pk=store_id).first()
    if store is None:
        raise ValidationFailed([FieldError("store", "Unknown store.")])
    require(viewer, Action.RAISE_ALERT, store)
    message = (message or "").strip()
    errors = []
    if "\x00" in message:
        errors.append(FieldError("message", "Must not contain NUL characters."))
    elif not message:
        errors.append(FieldError("message", "Say what members should look out for."))
    elif len(message) > 500:
        errors.append(FieldError("message", f"At most 500 characters (got {len(message)})."))
    if kind not in AlertKind.values or kind == AlertKind.INCIDENT:
        errors.append(FieldError("kind", "Must be manual, group_moving or missing_child."))
    if errors:
        raise ValidationFailed(errors)
    alert = Alert.objects.create(
        store=store,
        kind=kind,
        message=message,
        raised_by_id=viewer.user_id,
        owner_org_id=viewer.primary_org_id or store.retailer_id,
        distribution=Distribution.PARTNERSHIP,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="alert",
        object_id=alert.pk,
        store_id=store.pk,
        summary=message[:100],
    )
    _schedule_delivery(alert.pk)
    return alert


def incidents_filed(event: IncidentsFiled) -> None:
    """The incident-filed handler (registered in AlertsConfig.ready()): urgent reports alert their area."""
    alerts_for_incidents(viewer=event.viewer, incidents=event.incidents)


def alerts_for_incidents(*, viewer: Viewer, incidents: Iterable[Incident]) -> list[Alert]:
    """Urgent incidents (violence, a weapon, the offender still nearby) alert their area at once.

    Called by the incident services inside their transaction, so a report and its alert are saved together.
    """
    alerts = []
    for inc in incidents:
        reasons = [label for flag, label in URGENT_FLAGS.items() if flag in inc.flags]
        if not reasons:
            continue
        text = f"{' and '.join(reasons)} at {inc.store.name}, {timezone.localtime(inc.occurred_at):%H:%M}. "
        text += f"{inc.get_type_display()}. Ref {inc.reference}."
        alerts.append(
            Alert(
                store=inc.store,
                incident=inc,
                kind=AlertKind.INCIDENT,
                message=text[:500],
                raised_by_id=viewer.user_id,
                owner_org_id=inc.owner_org_id,
                distribution=Distribution.PARTNERSHIP,
                created_at=inc.created_at,
            )
        )
    if alerts:
        Alert.objects.bulk_create(alerts)
        for a in alerts:
            _schedule_delivery(a.pk)
    return alerts


@transaction.atomic
def alert_acknowledge(*, viewer: Viewer, alert: Alert) -> AlertReceipt:
    receipt, _ = AlertReceipt.objects.get_or_create(alert=alert, user_id=viewer.user_id)
    if receipt.acknowledged_at is None:
        receipt.acknowledged_at = timezone.now()
        receipt.save(update_fields=["acknowledged_at"])
    return receipt


def alerts_mark_seen(*, alert_id: int, user_ids: Iterable[int]) -> None:
    """Record that an alert reached these members' open pages (called by the stream)."""
    AlertReceipt.objects.bulk_create(
        [AlertReceipt(alert_id=alert_id, user_id=u) for u in user_ids], ignore_conflicts=True
    )


@transaction.atomic
def preference_set(
    *, viewer: Viewer, mode: str, radius_km: float, by_email: bool, by_push: bool
) -> AlertPreference:
    errors = []
    if mode not in AreaMode.values:
        errors.append(FieldError("mode", "Choose your partnerships or a distance."))
    if not 0.1 <= radius_km <= 50:
        errors.append(FieldError("radius_km", "Choose a distance between 0.1 and 50 km."))
    if errors:
        raise ValidationFailed(errors)
    assert viewer.user_id is not None, "alert preferences belong to a signed-in user"
    pref, _ = AlertPreference.objects.get_or_create(user_id=viewer.user_id)
    pref.mode, pref.radius_km, pref.by_email, pref.by_push = mode, radius_km, by_email, by_push
    pref.updated_at = timezone.now()
    pref.save(update_fields=["mode", "radius_km", "by_email", "by_push", "updated_at"])
    if not by_push:
        PushSubscription.objects.filter(user_id=viewer.user_id).delete()
    return pref


@transaction.atomic
def push_subscribe(*, viewer: Viewer, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    from .push import endpoint_refusal

    refusal = endpoint_refusal(endpoint)
    if refusal:
        raise ValidationFailed([FieldError("endpoint", refusal)])
    if not p256dh or not auth or len(p256dh) > 200 or len(auth) > 100:
        raise ValidationFailed([FieldError("keys", "The subscription's keys are missing or malformed.")])
    sub, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user_id": viewer.user_id, "p256dh": p256dh, "auth": auth, "failures": 0}
    )
    pref, _ = AlertPreference.objects.get_or_create(user_id=viewer.user_id)
    if not pref.by_push:
        pref.by_push = True
        pref.save(update_fields=["by_push"])
    return sub


@transaction.atomic
def push_unsubscribe(*, viewer: Viewer, endpoint: str) -> None:
    """This browser no longer shows notifications: forget its subscription (only the viewer's own); with none
    left, the member's choice of notifications is off."""
    assert viewer.user_id is not None, "push subscriptions belong to a signed-in user"
    PushSubscription.objects.filter(user_id=viewer.user_id, endpoint=endpoint).delete()
    if not PushSubscription.objects.filter(user_id=viewer.user_id).exists():
        AlertPreference.objects.filter(user_id=viewer.user_id, by_push=True).update(by_push=False)
