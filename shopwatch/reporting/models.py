"""Incidents (POLE events) and what hangs off them: goods, offenders, vehicles, status history."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from shopwatch.core.entitlements import Audience
from shopwatch.core.models import Channel, Distribution, Organisation, SharingGroup, Store, User
from shopwatch.subjects.models import Person, Vehicle


class IncidentType(models.TextChoices):
    THEFT = "theft", "Theft (shoplifting)"
    VIOLENCE = "violence", "Violence against staff"
    THREATS_ABUSE = "threats_abuse", "Threats or abuse"
    ANTISOCIAL_BEHAVIOUR = "antisocial_behaviour", "Anti-social behaviour"
    CRIMINAL_DAMAGE = "criminal_damage", "Criminal damage"
    ROBBERY = "robbery", "Robbery"
    BURGLARY = "burglary", "Burglary"
    FRAUD = "fraud", "Fraud"
    OTHER = "other", "Other"


class Flag(models.TextChoices):
    """What the Retail Crime Action Plan cares about, one boolean column each."""

    VIOLENCE = "violence", "Violence used"
    WEAPON = "weapon", "Weapon seen or used"
    STAFF_INJURED = "staff_injured", "Staff injured"
    OFFENDER_DETAINED = "offender_detained", "Offender detained"
    HATE = "hate", "Hate-related"
    OFFENDER_NEARBY = "offender_nearby", "Offender still nearby"


FLAG_FIELDS: dict[str, str] = {
    Flag.VIOLENCE: "flag_violence",
    Flag.WEAPON: "flag_weapon",
    Flag.STAFF_INJURED: "flag_staff_injured",
    Flag.OFFENDER_DETAINED: "flag_offender_detained",
    Flag.HATE: "flag_hate",
    Flag.OFFENDER_NEARBY: "flag_offender_nearby",
}


class IncidentStatus(models.TextChoices):
    """The visible lifecycle; later workflows add their own steps between these."""

    SUBMITTED = "submitted", "Submitted"
    SHARED = "shared", "Shared with the partnership"
    SENT_TO_POLICE = "sent_to_police", "Sent to police"
    WITH_POLICE = "with_police", "With police"
    CRIME_RECORDED = "crime_recorded", "Crime recorded"
    OUTCOME = "outcome", "Outcome recorded"


STATUS_ORDER = list(IncidentStatus.values)


class Priority(models.TextChoices):
    P1 = "P1", "P1 — attend now"
    P2 = "P2", "P2 — high"
    P3 = "P3", "P3 — standard"
    P4 = "P4", "P4 — record"


def _incident_in_partnerships(ids: frozenset[int]) -> Q:
    return Q(store__in=Store.partnerships.through.objects.filter(organisation_id__in=ids).values("store_id"))


def _incident_in_forces(ids: frozenset[int]) -> Q:
    return Q(force_id__in=ids)


class Incident(models.Model):
    reference = models.CharField(max_length=20, unique=True)
    owner_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="incidents")
    # The police force area of the store, kept on the row so police queues need no join.
    force = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    distribution = models.CharField(
        max_length=20, choices=Distribution.choices, default=Distribution.PARTNERSHIP
    )
    sharing_group = models.ForeignKey(SharingGroup, null=True, blank=True, on_delete=models.PROTECT)

    type = models.CharField(max_length=24, choices=IncidentType.choices)
    occurred_at = models.DateTimeField()
    description = models.TextField(max_length=10_000)
    location_detail = models.CharField(max_length=200, blank=True, help_text="Where in or near the store")

    flag_violence = models.BooleanField(default=False)
    flag_weapon = models.BooleanField(default=False)
    flag_staff_injured = models.BooleanField(default=False)
    flag_offender_detained = models.BooleanField(default=False)
    flag_hate = models.BooleanField(default=False)
    flag_offender_nearby = models.BooleanField(default=False)

    goods_value = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    report_to_police = models.BooleanField(default=False)
    sent_to_police = models.BooleanField(default=False)
    # When it reached the police (for the force queue's "longest waiting" order without a look-up).
    sent_to_police_at = models.DateTimeField(null=True, blank=True)

    status = models.CharField(max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.SUBMITTED)
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    priority_score = models.PositiveSmallIntegerField(default=0)
    priority_reasons = models.JSONField(default=list, blank=True)
    offence_code = models.CharField(max_length=12, blank=True)
    offence_label = models.CharField(max_length=120, blank=True)

    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    reported_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    external_ref = models.CharField(max_length=100, blank=True, help_text="The retailer's own incident id")
    crime_reference = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    audience: ClassVar[Audience] = Audience(
        in_partnerships=_incident_in_partnerships,
        in_forces=_incident_in_forces,
        store_field="store",
        police_flag_field="sent_to_police",
    )

    class Meta:
        ordering: ClassVar = ["-occurred_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["store", "-occurred_at"]),
            models.Index(fields=["owner_org", "-occurred_at"]),
            models.Index(fields=["force", "sent_to_police", "status"]),
            models.Index(
                fields=["force", "sent_to_police", "priority", "-priority_score", "sent_to_police_at"],
                name="reporting_police_queue_idx",
            ),
            models.Index(fields=["distribution", "-occurred_at"]),
            models.Index(fields=["updated_at"]),
            models.Index(fields=["-occurred_at", "-id"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def flags(self) -> list[str]:
        return [flag for flag, column in FLAG_FIELDS.items() if getattr(self, column)]


class GoodsLine(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="goods")
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(default=1)
    value = models.DecimalField(
        max_digits=10, decimal_places=2, help_text="Total value of the line, in pounds"
    )
    recovered = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"


class IncidentOffender(models.Model):
    """Someone involved: a known person picked from a list, or a description of an unknown one."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="offenders")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="incident_links"
    )
    description = models.CharField(max_length=1000, blank=True)

    def __str__(self) -> str:
        return f"Offender in incident {self.incident_id}"


class IncidentVehicle(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="vehicles")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="incident_links")
    description = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"Vehicle {self.vehicle_id} in incident {self.incident_id}"


class StatusChange(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, choices=IncidentStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering: ClassVar = ["at", "id"]

    def __str__(self) -> str:
        return f"Incident {self.incident_id}: {self.from_status or 'new'} to {self.to_status}"


class BucketChangeReason(models.TextChoices):
    DELETED = "deleted", "Deleted"
    MOVED = "moved", "Store or time changed"


class IncidentBucketChange(models.Model):
    """Where a deleted or moved incident used to be counted, so precomputed figures can be corrected.

    Written by the services that delete an incident or change its store or time; read by insights.
    """

    incident_id = models.BigIntegerField()
    store_id = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    reason = models.CharField(max_length=10, choices=BucketChangeReason.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"Incident {self.incident_id} {self.reason} from store {self.store_id}"
