"""Writes about people and places: two-factor devices, partnership members and partnership stores.

Each service takes the acting viewer, checks the rules, writes, and records an audit row in the
same transaction. Problems come back as :class:`ValidationFailed` naming each field.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .capabilities import Action, can, require
from .entitlements import Viewer, entitlements_changed
from .errors import Conflict, FieldError, NotEntitled, ValidationFailed
from .models import (
    STORE_ROLES,
    AuditAction,
    Membership,
    Organisation,
    Role,
    Store,
    User,
)
from .selectors import partnership_member_retailer_ids

TOTP_DEVICE_NAME = "Authenticator app"
MAX_NAME = 200


# --- Two-factor ---------------------------------------------------------------------------------


def _clean_token(token: str) -> str:
    digits = "".join(ch for ch in (token or "") if not ch.isspace() and ch != "-")
    if not digits:
        raise ValidationFailed([FieldError("token", "Enter the 6-digit code from your authenticator app.")])
    if not digits.isdigit() or len(digits) != 6:
        raise ValidationFailed([FieldError("token", "The code is 6 digits, like 123456.")])
    return digits


def _check_token(device: TOTPDevice, token: str) -> None:
    digits = _clean_token(token)
    allowed, data = device.verify_is_allowed()
    if not allowed:
        wait = ""
        if data and data.get("locked_until"):
            wait = " Wait a few seconds before trying again."
        raise ValidationFailed([FieldError("token", "Too many wrong codes in a row." + wait)])
    if not device.verify_token(digits):
        raise ValidationFailed(
            [FieldError("token", "That code is not right. Use the newest code your app shows for ShopWatch.")]
        )


def totp_device_for(*, user: User, confirmed: bool) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("id").first()


@transaction.atomic
def totp_device_start(*, viewer: Viewer, user: User) -> TOTPDevice:
    """The device being set up: one unconfirmed device kept until confirmed, so the QR code stays put."""
    if viewer.user_id != user.pk:
        raise NotEntitled([FieldError("user", "You can only set up two-factor sign-in for yourself.")])
    existing = totp_device_for(user=user, confirmed=False)
    if existing is not None:
        return existing
    device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="totp_device",
        object_id=device.pk,
        summary=f"Two-factor set-up started for {user.email}",
    )
    return device


@transaction.atomic
def totp_device_confirm(*, viewer: Viewer, device: TOTPDevice, token: str) -> TOTPDevice:
    """Confirm a new device with a code from it; other unconfirmed devices of the user are removed."""
    if viewer.user_id != device.user_id:
        raise NotEntitled([FieldError("token", "You can only confirm your own two-factor device.")])
    if device.confirmed:
        raise Conflict([FieldError("token", "Two-factor sign-in is already set up.")])
    _check_token(device, token)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user_id=device.user_id, confirmed=False).exclude(pk=device.pk).delete()
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="totp_device",
        object_id=device.pk,
        summary="Two-factor sign-in set up",
    )
    return device


def totp_device_verify(*, user: User, token: str) -> TOTPDevice:
    """The user's confirmed device if the code is right (each code works once; wrong codes are throttled)."""
    device = totp_device_for(user=user, confirmed=True)
    if device is None:
        raise ValidationFailed([FieldError("token", "Two-factor sign-in is not set up for this account.")])
    _check_token(device, token)
    return device


# --- Partnerships: who manages, which stores, who takes part -----------------------------------------


@dataclass(frozen=True)
class MemberAdded:
    membership: Membership
    user: User
    new_user: bool
    reactivated: bool = False
    # Proposed by a partnership manager: it takes effect when the retailer consents.
    awaiting_consent: bool = False


