"""data.police.uk open data: imported files, their rows (kept lean), and precomputed counts.

Rows carry only what cannot be derived: force and month live on the file they came from, crime types and
outcome categories are small lookup tables referenced by a two-byte key, and LSOA names live once per code.
The API answers from :class:`CrimeCount`, never from the rows.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone


class FileKind(models.TextChoices):
    STREET = "street", "Street-level crimes"
    OUTCOMES = "outcomes", "Outcomes"


class Coverage(models.TextChoices):
    ALL = "all", "Every crime type"
    SHOPLIFTING = "shoplifting", "Shoplifting rows only"


class ImportedFile(models.Model):
    """One imported file. At most one current file per force, month and kind; a corrected file
    supersedes it."""

    force = models.CharField(max_length=32)
    month = models.DateField(help_text="First day of the month the file covers")
    kind = models.CharField(max_length=10, choices=FileKind.choices)
    coverage = models.CharField(max_length=12, choices=Coverage.choices, default=Coverage.ALL)
    sha256 = models.CharField(max_length=64, db_index=True)
    file_name = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField()
    rows = models.PositiveIntegerField(default=0, help_text="Rows stored")
    skipped_rows = models.PositiveIntegerField(default=0)
    quirks = models.JSONField(default=dict, blank=True, help_text="Counts of known quirks, by name")
    skipped = models.JSONField(default=dict, blank=True, help_text="Skipped rows: reason -> count and lines")
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["force", "month", "kind"],
                condition=models.Q(superseded_at__isnull=True),
                name="opendata_one_current_file",
            )
        ]
        indexes: ClassVar = [models.Index(fields=["force", "month", "kind"])]

    def __str__(self) -> str:
        return self.file_name


class CrimeType(models.Model):
    id = models.SmallAutoField(primary_key=True)
    name = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return self.name


class OutcomeCategory(models.Model):
    """A 'Last outcome category' of a street file or an 'Outcome type' of an outcomes file."""

    id = models.SmallAutoField(primary_key=True)
    name = models.CharField(max_length=150, unique=True)

    def __str__(self) -> str:
        return self.name


class Lsoa(models.Model):
    """A Lower Layer Super Output Area: its name is kept once here, rows keep only the code."""

    code = models.CharField(max_length=12, primary_key=True)
    name = models.CharField(max_length=120)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StreetCrime(models.Model):
    """One row of a street-level file (repeated Crime IDs are kept: counts equal what the file holds)."""

    file = models.ForeignKey(ImportedFile, on_delete=models.CASCADE, related_name="+", db_index=True)
    crime_id = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="Empty for anti-social behaviour"
    )
    longitude = models.FloatField(null=True)
    latitude = models.FloatField(null=True)
    location = models.CharField(max_length=255, blank=True)
    lsoa_code = models.CharField(max_length=12, blank=True)
    crime_type = models.ForeignKey(CrimeType, on_delete=models.PROTECT, related_name="+")
    last_outcome = models.ForeignKey(OutcomeCategory, null=True, on_delete=models.PROTECT, related_name="+")
    context = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.crime_id or f"street row {self.pk}"


class CrimeOutcome(models.Model):
    """One row of an outcomes file: an outcome reached in the file's month for a crime of that month
    or an earlier one."""

    file = models.ForeignKey(ImportedFile, on_delete=models.CASCADE, related_name="+", db_index=True)
    crime_id = models.CharField(max_length=64, db_index=True)
    outcome = models.ForeignKey(OutcomeCategory, on_delete=models.PROTECT, related_name="+")
    lsoa_code = models.CharField(max_length=12, blank=True)

    def __str__(self) -> str:
        return self.crime_id


class CrimeCount(models.Model):
    """Street rows counted by force, month, crime type and last outcome category (empty outcome = null)."""

    file = models.ForeignKey(ImportedFile, on_delete=models.CASCADE, related_name="+")
    force = models.CharField(max_length=32)
    month = models.DateField()
    crime_type = models.ForeignKey(CrimeType, on_delete=models.PROTECT, related_name="+")
    last_outcome = models.ForeignKey(OutcomeCategory, null=True, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField()

    class Meta:
        indexes: ClassVar = [models.Index(fields=["force", "month"])]

    def __str__(self) -> str:
        return f"{self.force} {self.month:%Y-%m}: {self.count}"
