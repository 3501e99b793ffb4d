"""Partnership intelligence: galleries, graded intelligence, warnings and exclusions, retention settings."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from shopwatch.core.entitlements import Audience, Owner
from shopwatch.core.models import Distribution, Organisation, SharingGroup, Store, User
from shopwatch.reporting.models import Incident
from shopwatch.subjects.models import Person, Vehicle


class NetworkSharing(models.TextChoices):
    NONE = "none", "Nothing"
    IMAGES = "images", "Images only"
    DETAILS = "details", "Images and personal details"


class PartnershipSettings(models.Model):
    """A partnership's own data-protection choices (it is the controller of its members' data)."""

    partnership = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="intel_settings")
    gallery_months = models.PositiveSmallIntegerField(
        default=12, help_text="A gallery entry expires after this"
    )
    delete_after_months = models.PositiveSmallIntegerField(
        default=24, help_text="A person with no new incidents for this long is deleted"
    )
    network_sharing = models.CharField(
        max_length=10, choices=NetworkSharing.choices, default=NetworkSharing.IMAGES
    )
    exclusion_months = models.PositiveSmallIntegerField(default=12)
    review_after_months = models.PositiveSmallIntegerField(default=6)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Settings of {self.partnership}"


def _via_partnership(ids: frozenset[int]) -> Q:
    return Q(partnership_id__in=ids)


def _via_force(ids: frozenset[int]) -> Q:
    return Q(partnership__force_id__in=ids)


class GalleryStatus(models.TextChoices):
    ACTIVE = "active", "Listed"
    EXPIRED = "expired", "Expired"
    REMOVED = "removed", "Removed"


class GalleryEntry(models.Model):
    """A person on a partnership's gallery of people to look out for (known, or identity sought)."""

    partnership = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="gallery_entries")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="gallery_entries")
    owner_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    distribution = models.CharField(
        max_length=20, choices=Distribution.choices, default=Distribution.CONNECTED
    )
    sharing_group = models.ForeignKey(SharingGroup, null=True, blank=True, on_delete=models.PROTECT)
    reason = models.CharField(max_length=500)
    advice = models.CharField(
        max_length=500, default="Do not approach. Call the partnership radio or 999 if there is a threat."
    )
    status = models.CharField(max_length=10, choices=GalleryStatus.choices, default=GalleryStatus.ACTIVE)
    listed_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    listed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    updated_at = models.DateTimeField(default=timezone.now)

    audience: ClassVar[Audience] = Audience(in_partnerships=_via_partnership, in_forces=_via_force)

    class Meta:
        ordering: ClassVar = ["-listed_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["partnership", "person"],
                condition=Q(status="active"),
                name="uniq_active_gallery_entry",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["partnership", "status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.person} on {self.partnership}"


class SubjectKind(models.TextChoices):
    PERSON = "person", "A person"
    VEHICLE = "vehicle", "A vehicle"
    PLACE = "place", "A place"
    EVENT = "event", "An event"
    IDENTIFICATION = "identification", "Who an unidentified person is (help identify)"


class SourceEvaluation(models.TextChoices):
    """3x5x2 (College of Policing): how reliable the source is."""

    RELIABLE = "1", "1 Reliable"
    UNTESTED = "2", "2 Untested"
    NOT_RELIABLE = "3", "3 Not reliable"


class Assessment(models.TextChoices):
    """3x5x2: how the source knows."""

    A = "A", "A Known directly to the source"
    B = "B", "B Known indirectly but corroborated"
    C = "C", "C Known indirectly"
    D = "D", "D Not known"
    E = "E", "E Suspected to be false"


class HandlingCode(models.TextChoices):
    P = "P", "P Lawful sharing permitted"
    C = "C", "C Lawful sharing permitted with conditions"


class IntelStatus(models.TextChoices):
    SUBMITTED = "submitted", "Awaiting grading"
    GRADED = "graded", "Graded"
    REJECTED = "rejected", "Rejected"


class IntelligenceReport(models.Model):
    """A member's intelligence submission; shared only once graded 3x5x2, and only as sanitised."""

    partnership = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="intelligence")
    owner_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    distribution = models.CharField(
        max_length=20, choices=Distribution.choices, default=Distribution.ORGANISATION
    )
    sharing_group = models.ForeignKey(SharingGroup, null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(max_length=16, choices=SubjectKind.choices)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="intelligence"
    )
    suggested_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    vehicle = models.ForeignKey(Vehicle, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    place = models.CharField(max_length=300, blank=True)
    text = models.TextField(max_length=4000)
    # Whatever identifies the source: seen only by the submitter and whoever grades it.
    source_details = models.TextField(max_length=2000, blank=True)
    submitted_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=IntelStatus.choices, default=IntelStatus.SUBMITTED)
    source_evaluation = models.CharField(max_length=1, choices=SourceEvaluation.choices, blank=True)
    assessment = models.CharField(max_length=1, choices=Assessment.choices, blank=True)
    handling_code = models.CharField(max_length=1, choices=HandlingCode.choices, blank=True)
    handling_conditions = models.CharField(max_length=1000, blank=True)
    sanitised_text = models.TextField(max_length=4000, blank=True)
    graded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    graded_at = models.DateTimeField(null=True, blank=True)
    # A help-identify suggestion confirmed against the person it names (graded.identification_confirm).
    confirmed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_reason = models.CharField(max_length=1000, blank=True)

    audience: ClassVar[Audience] = Audience(in_partnerships=_via_partnership, in_forces=_via_force)

    class Meta:
        ordering: ClassVar = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"Intelligence {self.pk} ({self.grading or 'ungraded'})"

    @property
    def grading(self) -> str:
        if self.status != IntelStatus.GRADED:
            return ""
        return f"{self.source_evaluation}{self.assessment}{self.handling_code}"


class ServedHow(models.TextChoices):
    IN_PERSON = "in_person", "Handed over in person"
    POST = "post", "By post"
    EMAIL = "email", "By email"


class WarningLetter(models.Model):
    owner: ClassVar[Owner] = Owner(partnership_field="partnership")
    partnership = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="warnings")
    reason = models.TextField(max_length=2000)
    incidents = models.ManyToManyField(Incident, blank=True, related_name="+")
    issued_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    served_how = models.CharField(max_length=10, choices=ServedHow.choices)
    served_at = models.DateTimeField()
    served_by = models.CharField(max_length=200)

    def __str__(self) -> str:
        return f"Warning to {self.person} ({self.issued_at:%Y-%m-%d})"


