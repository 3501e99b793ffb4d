"""Live area alerts: raised by an urgent incident or by hand, delivered to the members of the area."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from shopwatch.core.entitlements import Audience
from shopwatch.core.models import Distribution, Organisation, SharingGroup, Store, User
from shopwatch.reporting.models import Incident


class AlertKind(models.TextChoices):
    INCIDENT = "incident", "Urgent incident"
    MANUAL = "manual", "Alert from a member"
    GROUP_MOVING = "group_moving", "Offender or group moving between stores"
    MISSING_CHILD = "missing_child", "Missing child"


def _in_partnerships(ids: frozenset[int]) -> Q:
    return Q(store__in=Store.partnerships.through.objects.filter(organisation_id__in=ids).values("store_id"))


def _in_forces(ids: frozenset[int]) -> Q:
    return Q(store__force_id__in=ids)


class Alert(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="alerts")
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    message = models.CharField(max_length=500)
    raised_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    distribution = models.CharField(
        max_length=20, choices=Distribution.choices, default=Distribution.PARTNERSHIP
    )
    sharing_group = models.ForeignKey(SharingGroup, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    # Members of the store's partnerships see an alert by its distribution. Police see one in their force
    # area when its incident is theirs to see: distributed to police, or in their hands (reported or sent to
    # them, now or later). An alert from an incident kept within the partnership stays hidden from police, as
    # the incident does.
    audience: ClassVar[Audience] = Audience(
        in_partnerships=_in_partnerships,
        in_forces=_in_forces,
        store_field="store",
        police_flag_field="incident__sent_to_police",
        police_distribution_field="incident__distribution",
    )

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.store}: {self.message[:60]}"


class AreaMode(models.TextChoices):
    PARTNERSHIP = "partnership", "Every alert in my partnerships"
    RADIUS = "radius", "Only alerts within a distance of my store"


class AlertPreference(models.Model):
    """How a member wants alerts: which area, and by email and web push as well as on open pages."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="alert_preference")
    mode = models.CharField(max_length=12, choices=AreaMode.choices, default=AreaMode.PARTNERSHIP)
    radius_km = models.FloatField(default=2.0)
    by_email = models.BooleanField(default=True)
    by_push = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user}: {self.mode}"


class AlertReceipt(models.Model):
    """Who has seen an alert (shown on an open page, or opened) and who acknowledged it."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["alert", "user"], name="uniq_alert_receipt")]

    def __str__(self) -> str:
        return f"{self.user} saw {self.alert_id}"


class PushSubscription(models.Model):
    """A browser's web-push subscription (endpoint and keys), kept only while the member wants pushes."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    failures = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user}: {self.endpoint[:40]}"
