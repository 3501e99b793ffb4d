"""Organisations, stores, people, memberships, sharing and audit: what every app stands on."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class OrganisationKind(models.TextChoices):
    RETAILER = "retailer", "Retailer"
    PARTNERSHIP = "partnership", "Partnership (BCRP, BID, Shop Watch)"
    POLICE_FORCE = "police_force", "Police force"
    PCC_OFFICE = "pcc_office", "Police and Crime Commissioner's office"
    SUPPORT_PROVIDER = "support_provider", "Support provider"
    NATIONAL_UNIT = "national_unit", "National unit"
    PLATFORM = "platform", "Platform operator"


class PartnershipType(models.TextChoices):
    BCRP = "bcrp", "Business Crime Reduction Partnership"
    BID = "bid", "Business Improvement District"
    SHOP_WATCH = "shop_watch", "Shop Watch group"


class Organisation(models.Model):
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices, db_index=True)
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    partnership_type = models.CharField(max_length=20, choices=PartnershipType.choices, blank=True)
    # The police force area a partnership or PCC office sits in (a force's own row leaves it empty).
    force = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrganisationKind.POLICE_FORCE},
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnershipMembership(models.Model):
    """An organisation (usually a retailer) that is a member of a partnership."""

    partnership = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="member_links",
        limit_choices_to={"kind": OrganisationKind.PARTNERSHIP},
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="partnership_links")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["partnership", "organisation"], name="uniq_partnership_member")
        ]

    def __str__(self) -> str:
        return f"Organisation {self.organisation_id} in partnership {self.partnership_id}"


class Network(models.Model):
    """Partnerships that agree to share with each other (a county data-sharing group)."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    partnerships = models.ManyToManyField(
        Organisation, related_name="networks", limit_choices_to={"kind": OrganisationKind.PARTNERSHIP}
    )

    def __str__(self) -> str:
        return self.name


class SharingGroup(models.Model):
    """A named group of organisations that records can be shared with (MISP's sharing group)."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    organisations = models.ManyToManyField(Organisation, related_name="sharing_groups")

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    """Premises belonging to a retailer, inside one police force area, in one or more partnerships."""

    retailer = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="stores",
        limit_choices_to={"kind": OrganisationKind.RETAILER},
    )
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=40, blank=True, help_text="The retailer's own store number")
    address = models.CharField(max_length=300)
    town = models.CharField(max_length=100)
    postcode = models.CharField(max_length=10)
    latitude = models.FloatField()
    longitude = models.FloatField()
    force = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="force_stores",
        limit_choices_to={"kind": OrganisationKind.POLICE_FORCE},
    )
    partnerships = models.ManyToManyField(
        Organisation,
        related_name="partnership_stores",
        blank=True,
        limit_choices_to={"kind": OrganisationKind.PARTNERSHIP},
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    def __str__(self) -> str:
        return self.email


class Role(models.TextChoices):
    STORE_REPORTER = "store_reporter", "Store reporter"
    STORE_MANAGER = "store_manager", "Store manager"
    RETAIL_SECURITY_MANAGER = "retail_security_manager", "Retail security manager"
    PARTNERSHIP_MANAGER = "partnership_manager", "Partnership manager"
    POLICE_INVESTIGATOR = "police_investigator", "Police investigator"
    POLICE_SUPERVISOR = "police_supervisor", "Police supervisor"
    ANALYST = "analyst", "Analyst"
    PCC_SCRUTINY = "pcc_scrutiny", "PCC scrutiny"
    NAVIGATOR = "navigator", "Navigator"
    PLATFORM_ADMIN = "platform_admin", "Platform admin"


STORE_ROLES = frozenset({Role.STORE_REPORTER, Role.STORE_MANAGER})
POLICE_ROLES = frozenset({Role.POLICE_INVESTIGATOR, Role.POLICE_SUPERVISOR, Role.ANALYST})
TWO_FACTOR_ROLES = frozenset(
    {
        Role.POLICE_INVESTIGATOR,
        Role.POLICE_SUPERVISOR,
        Role.ANALYST,
        Role.PARTNERSHIP_MANAGER,
        Role.PLATFORM_ADMIN,
    }
)


class Membership(models.Model):
    """A user's role in an organisation; store roles also name the store."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    active = models.BooleanField(default=True)
    # A store role proposed by a partnership manager: inactive until the retailer consents (its security
    # manager or the store's manager: the capability table's grant_store_role).
    awaiting_consent = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "organisation", "role", "store"], name="uniq_membership"),
        ]

    def __str__(self) -> str:
        where = f" at {self.store}" if self.store_id else ""
        return f"{self.user} — {self.get_role_display()}, {self.organisation}{where}"


class Distribution(models.TextChoices):
    """How far a record travels. Ordered from narrowest to widest, except the named group."""

    ORGANISATION = "organisation", "Organisation only"
    PARTNERSHIP = "partnership", "This partnership"
    CONNECTED = "connected", "Connected partnerships"
    ALL_PARTNERSHIPS = "all_partnerships", "All partnerships"
    POLICE = "police", "Partnerships and police"
    GROUP = "group", "Named sharing group"


class ApiKey(models.Model):
    """A key for a retailer's system; it acts with its user's entitlements. Only a hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first answer given to a request that carried an Idempotency-Key."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["user", "key"], name="uniq_idempotency_key")]

    def __str__(self) -> str:
        return f"Idempotency key {self.key} for user {self.user_id}"


class Channel(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    CSV = "csv", "CSV import"
    CLI = "cli", "Command line"
    SYSTEM = "system", "System"


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    VIEW = "view", "Viewed"
    LIST = "list", "Listed"
    EXPORT = "export", "Exported"
    DELETE = "delete", "Deleted"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The audit trail is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only.")


class AuditEvent(models.Model):
    """Who did what to which record, when and through which channel. Append-only."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, blank=True)
    # Where the record sits, so that a partnership can read its own trail.
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    partnership = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-at", "-id"]
        indexes: ClassVar = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_id}".rstrip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only.")


class ScheduledRun(models.Model):
    """The last slot the scheduler enqueued for one scheduled job (see shopwatch.core.schedule).

    One row per job. A scheduler claims a slot by moving ``slot_at`` forward in a conditional update, so two
    schedulers running at once enqueue each slot once.
    """

    name = models.CharField(max_length=80, unique=True)
    slot_at = models.DateTimeField(null=True, blank=True, help_text="Start of the last slot claimed")
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_result_id = models.CharField(max_length=64, blank=True)
    runs = models.PositiveIntegerField(default=0, help_text="Slots enqueued since the job was first seen")

    class Meta:
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name
