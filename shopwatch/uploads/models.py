"""Resumable uploads (tus 1.0) on their way to becoming evidence, and single-use upload links.

An :class:`Upload` is the server side of one tus upload: the bytes live in a partial file under
``DATA_DIR/uploads`` until the last one arrives (or, with an S3 object store, go into an S3 multipart
upload part by part, only the unfinished part kept in that file), then the file becomes an evidence
file on the incident and the partial file is gone. An :class:`UploadLink` lets someone with no account (a
store worker asked by an investigator) send files to one incident, once, before it expires.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.utils import timezone

from shopwatch.core.models import User
from shopwatch.evidence.models import EvidenceFile
from shopwatch.reporting.models import Incident


class UploadState(models.TextChoices):
    RECEIVING = "receiving", "Receiving"
    COMPLETE = "complete", "Complete (evidence)"
    REFUSED = "refused", "Refused"
    TERMINATED = "terminated", "Terminated by the client"
    EXPIRED = "expired", "Abandoned and cleaned up"


class UploadLink(models.Model):
    """A single-use, expiring link an investigator sends to a store to get footage for an incident.

    Only a hash of the token is kept; the token itself is shown once, in the link.
    """

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="upload_links")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    note = models.CharField(max_length=500, blank=True, help_text="What the investigator asked for")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # Set when the first file sent through the link has arrived completely: the link is then spent.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Upload link for {self.incident_id} (expires {self.expires_at:%Y-%m-%d %H:%M})"


class Upload(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    api_key_id = models.BigIntegerField(null=True, blank=True)
    link = models.ForeignKey(
        UploadLink, null=True, blank=True, on_delete=models.PROTECT, related_name="uploads"
    )
    channel = models.CharField(max_length=10)
    length = models.PositiveBigIntegerField()
    offset = models.PositiveBigIntegerField(default=0)
    filename = models.CharField(max_length=255)
    declared_type = models.CharField(max_length=100, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The client's clock when it created the upload (metadata ``device_time``), against the server's.
    device_time = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=UploadState.choices, default=UploadState.RECEIVING)
    refusal = models.CharField(max_length=500, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    evidence = models.ForeignKey(
        EvidenceFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Last time bytes arrived (or the upload was created): abandoned uploads are judged by this.
    touched_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Straight to the object store (S3 storage): the bytes go into an S3 multipart upload part by part. The
    # parts sent (``[number, etag, md5, size]``) and the bytes after them in the spool file are the offset;
    # ``hash_state`` is the resumable SHA-256 of exactly those bytes, so any process can go on from it, and
    # ``parts_hash_state`` that of the parts alone (to resume from the last part if the spool file is lost).
    storage_name = models.CharField(max_length=255, blank=True)
    multipart_id = models.CharField(max_length=1024, blank=True)
    part_size = models.PositiveIntegerField(default=0)
    parts = models.JSONField(default=list, blank=True)
    stored_bytes = models.PositiveBigIntegerField(default=0)
    spool_bytes = models.PositiveIntegerField(default=0)
    hash_state = models.BinaryField(default=b"", blank=True)
    parts_hash_state = models.BinaryField(default=b"", blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [models.Index(fields=["state", "touched_at"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.offset}/{self.length})"
