"""Evidence files: original bytes stored once, hashed on arrival, attached to incidents."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from shopwatch.core.entitlements import Audience
from shopwatch.core.models import Organisation, Store, User
from shopwatch.reporting.models import Incident


def _evidence_in_partnerships(ids: frozenset[int]) -> Q:
    return Q(
        incident__store__in=Store.partnerships.through.objects.filter(organisation_id__in=ids).values("store_id")
    )


def _evidence_in_forces(ids: frozenset[int]) -> Q:
    return Q(incident__force_id__in=ids)


class EvidenceFile(models.Model):
    """An original file as received. Derived files (thumbnails, previews) are kept apart."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence")
    owner_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="originals/%Y/%m/", max_length=300)
    original_filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    captured_at = models.DateTimeField(null=True, blank=True, help_text="When the photo was taken (EXIF)")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # A derived file, kept apart from the original (under thumbs/); made on first request.
    thumbnail = models.FileField(upload_to="thumbs/%Y/%m/", max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    audience: ClassVar[Audience] = Audience(
        in_partnerships=_evidence_in_partnerships,
        in_forces=_evidence_in_forces,
        owner_field="incident__owner_org",
        store_field="incident__store",
        police_flag_field="incident__sent_to_police",
        distribution_field="incident__distribution",
        group_field="incident__sharing_group",
    )

    class Meta:
        ordering: ClassVar = ["created_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["incident", "sha256"], name="uniq_evidence_per_incident"),
        ]

    def __str__(self) -> str:
        return f"{self.original_filename} ({self.sha256[:12]})"
