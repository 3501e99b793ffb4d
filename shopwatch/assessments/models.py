"""Prevention programmes and security self-assessments.

A question set is data: a versioned list of questions (``questionsets/*.json``), each in an area, with
answers worth points and plain-language advice for a low answer. An assessment keeps the answers it was
given and the version it was scored against, so later versions never rewrite old scores.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from shopwatch.core.models import Organisation, Store


class QuestionSet(models.Model):
    slug = models.SlugField(max_length=60)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="What the questions are built on")
    # [{"id", "area", "text", "answers": [{"value", "label", "points"}], "advice"}]
    questions: models.JSONField[Any, Any] = models.JSONField()
    areas: models.JSONField[Any, Any] = models.JSONField(help_text="Area keys and titles in order")
    current = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["slug", "version"], name="questionset_slug_version")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Assessment(models.Model):
    question_set = models.ForeignKey(QuestionSet, on_delete=models.PROTECT, related_name="assessments")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answers: models.JSONField[Any, Any] = models.JSONField()
    score = models.PositiveSmallIntegerField(help_text="Per cent of the points available")
    area_scores: models.JSONField[Any, Any] = models.JSONField()
    next_steps: models.JSONField[Any, Any] = models.JSONField()
    certificate_number = models.CharField(max_length=40, unique=True)
    completed_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"assessment {self.pk}"


class Programme(models.Model):
    """A funded prevention programme run in a partnership's or force's area."""

    title = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=40, help_text="cyber membership, training, marking kits, security review"
    )
    funder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    funding_note = models.CharField(max_length=300, blank=True)
    partnership = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    places = models.PositiveIntegerField()
    eligibility = models.CharField(max_length=500)
    question_set_slug = models.SlugField(max_length=60, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"programme {self.pk}"


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", "Enrolled"
    ATTENDING = "attending", "Attending"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Enrolment(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="enrolments")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ENROLLED
    )
    sessions_attended = models.PositiveSmallIntegerField(default=0)
    enrolled_on = models.DateField(default=timezone.localdate)
    completed_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "organisation", "store"], name="enrolment_once")
        ]

    def __str__(self) -> str:
        return f"enrolment {self.pk}"
