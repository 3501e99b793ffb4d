"""Evidence files: original bytes stored once, hashed on arrival, attached to incidents."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from shopwatch.core.entitlements import Audience
from shopwatch.core.models import Organisation, Store, User
from shopwatch.reporting.models import Incident
from shopwatch.subjects.models import Person


def _evidence_in_partnerships(ids: frozenset[int]) -> Q:
    return Q(
        incident__store__in=Store.partnerships.through.objects.filter(organisation_id__in=ids).values(
            "store_id"
        )
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
    # The chain of custody's length and last entry hash (see custody.py): cutting entries off shows.
    custody_seq = models.PositiveIntegerField(default=0)
    custody_head = models.CharField(max_length=64, blank=True)
    # Set when retention deleted the bytes; the record stays as a tombstone.
    deleted_at = models.DateTimeField(null=True, blank=True)

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


class LinkVia(models.TextChoices):
    BY_HAND = "by_hand", "Linked by hand"
    SAME_FILE = "same_file", "The same file was uploaded to this incident"


class EvidenceLink(models.Model):
    """The file also belongs to another incident (one CCTV export covering several incidents, the same photo
    sent with two reports). The bytes are stored once; the file is listed on every incident it is linked to
    and kept for the longest retention period among them.

    A link never widens who sees a file on its own: only a link made by someone entitled to share the file
    (its owner: the capability table's ``share_evidence_wider``) lets it follow the incident's audience
    (``shares_audience``). Any other link shows the file on the incident only to those who could already see
    it (the intersection of the two audiences).
    """

    evidence = models.ForeignKey(EvidenceFile, on_delete=models.PROTECT, related_name="links")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence_links")
    via = models.CharField(max_length=12, choices=LinkVia.choices)
    reason = models.CharField(max_length=500, blank=True)
    linked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now)
    shares_audience = models.BooleanField(
        default=False, help_text="Made by the file's owner: the incident's whole audience sees the file"
    )

    class Meta:
        ordering: ClassVar = ["linked_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["evidence", "incident"], name="uniq_evidence_link"),
        ]

    def __str__(self) -> str:
        return f"{self.evidence_id} also on incident {self.incident_id}"


class EvidencePerson(models.Model):
    """The file shows this person (a CCTV still of an offender). It grants no one access: the file is seen by
    its incidents' audiences and the person by theirs, and each viewer sees the pairing only if they see
    both. Erasing the person removes the pairing; the chain of custody keeps only the person's id."""

    evidence = models.ForeignKey(EvidenceFile, on_delete=models.PROTECT, related_name="persons")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="evidence_links")
    note = models.CharField(max_length=500, blank=True)
    added_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["added_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["evidence", "person"], name="uniq_evidence_person"),
        ]

    def __str__(self) -> str:
        return f"{self.evidence_id} shows person {self.person_id}"


# --- Chain of custody, sharing, retention --------------------------------------------------------------


class CustodyAction(models.TextChoices):
    RECEIVED = "received", "Received"
    VIEWED = "viewed", "Viewed"
    DOWNLOADED = "downloaded", "Downloaded"
    SHARED = "shared", "Shared"
    EXPORTED = "exported", "Exported"
    RETENTION = "retention", "Retention decision"
    DELETED = "deleted", "Deleted"
    LINKED = "linked", "Linked to an incident"
    UNLINKED = "unlinked", "Unlinked from an incident"


class CustodyEntryQuerySet(models.QuerySet["CustodyEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The chain of custody is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The chain of custody is append-only.")


class CustodyEntry(models.Model):
    """One action on one evidence file. Entries of a file form a chain: each one's ``entry_hash`` is the
    SHA-256 of its canonical content, which includes the previous entry's hash, so an edited, removed or
    inserted entry breaks the chain. Written only by ``custody.custody_append``.
    """

    evidence = models.ForeignKey(EvidenceFile, on_delete=models.PROTECT, related_name="custody")
    seq = models.PositiveIntegerField(help_text="1, 2, 3... within the file's chain")
    action = models.CharField(max_length=12, choices=CustodyAction.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=200, help_text="Who, in words, as it was at the time")
    api_key_id = models.BigIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=10)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    objects = CustodyEntryQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["evidence", "seq"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["evidence", "seq"], name="uniq_custody_seq")]
        verbose_name_plural = "custody entries"

    def __str__(self) -> str:
        return f"{self.evidence_id}#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("The chain of custody is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The chain of custody is append-only.")


class EvidenceShare(models.Model):
    """Evidence shared with a named police force or a named investigator, until an expiry."""

    evidence = models.ForeignKey(EvidenceFile, on_delete=models.PROTECT, related_name="shares")
    with_force = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    with_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(with_force__isnull=False) | Q(with_user__isnull=False), name="share_has_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"Share of {self.evidence_id} until {self.expires_at:%Y-%m-%d}"


class RetentionCategory(models.TextChoices):
    NO_CRIME = "no_crime", "No crime recorded"
    CRIME_RECORDED = "crime_recorded", "Crime recorded"
    CHARGED = "charged", "Charged"
    COURT_CASE = "court_case", "Court case"


class RetentionPolicy(models.Model):
    """How long a partnership keeps evidence of incidents in each category, after the case's last event."""

    partnership = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="evidence_retention")
    category = models.CharField(max_length=20, choices=RetentionCategory.choices)
    days = models.PositiveIntegerField()
    updated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["partnership", "category"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["partnership", "category"], name="uniq_retention_per_category"),
        ]

    def __str__(self) -> str:
        return f"{self.partnership_id} {self.category}: {self.days} days"
