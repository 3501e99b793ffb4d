"""Navigator diversion casework: referrals, consent, needs, contacts, onward referrals, goals, closure.

Needs, contacts, onward referrals and goals are special category data (health, substance misuse, housing):
they are read only by the navigator organisation that holds the case (``selectors.py``), never by
retailers, partnerships, police, PCC offices or the platform operator.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from shopwatch.core.models import Organisation
from shopwatch.reporting.models import Incident
from shopwatch.subjects.models import Person


class ReferralSource(models.TextChoices):
    POLICE = "police", "Police"
    PARTNERSHIP = "partnership", "Partnership manager"
    PROBATION = "probation", "Probation"
    OUTREACH = "outreach", "Navigator's own outreach"


class Consent(models.TextChoices):
    PENDING = "pending", "Not yet asked"
    GIVEN = "given", "Given"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn"


class CaseStatus(models.TextChoices):
    REFERRED = "referred", "Referred"
    ACTIVE = "active", "Engaged"
    CLOSED = "closed", "Closed"


class NeedArea(models.TextChoices):
    HOUSING = "housing", "Housing"
    SUBSTANCE = "substance_misuse", "Substance misuse"
    MENTAL_HEALTH = "mental_health", "Mental health"
    PHYSICAL_HEALTH = "physical_health", "Physical health"
    DEBT = "debt", "Debt and benefits"
    EMPLOYMENT = "employment", "Employment and training"
    RELATIONSHIPS = "relationships", "Family and relationships"


class NavigatorCase(models.Model):
    """One person referred to a navigator organisation. Before consent only the referral exists."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="navigator_cases")
    # The police force area the case is worked in: the PCC office of that area sees its aggregates.
    force = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="navigator_cases")
    source = models.CharField(max_length=20, choices=ReferralSource.choices)
    referred_by = models.CharField(max_length=200, help_text="Who referred: a name and organisation")
    reason = models.TextField(max_length=2000)
    prompting_incidents = models.ManyToManyField(Incident, blank=True, related_name="+")
    referred_at = models.DateField(default=timezone.localdate)
    consent = models.CharField(max_length=12, choices=Consent.choices, default=Consent.PENDING)
    consent_at = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.REFERRED)
    engaged_at = models.DateField(null=True, blank=True, help_text="The day consent was first given")
    navigator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Whether police of the force may see that this person is engaged with a diversion programme.
    shared_with_police = models.BooleanField(default=False)
    closed_at = models.DateField(null=True, blank=True)
    closure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organisation", "-referred_at", "-id"])]

    def __str__(self) -> str:
        return f"Navigator case {self.pk}"


class CaseNeed(models.Model):
    case = models.ForeignKey(NavigatorCase, on_delete=models.CASCADE, related_name="needs")
    area = models.CharField(max_length=20, choices=NeedArea.choices)
    detail = models.TextField(max_length=2000, blank=True)
    recorded_at = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return f"case need {self.pk}"


class ContactKind(models.TextChoices):
    CONTACT = "contact", "Contact"
    SESSION = "session", "Session"
    MISSED = "missed", "Missed appointment"


class CaseContact(models.Model):
    case = models.ForeignKey(NavigatorCase, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    on = models.DateField()
    note = models.TextField(max_length=4000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"case contact {self.pk}"


class ReferralOutcome(models.TextChoices):
    PENDING = "pending", "Waiting"
    ACCEPTED = "accepted", "Accepted"
    ATTENDED = "attended", "Attending"
    DECLINED = "declined", "Declined"
    COMPLETED = "completed", "Completed"


class OnwardReferral(models.Model):
    case = models.ForeignKey(NavigatorCase, on_delete=models.CASCADE, related_name="onward_referrals")
    service = models.CharField(max_length=200, help_text="The named support service")
    area = models.CharField(max_length=20, choices=NeedArea.choices)
    referred_on = models.DateField()
    outcome = models.CharField(
        max_length=12, choices=ReferralOutcome.choices, default=ReferralOutcome.PENDING
    )

    def __str__(self) -> str:
        return f"onward referral {self.pk}"


class CaseGoal(models.Model):
    case = models.ForeignKey(NavigatorCase, on_delete=models.CASCADE, related_name="goals")
    text = models.CharField(max_length=300)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent, 0 to 100")
    achieved_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"case goal {self.pk}"


class NavigatorSettings(models.Model):
    """A navigator organisation's own retention: closed cases are deleted this many months after closure."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="navigator_settings"
    )
    delete_closed_after_months = models.PositiveSmallIntegerField(default=24)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"navigator settings {self.pk}"
