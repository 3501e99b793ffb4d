"""The police side of the loop: triage, hand-off to crime recording, feedback, outcomes, series, case files.

Incidents themselves belong to ``shopwatch.reporting``; every row here hangs off one (or a series of them)
and is read through the incident's own audience, so a force sees only what was sent to it.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from shopwatch.core.entitlements import Owner
from shopwatch.core.models import Organisation, Store, User
from shopwatch.reporting.models import Incident
from shopwatch.subjects.models import Person, Vehicle

# --- Triage ----------------------------------------------------------------------------------------


class TriageState(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    INFO_REQUESTED = "info_requested", "Information requested from the store"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


OPEN_STATES = (TriageState.NEW, TriageState.ASSIGNED, TriageState.INFO_REQUESTED)


class Triage(models.Model):
    """Where one incident stands in its force's queue. Absent until someone first acts on it."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="triage")
    force = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=TriageState.choices, default=TriageState.NEW)
    assigned_to = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=1000, blank=True)
    attended_at = models.DateTimeField(null=True, blank=True)
    attended_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["force", "state"]),
            models.Index(fields=["assigned_to", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.state}"

    @property
    def reviewed(self) -> bool:
        """Reviewed by the business crime team: a decision was taken on it in the queue."""
        return self.state in (TriageState.ACCEPTED, TriageState.REJECTED)


class TriageAction(models.TextChoices):
    ASSIGN = "assign", "Assigned"
    TAKE = "take", "Taken"
    ACCEPT = "accept", "Accepted"
    REJECT = "reject", "Rejected"
    REQUEST_INFO = "request_info", "Asked the store for more information"
    REQUEST_CCTV = "request_cctv", "Asked the store for CCTV"
    ATTEND = "attend", "Attendance recorded"
    STORE_ANSWERED = "store_answered", "The store answered the request"


class TriageEvent(models.Model):
    """Each thing done to an incident in the queue, in order: the history the team and the store see."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="triage_events")
    action = models.CharField(max_length=20, choices=TriageAction.choices)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assignee = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=1000, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.action}"


class StoreContact(models.Model):
    """What a store chooses to share with its force for victim contact: the store's phone, a named contact
    (a manager, by role) and opening hours. Set by the store's manager or the retailer's security manager;
    police read it on the incident page, audited as a view of personal data when it names a person."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="police_contact")
    phone = models.CharField("Store phone", max_length=30, blank=True)
    contact_name = models.CharField("Contact's name", max_length=200, blank=True)
    contact_role = models.CharField("Contact's role", max_length=100, blank=True)
    contact_phone = models.CharField("Contact's phone", max_length=30, blank=True)
    opening_hours = models.CharField(max_length=300, blank=True)
    updated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Police contact for {self.store_id}"

    @property
    def names_a_person(self) -> bool:
        return bool(self.contact_name.strip())


# --- Hand-off to crime recording ------------------------------------------------------------------


class ForceEndpoint(models.Model):
    """Where a force's records management system receives hand-offs, and the secret both sides sign with."""

    force = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="handoff_endpoint")
    url = models.URLField(max_length=500)
    # The shared secret, Fernet-encrypted (see secrets.py); read and set it through ``secret``.
    secret_encrypted = models.TextField()
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"{self.force}: {self.url}"

    @property
    def secret(self) -> str:
        """The shared secret in plain text. Raises ``secrets.SecretUnreadable`` when no key decrypts it."""
        from .secrets import decrypt

        return decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        from .secrets import encrypt

        self.secret_encrypted = encrypt(value)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Queued, will retry"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead-lettered"


class Delivery(models.Model):
    """One hand-off of one incident to one force; kept until delivered, retried with back-off, never lost."""

    owner: ClassVar[Owner] = Owner(force_field="force")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="handoff_deliveries")
    force = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    payload_version = models.CharField(max_length=10)
    # The exact bytes sent, so every retry carries the same body and the same signature.
    body = models.TextField()
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # Retries run for at least SHOPWATCH_HANDOFF_RETRY_HOURS from here (reset by a replay).
    retry_window_from = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    dead_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["force", "status"]),
        ]

    def __str__(self) -> str:
        return f"Hand-off {self.pk} of incident {self.incident_id} ({self.status})"


class PoliceStatus(models.TextChoices):
    CRIME_RECORDED = "crime_recorded", "Crime recorded"
    NO_CRIME = "no_crime", "No crime"
    UNDER_INVESTIGATION = "under_investigation", "Under investigation"
    CHARGED = "charged", "Charged"
    CLOSED = "closed", "Closed"


