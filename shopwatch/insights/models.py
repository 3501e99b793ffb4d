"""Precomputed figures for dashboards, and surveys of members.

Dashboards never scan raw incidents: they read these rollups, which `rollups.rollup_refresh` keeps exact by
recomputing only the (store, day) buckets that changed since its last run.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from shopwatch.core.models import Organisation, User


class DailyRollup(models.Model):
    """Incidents at one store on one local day and distribution, split by whether sent to police."""

    store_id = models.BigIntegerField()
    retailer_id = models.BigIntegerField()
    force_id = models.BigIntegerField()
    day = models.DateField()
    distribution = models.CharField(max_length=20)
    sent_to_police = models.BooleanField()
    incidents = models.PositiveIntegerField(default=0)
    violent = models.PositiveIntegerField(default=0)
    value_lost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    rcap_attendance_due = models.PositiveIntegerField(default=0)
    rcap_attended = models.PositiveIntegerField(default=0)
    reviewed = models.PositiveIntegerField(default=0)
    crime_recorded = models.PositiveIntegerField(default=0)
    hours_to_crime_number = models.FloatField(default=0)
    outcomes = models.PositiveIntegerField(default=0)
    positive_outcomes = models.PositiveIntegerField(default=0)
    solved_reviewed = models.PositiveIntegerField(default=0)
    solved_unreviewed = models.PositiveIntegerField(default=0)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["store_id", "day"]),
            models.Index(fields=["force_id", "day"]),
            models.Index(fields=["retailer_id", "day"]),
            models.Index(fields=["day"]),
        ]

    def __str__(self) -> str:
        return f"Store {self.store_id} on {self.day} ({self.distribution})"


class TypeRollup(models.Model):
    """Incidents at one store in one month by incident type."""

    store_id = models.BigIntegerField()
    retailer_id = models.BigIntegerField()
    force_id = models.BigIntegerField()
    month = models.DateField()
    type = models.CharField(max_length=24)
    distribution = models.CharField(max_length=20)
    sent_to_police = models.BooleanField()
    incidents = models.PositiveIntegerField(default=0)
    violent = models.PositiveIntegerField(default=0)
    value_lost = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["store_id", "month"]),
            models.Index(fields=["force_id", "month"]),
        ]

    def __str__(self) -> str:
        return f"Store {self.store_id}, {self.month:%Y-%m}, {self.type} ({self.distribution})"


class HourlyRollup(models.Model):
    """Incidents at one store in one month, by day of week (1 Monday .. 7 Sunday) and local hour."""

    store_id = models.BigIntegerField()
    retailer_id = models.BigIntegerField()
    force_id = models.BigIntegerField()
    month = models.DateField()
    distribution = models.CharField(max_length=20)
    sent_to_police = models.BooleanField()
    weekday = models.PositiveSmallIntegerField()
    hour = models.PositiveSmallIntegerField()
    incidents = models.PositiveIntegerField(default=0)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["store_id", "month"]),
            models.Index(fields=["force_id", "month"]),
        ]

    def __str__(self) -> str:
        when = f"{self.month:%Y-%m}, day {self.weekday} {self.hour:02d}:00"
        return f"Store {self.store_id}, {when} ({self.distribution})"


class OffenderRollup(models.Model):
    """Incidents per known person per store and month: the top-ten offenders without scanning incidents."""

    person_id = models.BigIntegerField()
    store_id = models.BigIntegerField()
    month = models.DateField()
    distribution = models.CharField(max_length=20)
    sent_to_police = models.BooleanField()
    incidents = models.PositiveIntegerField(default=0)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["store_id", "month"]),
            # Covering: the top-ten sum reads the index alone.
            models.Index(
                fields=["store_id", "month", "distribution", "sent_to_police", "person_id", "incidents"],
                name="insights_offender_cover_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Person {self.person_id} at store {self.store_id}, {self.month:%Y-%m} ({self.distribution})"


class RollupState(models.Model):
    """How far the rollups have read: incidents changed up to `watermark`, tombstones up to `tombstone_at`."""

    name = models.CharField(max_length=20, unique=True, default="incidents")
    watermark = models.DateTimeField(null=True, blank=True)
    tombstone_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    buckets_last_run = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Rollups {self.name} up to {self.watermark}"


class QuestionKind(models.TextChoices):
    SCALE = "scale", "Scale of 1 to 5"
    CHOICE = "choice", "One choice"
    TEXT = "text", "Free text"


class Survey(models.Model):
    """A short survey a PCC office or partnership sends to its members (e.g. confidence in the police)."""

    owner_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="surveys")
    title = models.CharField(max_length=200)
    introduction = models.TextField(blank=True, max_length=2000)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        now = timezone.now()
        return (
            self.opened_at is not None
            and self.opened_at <= now
            and (self.closes_at is None or now < self.closes_at)
        )


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


class SurveyInvitation(models.Model):
    """Who a survey was sent to; a member answers once."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="survey_invitations")
    sent_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["survey", "user"], name="uniq_survey_invite")
        ]

    def __str__(self) -> str:
        return f"Survey {self.survey_id} to user {self.user_id}"


class Answer(models.Model):
    """One answer. Not linked to the person who gave it, so results stay anonymous."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    response_id = models.CharField(max_length=32, db_index=True)
    scale = models.PositiveSmallIntegerField(null=True, blank=True)
    choice = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True, max_length=2000)

    def __str__(self) -> str:
        return f"Answer to question {self.question_id} in response {self.response_id}"


class AccountabilityQuestion(models.Model):
    """A question a member submits for a PCC's public accountability meeting."""

    pcc_office = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="accountability_questions"
    )
    submitted_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey(Organisation, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(max_length=2000)
    submitted_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=12,
        default="submitted",
        choices=[
            ("submitted", "Submitted"),
            ("selected", "Selected for the meeting"),
            ("answered", "Answered"),
            ("declined", "Declined"),
        ],
    )
    answer = models.TextField(blank=True, max_length=4000)

    def __str__(self) -> str:
        return f"Question for PCC office {self.pcc_office_id} ({self.status})"


class PreventionMeasure(models.Model):
    """Prevention work at a store (a guard, tagging, a redesign), so a problem profile shows what changed."""

    store = models.ForeignKey("core.Store", on_delete=models.CASCADE, related_name="prevention_measures")
    started_on = models.DateField()
    description = models.CharField(max_length=300)
    recorded_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-started_on", "-id"]

    def __str__(self) -> str:
        return f"{self.started_on}: {self.description}"
