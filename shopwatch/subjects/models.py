"""POLE people and objects: persons (subjects) and vehicles.

Never a field for ethnicity, religion, political opinion or sexual orientation.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from shopwatch.core.entitlements import Audience
from shopwatch.core.models import Distribution, Organisation, SharingGroup


class PersonStatus(models.TextChoices):
    KNOWN = "known", "Known offender"
    ID_SOUGHT = "id_sought", "ID sought (unidentified)"


class Build(models.TextChoices):
    SLIM = "slim", "Slim"
    MEDIUM = "medium", "Medium"
    HEAVY = "heavy", "Heavy"
    MUSCULAR = "muscular", "Muscular"


def _person_in_partnerships(ids: frozenset[int]) -> Q:
    """A person kept by a partnership sits in that partnership; one kept by a retailer sits in the
    partnerships of the retailer's stores."""
    from shopwatch.core.models import Store

    retailers = Store.objects.filter(partnerships__in=ids).values("retailer_id")
    return Q(partnership_id__in=ids) | Q(partnership__isnull=True, owner_org__in=retailers)


def _person_in_forces(ids: frozenset[int]) -> Q:
    """A partnership's person is in the partnership's force area; a retailer's in its stores' force areas."""
    from shopwatch.core.models import Store

    retailers = Store.objects.filter(force_id__in=ids).values("retailer_id")
    return Q(partnership__force_id__in=ids) | Q(partnership__isnull=True, owner_org__in=retailers)


class Person(models.Model):
    """A subject: a known offender or an unidentified person whose identity is sought."""

    owner_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # The partnership whose members this record is kept for (its gallery, its retention rules).
    partnership = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="partnership_persons"
    )
    distribution = models.CharField(
        max_length=20, choices=Distribution.choices, default=Distribution.PARTNERSHIP, db_index=True
    )
    sharing_group = models.ForeignKey(SharingGroup, null=True, blank=True, on_delete=models.PROTECT)
    status = models.CharField(max_length=12, choices=PersonStatus.choices, default=PersonStatus.KNOWN)
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    age_min = models.PositiveSmallIntegerField(null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(null=True, blank=True)
    height_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    build = models.CharField(max_length=12, choices=Build.choices, blank=True)
    hair = models.CharField(max_length=100, blank=True)
    distinguishing_features = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_incident_at = models.DateTimeField(null=True, blank=True, db_index=True)

    audience: ClassVar[Audience] = Audience(
        in_partnerships=_person_in_partnerships, in_forces=_person_in_forces
    )

    class Meta:
        ordering: ClassVar = ["family_name", "given_name", "id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = f"{self.given_name} {self.family_name}".strip()
        return name or f"Unidentified person #{self.pk}"

    def age_on(self, day: dt.date) -> int | None:
        if self.date_of_birth:
            dob = self.date_of_birth
            return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))
        return self.age_max

    @property
    def is_juvenile(self) -> bool:
        age = self.age_on(timezone.localdate())
        return age is not None and age < 18


class PersonAlias(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.name


class Vehicle(models.Model):
    """A vehicle, keyed by its normalised registration (upper case, no spaces)."""

    registration = models.CharField(max_length=10, unique=True)
    make = models.CharField(max_length=50, blank=True)
    model = models.CharField(max_length=50, blank=True)
    colour = models.CharField(max_length=30, blank=True)

    def __str__(self) -> str:
        return self.registration


class PersonPhoto(models.Model):
    """An image of a person (a custody-free still, a CCTV frame): stored once, hashed, type from content."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="people/%Y/%m/", max_length=300)
    thumbnail = models.FileField(upload_to="thumbs/people/", max_length=300, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=40)
    source_evidence_id = models.BigIntegerField(
        null=True, blank=True, help_text="The incident evidence it came from"
    )
    uploaded_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["person", "sha256"], name="uniq_person_photo")
        ]

    def __str__(self) -> str:
        return f"Photo {self.sha256[:12]} of person {self.person_id}"


class PersonTombstone(models.Model):
    """What is left when a person's record is deleted (retention or erasure): no personal data."""

    person_id = models.BigIntegerField()
    partnership = models.ForeignKey(Organisation, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=300)
    deleted_at = models.DateTimeField(default=timezone.now)
    deleted_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Person {self.person_id} deleted {self.deleted_at:%Y-%m-%d}"


class Rectification(models.Model):
    """A correction to a person's record, with its reason (data-protection right to rectification)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="rectifications")
    field = models.CharField(max_length=40)
    old_value = models.CharField(max_length=2000, blank=True)
    new_value = models.CharField(max_length=2000, blank=True)
    reason = models.CharField(max_length=500)
    by = models.ForeignKey("core.User", null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.field} of person {self.person_id}"