class ExclusionStatus(models.TextChoices):
    ACTIVE = "active", "In force"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class ExclusionNotice(models.Model):
    """An exclusion from member premises: evidentially sound (who, when, served how, what it covers)."""

    owner: ClassVar[Owner] = Owner(partnership_field="partnership")
    partnership = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="exclusions")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="exclusions")
    all_premises = models.BooleanField(default=True, help_text="Every member store of the partnership")
    stores = models.ManyToManyField(Store, blank=True, related_name="exclusions")
    starts_on = models.DateField()
    ends_on = models.DateField()
    conditions = models.TextField(max_length=2000, blank=True)
    served_how = models.CharField(max_length=10, choices=ServedHow.choices)
    served_at = models.DateTimeField()
    served_by = models.CharField(max_length=200)
    evidence = models.ManyToManyField(Incident, blank=True, related_name="+")
    warning = models.ForeignKey(
        WarningLetter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=ExclusionStatus.choices, default=ExclusionStatus.ACTIVE)

    class Meta:
        ordering: ClassVar = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return f"Exclusion of {self.person} {self.starts_on} to {self.ends_on}"

    def in_force_on(self, day: dt.date) -> bool:
        return self.status == ExclusionStatus.ACTIVE and self.starts_on <= day <= self.ends_on


class AppealDecision(models.TextChoices):
    PENDING = "pending", "Awaiting the board"
    UPHELD = "upheld", "Exclusion upheld"
    VARIED = "varied", "Exclusion varied"
    OVERTURNED = "overturned", "Exclusion overturned"


class Appeal(models.Model):
    exclusion = models.ForeignKey(ExclusionNotice, on_delete=models.CASCADE, related_name="appeals")
    lodged_at = models.DateTimeField(default=timezone.now)
    grounds = models.TextField(max_length=2000)
    decision = models.CharField(max_length=10, choices=AppealDecision.choices, default=AppealDecision.PENDING)
    decision_reason = models.TextField(max_length=2000, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Appeal {self.pk}: {self.decision}"


class Breach(models.Model):
    """An excluded person reported at a store the exclusion covers."""

    exclusion = models.ForeignKey(ExclusionNotice, on_delete=models.CASCADE, related_name="breaches")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="exclusion_breaches")
    detected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["exclusion", "incident"], name="uniq_breach")
        ]

    def __str__(self) -> str:
        return f"Breach of {self.exclusion_id} by incident {self.incident_id}"
