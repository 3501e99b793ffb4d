"""Face search: partnership settings and DPIA, exclusions, stored encodings, searches, candidates, decisions.

Biometric data is special category data. Only two kinds of encoding are stored: of gallery photos of people
(``PersonPhoto``) and of evidence stills recorded as showing a known person (``EvidencePerson``). Each row
belongs to its image and goes with it (CASCADE, or the sweep for evidence deleted under retention). The faces
of a still being searched are encoded in memory and never stored.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from shopwatch.core.models import Organisation, User
from shopwatch.evidence.models import EvidenceFile
from shopwatch.subjects.models import Person, PersonPhoto


class FaceSettings(models.Model):
    """A partnership's choices for face search (it is the controller; a DPIA is required first)."""

    partnership = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="face_settings")
    enabled = models.BooleanField(default=False, help_text="Partnership managers may search")
    dpia_reference = models.CharField(max_length=200, blank=True)
    dpia_approved_on = models.DateField(null=True, blank=True)
    dpia_recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    second_reviewer_required = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Face search settings of {self.partnership}"

    @property
    def dpia_recorded(self) -> bool:
        return bool(self.dpia_reference) and self.dpia_approved_on is not None


class ExclusionReason(models.TextChoices):
    VULNERABLE = "vulnerable", "Vulnerable"


class FaceExclusion(models.Model):
    """A person who must never be searchable (flagged vulnerable), whatever their offending."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="face_exclusion")
    reason = models.CharField(
        max_length=12, choices=ExclusionReason.choices, default=ExclusionReason.VULNERABLE
    )
    note = models.CharField(max_length=500)
    recorded_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.person} not searchable ({self.reason})"


class FaceEncoding(models.Model):
    """The encoding of the face in one gallery photo or one evidence still of a known person.

    ``vector`` is empty when no face was found (the image is not tried again).
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    photo = models.OneToOneField(
        PersonPhoto, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    evidence = models.ForeignKey(
        EvidenceFile, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    vector = models.BinaryField(null=True, blank=True)
    box = models.JSONField(default=list, blank=True)
    encoded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["evidence", "person"], name="faces_one_encoding_per_evidence_person"
            ),
            models.CheckConstraint(
                condition=models.Q(photo__isnull=False) | models.Q(evidence__isnull=False),
                name="faces_encoding_has_an_image",
            ),
        ]

    def __str__(self) -> str:
        return f"Face of {self.person_id} ({'photo' if self.photo_id else 'evidence'})"


class SearchStatus(models.TextChoices):
    AWAITING_REVIEW = "awaiting", "Awaiting review"
    AWAITING_SECOND = "second", "Awaiting a second reviewer"
    DECIDED = "decided", "Decided"


class FaceSearch(models.Model):
    """One search of a still against the faces the searcher may see."""

    searched_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, null=True, on_delete=models.PROTECT, related_name="+")
    probe = models.ForeignKey(EvidenceFile, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=500)
    frame_at = models.FloatField(
        null=True, blank=True, help_text="For a video: the time in seconds of the frame searched"
    )
    faces_found = models.PositiveSmallIntegerField(default=0)
    gallery_size = models.PositiveIntegerField(default=0)
    method = models.CharField(max_length=20, blank=True)
    threshold = models.FloatField()
    top_k = models.PositiveSmallIntegerField(default=5)
    second_review_required = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=SearchStatus.choices, default=SearchStatus.AWAITING_REVIEW
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"Face search {self.pk}"


class FaceCandidate(models.Model):
    """A face at or above the threshold: a candidate for a reviewer, never an identification."""

    search = models.ForeignKey(FaceSearch, on_delete=models.CASCADE, related_name="candidates")
    rank = models.PositiveSmallIntegerField()
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    encoding = models.ForeignKey(FaceEncoding, null=True, on_delete=models.SET_NULL, related_name="+")
    similarity = models.FloatField()
    probe_box = models.JSONField(default=list)

    class Meta:
        ordering = ["search", "rank"]

    def __str__(self) -> str:
        return f"Candidate {self.rank} of search {self.search_id}"


class Outcome(models.TextChoices):
    MATCH = "match", "Match"
    NO_MATCH = "no_match", "No match"
    INCONCLUSIVE = "inconclusive", "Inconclusive"


class FaceDecision(models.Model):
    """A named reviewer's decision on a search, with the reason."""

    search = models.ForeignKey(FaceSearch, on_delete=models.CASCADE, related_name="decisions")
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    candidate = models.ForeignKey(
        FaceCandidate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=1000)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["search", "decided_at"]
        constraints = [
            models.UniqueConstraint(fields=["search", "reviewer"], name="faces_one_decision_per_reviewer"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} on search {self.search_id}"