class OutcomeType(models.TextChoices):
    """Home Office crime outcome types (the numbers are the Home Office's own)."""

    CHARGE_SUMMONS = "1", "1 Charged or summonsed"
    ALTERNATIVE_CHARGE = "1A", "1A Charged or summonsed with an alternative offence"
    YOUTH_CAUTION = "2", "2 Youth caution"
    ADULT_CAUTION = "3", "3 Adult caution"
    TIC = "4", "4 Taken into consideration"
    OFFENDER_DIED = "5", "5 Offender died"
    PENALTY_NOTICE = "6", "6 Penalty notice for disorder"
    CANNABIS_WARNING = "7", "7 Cannabis or khat warning"
    COMMUNITY_RESOLUTION = "8", "8 Community resolution"
    CPS_NOT_PUBLIC_INTEREST = "9", "9 Prosecution not in the public interest (CPS)"
    POLICE_NOT_PUBLIC_INTEREST = "10", "10 Formal action not in the public interest (police)"
    SUSPECT_UNDER_AGE = "11", "11 Prosecution prevented: suspect under age"
    SUSPECT_TOO_ILL = "12", "12 Prosecution prevented: suspect too ill"
    VICTIM_UNAVAILABLE = "13", "13 Prosecution prevented: victim or key witness dead or too ill"
    EVIDENTIAL_NO_SUSPECT_NO_SUPPORT = (
        "14",
        "14 Evidential difficulties: suspect not identified, victim does not support",
    )
    EVIDENTIAL_SUPPORTED = "15", "15 Evidential difficulties: suspect identified, victim supports action"
    EVIDENTIAL_NOT_SUPPORTED = "16", "16 Evidential difficulties: suspect identified, victim does not support"
    TIME_LIMIT = "17", "17 Prosecution time limit expired"
    NO_SUSPECT = "18", "18 Investigation complete: no suspect identified"
    OTHER_AGENCY = "20", "20 Another body or agency has investigation primacy"
    NOT_IN_PUBLIC_INTEREST_FURTHER = "21", "21 Further investigation not in the public interest"
    DIVERSIONARY = "22", "22 Diversionary, educational or intervention activity"


# The Home Office "positive outcomes": the offender was dealt with formally.
POSITIVE_OUTCOMES = frozenset({"1", "1A", "2", "3", "4", "6", "7", "8"})
# Solved: an offender was identified and dealt with, formally or by diversion.
SOLVED_OUTCOMES = POSITIVE_OUTCOMES | {"22"}
CHARGE_OUTCOMES = frozenset({"1", "1A"})


class CrimeRecord(models.Model):
    """What the force's crime recording said back: crime reference, status, outcome. One per incident."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="crime_record")
    force = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    crime_reference = models.CharField(max_length=40, blank=True, db_index=True)
    status = models.CharField(max_length=24, choices=PoliceStatus.choices, blank=True)
    outcome = models.CharField(max_length=3, choices=OutcomeType.choices, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    cbo_applied = models.BooleanField("Criminal Behaviour Order applied for", default=False)
    cbo_granted = models.BooleanField("Criminal Behaviour Order granted", default=False)
    # Set when the crime reference was already used for another incident of the same force.
    reference_clash = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["force", "crime_reference"])]

    def __str__(self) -> str:
        return f"{self.crime_reference or 'no reference'} ({self.status or 'pending'})"


class CrimeRecordChange(models.Model):
    """Each change the force reported (or an officer entered), for the store's history and for audits."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="crime_record_changes")
    source = models.CharField(
        max_length=10, choices=[("callback", "Force system"), ("manual", "Entered by hand")]
    )
    crime_reference = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=24, choices=PoliceStatus.choices, blank=True)
    outcome = models.CharField(max_length=3, choices=OutcomeType.choices, blank=True)
    cbo_applied = models.BooleanField(default=False)
    cbo_granted = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.crime_reference} {self.status} {self.outcome}".strip()


# The audit trail's object type for a callback refused (bad signature, bad body, unknown incident, ...).
CALLBACK_REFUSED = "handoff_callback_refused"


class CallbackReceipt(models.Model):
    """A signed callback already handled: a repeat of the same body is answered without applying twice."""

    force = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    body_sha256 = models.CharField(max_length=64)
    incident = models.ForeignKey(Incident, null=True, on_delete=models.SET_NULL, related_name="+")
    applied = models.BooleanField(default=False)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["force", "body_sha256"], name="uniq_callback_body_per_force")
        ]

    # --- Feedback to the retailer --------------------------------------------------------------------

    def __str__(self) -> str:
        return f"Callback {self.body_sha256[:12]} for {self.incident_id}"


