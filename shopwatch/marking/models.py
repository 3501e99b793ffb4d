"""Forensic marking: kits and sprays issued to stores, their deployments in incidents, property marked by
its owner, and the stores displaying marking signage."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils import timezone

from shopwatch.core.models import Organisation, Store
from shopwatch.reporting.models import Incident

CODE_RE = re.compile(r"^(.*?)(\d+)$")


def normalise_code(raw: str) -> str:
    """A code as read under UV: upper case, without spaces."""
    return "".join((raw or "").split()).upper()


def split_code(code: str) -> tuple[str, int | None]:
    """A code's letters and the number it ends in (for code ranges): 'SW-4410' -> ('SW-', 4410)."""
    match = CODE_RE.match(code)
    if not match:
        return code, None
    return match.group(1), int(match.group(2))


class Product(models.TextChoices):
    SMARTWATER = "smartwater", "SmartWater"
    SELECTADNA = "selectadna", "SelectaDNA"
    SMARTTAG = "smarttag", "SmartTag"
    OTHER = "other", "Other forensic marking"


class KitKind(models.TextChoices):
    SPRAY = "spray", "Handheld spray"
    FIXED = "fixed", "Fixed or door-mounted spray"
    PROPERTY_KIT = "property_kit", "Property marking kit"


class MarkingKit(models.Model):
    """A kit or spray with its unique code or a range of codes (same letters, consecutive numbers)."""

    owner_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="marking_kits")
    product = models.CharField(max_length=16, choices=Product.choices)
    kind = models.CharField(max_length=16, choices=KitKind.choices)
    batch = models.CharField(max_length=60)
    code = models.CharField(max_length=60, unique=True, help_text="The unique code, or the first of a range")
    code_prefix = models.CharField(max_length=60, db_index=True)
    code_from = models.BigIntegerField(null=True, blank=True)
    code_to = models.BigIntegerField(null=True, blank=True, help_text="The last number of a range")
    issued_to = models.CharField(max_length=200, blank=True, help_text="Security officer or staff holding it")
    issued_on = models.DateField(default=timezone.localdate)
    expires_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.code

    @property
    def code_label(self) -> str:
        if self.code_to is not None and self.code_from is not None and self.code_to != self.code_from:
            width = len(self.code) - len(self.code_prefix)
            return f"{self.code} to {self.code_prefix}{self.code_to:0{width}d}"
        return self.code


class DeploymentTarget(models.TextChoices):
    PERSON = "person", "A person"
    PROPERTY = "property", "Property or goods"
    VEHICLE = "vehicle", "A vehicle"


class Deployment(models.Model):
    """A kit used in an incident: who, when, where, on whom or what."""

    kit = models.ForeignKey(MarkingKit, on_delete=models.PROTECT, related_name="deployments")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="marking_deployments")
    deployed_by = models.CharField(max_length=200)
    deployed_at = models.DateTimeField()
    where = models.CharField(max_length=200, blank=True)
    target = models.CharField(max_length=10, choices=DeploymentTarget.choices)
    target_detail = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"deployment {self.pk}"


class MarkedProperty(models.Model):
    """Stock or property marked with a code and registered by the business that owns it."""

    owner_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    product = models.CharField(max_length=16, choices=Product.choices)
    code = models.CharField(max_length=60, unique=True)
    description = models.CharField(max_length=300)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_on = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return f"marked property {self.pk}"


class SignageDisplay(models.Model):
    """A store displaying forensic-marking signage (deterrence), listed by its partnerships."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="marking_signage")
    product = models.CharField(max_length=16, choices=Product.choices)
    since = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return f"signage display {self.pk}"
