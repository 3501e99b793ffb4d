"""Offender linking: stored models, link proposals between person records, and resolved identities.

A proposal joins two Person records (never merges them). Accepted proposals form resolved identities
(connected components); nothing in a source record changes, and a later rejection splits the identity again.
A rejected pair keeps its row, so it is never proposed again.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from shopwatch.core.models import User
from shopwatch.subjects.models import Person


class StoredModel(models.Model):
    """A trained linkage model (the engine's JSON) with its version; the newest is used for scoring."""

    version = models.CharField(max_length=40)
    model_json = models.TextField()
    trained_on = models.PositiveIntegerField(default=0, help_text="Person records it was trained on")
    trained_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering: ClassVar = ["-trained_at", "-id"]

    def __str__(self) -> str:
        return f"Linkage model {self.version} ({self.trained_at:%Y-%m-%d %H:%M})"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class ProposalSource(models.TextChoices):
    """Why a pair was proposed: the linkage model's score, or a person's reason from outside it."""

    MODEL = "model", "Linkage model"
    HELP_IDENTIFY = "help_identify", "Help-identify suggestion confirmed"
    FACE_MATCH = "face_match", "Face match confirmed"


class LinkProposal(models.Model):
    """A possible match between two person records, with its probability and explanation."""

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField()
    match_weight = models.FloatField()
    # [{"field": ..., "comparison": ..., "match_weight": ...}, ...] including the prior.
    explanation = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED, db_index=True
    )
    model_version = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)
    scored_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=1000, blank=True)
    # A proposal from outside the model (linking.services.proposals.proposal_propose): who, and why.
    source = models.CharField(max_length=20, choices=ProposalSource.choices, default=ProposalSource.MODEL)
    proposed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    proposed_reason = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering: ClassVar = ["-probability", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="uniq_link_proposal_pair"),
            models.CheckConstraint(condition=Q(person_a__lt=F("person_b")), name="link_proposal_ordered"),
        ]

    def __str__(self) -> str:
        return f"Proposal {self.person_a_id}–{self.person_b_id} ({self.probability:.2f}, {self.status})"


class Identity(models.Model):
    """A resolved identity: person records joined by accepted proposals. No personal data of its own."""

    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"Identity {self.pk}"


class IdentityMember(models.Model):
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="members")
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"Person {self.person_id} in identity {self.identity_id}"


class RunKind(models.TextChoices):
    FULL = "full", "Full run"
    INCREMENTAL = "incremental", "New and changed persons"


class LinkRun(models.Model):
    """One linking run: what it scored and proposed. Incremental runs continue from the last
    ``scored_until``."""

    kind = models.CharField(max_length=12, choices=RunKind.choices)
    model_version = models.CharField(max_length=40)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    scored_until = models.DateTimeField(help_text="Persons changed up to this moment are scored")
    persons = models.PositiveIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0)
    proposals_new = models.PositiveIntegerField(default=0)
    proposals_updated = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} run {self.started_at:%Y-%m-%d %H:%M}"