@transaction.atomic
def membership_add(
    *,
    viewer: Viewer,
    partnership: Organisation,
    store_id: int,
    email: str,
    full_name: str,
    role: str,
) -> MemberAdded:
    """Give someone a store role at one of the partnership's stores, creating their account if needed.

    A store role opens the retailer's records at that store, so it needs the retailer's consent: it takes
    effect at once when the actor may grant it (the store's manager, the retailer's security manager, the
    operator: ``grant_store_role``); a partnership manager's proposal waits, inactive, until one of them
    consents (``membership_consent``). Nobody gives themselves a role. A new account gets no usable password:
    the person sets one through a link.
    """
    transaction.on_commit(entitlements_changed)
    require(viewer, Action.MANAGE_PARTNERSHIP, partnership)
    errors: list[FieldError] = []
    email = (email or "").strip().lower()
    full_name = " ".join((full_name or "").split())
    try:
        validate_email(email)
    except ValidationError:
        errors.append(FieldError("email", "Enter an email address like name@example.org."))
    if len(email) > 254:
        errors.append(FieldError("email", "The email address must be 254 characters or fewer."))
    if role not in STORE_ROLES:
        errors.append(FieldError("role", "Choose store reporter or store manager."))
    store: Store | None = None
    try:
        store = Store.objects.select_related("retailer").get(pk=store_id, partnerships=partnership)
    except Store.DoesNotExist:
        errors.append(FieldError("store", "Choose one of the partnership's stores."))
    existing_user = User.objects.filter(email__iexact=email).first() if email else None
    if existing_user is None:
        if not full_name:
            errors.append(FieldError("full_name", "Enter the person's full name."))
        elif len(full_name) > MAX_NAME:
            errors.append(FieldError("full_name", f"The name must be {MAX_NAME} characters or fewer."))
    if existing_user is not None and existing_user.pk == viewer.user_id:
        errors.append(FieldError("email", "You cannot give yourself a role; ask the retailer."))
    if errors:
        raise ValidationFailed(errors)
    assert store is not None
    consented = can(viewer, Action.GRANT_STORE_ROLE, store)

    new_user = existing_user is None
    if existing_user is None:
        user = User.objects.create_user(email, None, full_name=full_name)  # unusable password
    else:
        user = existing_user
    membership = (
        Membership.objects.filter(user=user, organisation_id=store.retailer_id, role=role, store=store)
        .select_for_update(of=("self",))
        .first()
    )
    reactivated = False
    if membership is not None:
        if membership.active:
            raise Conflict(
                [
                    FieldError(
                        "email",
                        f"{user.email} is already a {membership.get_role_display().lower()} at {store.name}.",
                    )
                ]
            )
        if membership.awaiting_consent and not consented:
            raise Conflict(
                [FieldError("email", f"{user.email} is already waiting for {store.retailer.name}'s consent.")]
            )
        membership.active = consented
        membership.awaiting_consent = not consented
        membership.save(update_fields=["active", "awaiting_consent"])
        reactivated = True
    else:
        membership = Membership.objects.create(
            user=user,
            organisation_id=store.retailer_id,
            role=role,
            store=store,
            active=consented,
            awaiting_consent=not consented,
        )
    verb = ("Re-activated" if reactivated else "Added") if consented else "Proposed"
    waiting = "" if consented else f", awaiting {store.retailer.name}'s consent"
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE if not reactivated else AuditAction.CHANGE,
        object_type="membership",
        object_id=membership.pk,
        store_id=store.pk,
        partnership_id=partnership.pk,
        organisation_id=partnership.pk,
        summary=(
            f"{verb} {user.email} as {Role(role).label.lower()} at {store.name}"
            f"{' (new account)' if new_user else ''}{waiting}"
        ),
        detail={
            "user_id": user.pk,
            "role": role,
            "new_user": new_user,
            "awaiting_consent": not consented,
        },
    )
    return MemberAdded(
        membership=membership,
        user=user,
        new_user=new_user,
        reactivated=reactivated,
        awaiting_consent=not consented,
    )


@transaction.atomic
def membership_consent(*, viewer: Viewer, membership_id: int, consent: bool) -> Membership:
    """The retailer's answer to a proposed store role: consent (it takes effect) or refuse (it is dropped).
    Only the store's manager or the retailer's security manager (or the operator) answers, never the person
    the role is for."""
    transaction.on_commit(entitlements_changed)
    membership = (
        Membership.objects.filter(pk=membership_id, awaiting_consent=True, store__isnull=False)
        .select_related("user", "store", "store__retailer")
        .select_for_update(of=("self",))
        .first()
    )
    if membership is None or membership.store is None:
        raise ValidationFailed([FieldError("membership", "No store role is waiting for consent there.")])
    require(viewer, Action.GRANT_STORE_ROLE, membership.store, field="membership")
    if membership.user_id == viewer.user_id:
        raise NotEntitled([FieldError("membership", "You cannot consent to your own role.")])
    membership.awaiting_consent = False
    membership.active = consent
    membership.save(update_fields=["awaiting_consent", "active"])
    store = membership.store
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="membership",
        object_id=membership.pk,
        store_id=store.pk,
        organisation_id=store.retailer_id,
        summary=f"{'Consented to' if consent else 'Refused'} {membership.user.email} as "
        f"{membership.get_role_display().lower()} at {store.name}",
        detail={"user_id": membership.user_id, "role": membership.role, "consent": consent},
    )
    return membership