class Notification(models.Model):
    """A message to one person about an incident they reported or manage; also sent by email."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="police_notifications")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="police_notifications")
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return self.subject


# --- Linking ----------------------------------------------------------------------------------------


class LinkBasis(models.TextChoices):
    PERSON = "person", "Same person"
    VEHICLE = "vehicle", "Same vehicle"
    STORE = "store", "Same store"
    METHOD = "method", "Same method"


class Series(models.Model):
    """Incidents a force's investigators have linked as one course of offending."""

    owner: ClassVar[Owner] = Owner(force_field="force")
    force = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    basis = models.CharField(max_length=10, choices=LinkBasis.choices)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    vehicle = models.ForeignKey(Vehicle, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    method = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class SeriesMember(models.Model):
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="members")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="series_links")
    added_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    # Why the investigator linked it (or which suggestion they accepted).
    reason = models.CharField(max_length=1000, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["series", "incident"], name="uniq_series_member")
        ]

    def __str__(self) -> str:
        return f"{self.series_id}: {self.incident_id}"


class SuggestionState(models.TextChoices):
    PENDING = "pending", "Awaiting a decision"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class LinkSuggestion(models.Model):
    """A candidate link between two incidents, for a person to accept or reject.

    ``method`` names what proposed it ("rule" now; a probabilistic linker later writes its own rows with a
    match ``score`` and ``evidence``, and the same accept/reject decisions train and audit it).
    """

    owner: ClassVar[Owner] = Owner(force_field="force")
    force = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    incident_a = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    incident_b = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    basis = models.CharField(max_length=10, choices=LinkBasis.choices)
    method = models.CharField(max_length=20, default="rule")
    score = models.FloatField(default=1.0)
    evidence = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=SuggestionState.choices, default=SuggestionState.PENDING)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    series = models.ForeignKey(Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["incident_a", "incident_b", "basis", "method"], name="uniq_link_suggestion"
            ),
            models.CheckConstraint(
                condition=Q(incident_a__lt=models.F("incident_b")), name="link_pair_ordered"
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["force", "state"])]

    # --- Case files and victim care ---------------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.incident_a_id}–{self.incident_b_id} ({self.basis}, {self.state})"


class CaseFile(models.Model):
    """A file an investigator builds for one incident, a series, or a prolific offender."""

    owner: ClassVar[Owner] = Owner(force_field="force")

    class Kind(models.TextChoices):
        INCIDENT = "incident", "One incident"
        SERIES = "series", "A series"
        OFFENDER = "offender", "A prolific offender (with a Criminal Behaviour Order pack)"

    force = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=200)
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    series = models.ForeignKey(Series, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField("MG5 case summary", max_length=20_000, blank=True)
    offending_history = models.TextField(
        "Lead officer's summary of offending history", max_length=20_000, blank=True
    )
    exclusion_zone = models.TextField("Proposed exclusion zone", max_length=2000, blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def reference(self) -> str:
        """The reference printed on the case file and shown on its page: the year opened and its number."""
        return f"CF-{timezone.localtime(self.created_at):%Y}-{self.pk:05d}"


STATUTORY_DECLARATION = (
    "This statement (consisting of {pages} page(s) each signed by me) is true to the best of my knowledge "
    "and belief and I make it knowing that, if it is tendered in evidence, I shall be liable to prosecution "
    "if I have wilfully stated anything in it which I know to be false, or do not believe to be true."
)


class WitnessStatement(models.Model):
    """An MG11 statement taken from a store colleague and signed by them on their own phone."""

    case_file = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="statements")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    occupation = models.CharField(max_length=100, blank=True)
    text = models.TextField(max_length=20_000)
    taken_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_name = models.CharField(max_length=200, blank=True)
    declaration = models.TextField(blank=True)
    # SHA-256 of the text as signed: a later change of text would not match.
    signed_text_sha256 = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"MG11 of {self.witness_id} for {self.incident_id}"


class ImpactStatement(models.Model):
    """An Impact Statement for Business, given by a person authorised by the retailer."""

    case_file = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="impact_statements")
    retailer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    author_position = models.CharField(max_length=100)
    text = models.TextField(max_length=20_000)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Impact statement for case file {self.case_file_id}"


class VictimReferral(models.Model):
    """A referral of hurt or distressed staff to victim support (free whether or not a crime is reported)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="victim_referrals")
    service = models.CharField(max_length=200)
    staff_name = models.CharField(max_length=200)
    contact = models.CharField(max_length=200, blank=True)
    consent = models.BooleanField()
    note = models.CharField(max_length=1000, blank=True)
    referred_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    referred_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.staff_name} to {self.service}"