def _partnership_membership_q(partnership: Organisation) -> Q:
    stores = Store.partnerships.through.objects.filter(organisation_id=partnership.pk).values("store_id")
    return Q(organisation=partnership) | Q(store__in=stores)


@transaction.atomic
def membership_deactivate(*, viewer: Viewer, partnership: Organisation, membership_id: int) -> Membership:
    """Switch off one membership of someone taking part in the partnership (their other roles stay)."""
    transaction.on_commit(entitlements_changed)
    require(viewer, Action.MANAGE_PARTNERSHIP, partnership)
    membership = (
        Membership.objects.filter(_partnership_membership_q(partnership), pk=membership_id)
        .select_related("user", "store")
        .select_for_update(of=("self",))
        .first()
    )
    if membership is None:
        raise ValidationFailed([FieldError("membership", "That person is not a member of this partnership.")])
    if membership.user_id == viewer.user_id:
        raise ValidationFailed([FieldError("membership", "You cannot switch off your own membership.")])
    if membership.active:
        membership.active = False
        membership.save(update_fields=["active"])
        audit_record(
            viewer=viewer,
            action=AuditAction.CHANGE,
            object_type="membership",
            object_id=membership.pk,
            store_id=membership.store_id,
            partnership_id=partnership.pk,
            organisation_id=partnership.pk,
            summary=f"Deactivated {membership.user.email} ({membership.get_role_display().lower()}"
            f"{' at ' + membership.store.name if membership.store else ''})",
            detail={"user_id": membership.user_id, "role": membership.role},
        )
    return membership


@transaction.atomic
def partnership_store_add(*, viewer: Viewer, partnership: Organisation, store_id: int) -> Store:
    """Bring a member retailer's store into the partnership."""
    transaction.on_commit(entitlements_changed)
    require(viewer, Action.MANAGE_PARTNERSHIP, partnership)
    try:
        store = Store.objects.select_related("retailer").get(pk=store_id)
    except Store.DoesNotExist as exc:
        raise ValidationFailed([FieldError("store", "Choose a store.")]) from exc
    if store.retailer_id not in partnership_member_retailer_ids(partnership):
        raise ValidationFailed(
            [FieldError("store", f"{store.retailer.name} is not a member retailer of {partnership.name}.")]
        )
    if partnership.force_id is not None and store.force_id != partnership.force_id:
        raise ValidationFailed(
            [FieldError("store", f"{store.name} is outside {partnership.name}'s police force area.")]
        )
    if not store.active:
        raise ValidationFailed([FieldError("store", f"{store.name} is closed.")])
    if store.partnerships.filter(pk=partnership.pk).exists():
        raise Conflict([FieldError("store", f"{store.name} is already in {partnership.name}.")])
    store.partnerships.add(partnership)
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="store",
        object_id=store.pk,
        store_id=store.pk,
        partnership_id=partnership.pk,
        organisation_id=partnership.pk,
        summary=f"Added {store.name} ({store.retailer.name}) to {partnership.name}",
    )
    return store


@transaction.atomic
def partnership_store_remove(*, viewer: Viewer, partnership: Organisation, store_id: int) -> Store:
    """Take a store out of the partnership. Its records stay; its staff keep their store roles."""
    transaction.on_commit(entitlements_changed)
    require(viewer, Action.MANAGE_PARTNERSHIP, partnership)
    try:
        store = Store.objects.get(pk=store_id, partnerships=partnership)
    except Store.DoesNotExist as exc:
        raise ValidationFailed([FieldError("store", "That store is not in this partnership.")]) from exc
    store.partnerships.remove(partnership)
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="store",
        object_id=store.pk,
        store_id=store.pk,
        partnership_id=partnership.pk,
        organisation_id=partnership.pk,
        summary=f"Removed {store.name} from {partnership.name}",
    )
    return store
