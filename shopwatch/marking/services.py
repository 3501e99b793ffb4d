"""Writes of the forensic-marking registry: issuing kits, logging deployments, registering marked
property, signage. Each writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.capabilities import Action, require
from shopwatch.core.entitlements import Viewer, get_visible
from shopwatch.core.errors import Conflict, FieldError, ValidationFailed, clean_text
from shopwatch.core.models import AuditAction, Store
from shopwatch.reporting.models import Incident

from . import selectors
from .models import (
    Deployment,
    DeploymentTarget,
    KitKind,
    MarkedProperty,
    MarkingKit,
    Product,
    SignageDisplay,
    normalise_code,
    split_code,
)

MAX_RANGE = 100_000


def _store_for(viewer: Viewer, store_id: int) -> Store:
    store = Store.objects.filter(pk=store_id).first()
    # An unknown store is judged by its id alone: refused (403) to all but the operator, told it is unknown.
    require(viewer, Action.MARK_PROPERTY, store if store is not None else Store(pk=store_id))
    if store is None:
        raise ValidationFailed([FieldError("store", "No such store.")])
    return store


def _code_taken(code: str) -> bool:
    prefix, number = split_code(code)
    taken = MarkingKit.objects.filter(code=code).exists() or MarkedProperty.objects.filter(code=code).exists()
    if number is not None:
        taken = (
            taken
            or MarkingKit.objects.filter(
                code_prefix=prefix, code_from__lte=number, code_to__gte=number
            ).exists()
        )
    return taken


@transaction.atomic
def kit_issue(
    *,
    viewer: Viewer,
    store_id: int,
    product: str,
    kind: str,
    batch: str,
    code: str,
    last_code: str = "",
    issued_to: str = "",
    issued_on: dt.date | None = None,
    expires_on: dt.date | None = None,
) -> MarkingKit:
    """Register a kit or spray issued to a store, with one code or a range (``code`` to ``last_code``)."""
    store = _store_for(viewer, store_id)
    errors: list[FieldError] = []
    if product not in Product.values:
        errors.append(FieldError("product", f"One of {', '.join(Product.values)}."))
    if kind not in KitKind.values:
        errors.append(FieldError("kind", f"One of {', '.join(KitKind.values)}."))
    batch = clean_text("batch", batch, 60, errors)
    issued_to = clean_text("issued_to", issued_to, 200, errors, required=False)
    norm = normalise_code(code)
    if not norm or len(norm) > 60:
        errors.append(FieldError("code", "A code of 1 to 60 characters."))
    prefix, first = split_code(norm)
    last = first
    if last_code:
        last_norm = normalise_code(last_code)
        last_prefix, last = split_code(last_norm)
        if first is None or last is None or last_prefix != prefix or len(last_norm) != len(norm):
            errors.append(FieldError("last_code", "A range's codes share their letters and end in numbers."))
        elif not 0 <= last - first < MAX_RANGE:
            errors.append(FieldError("last_code", f"After the first code, at most {MAX_RANGE:,} codes."))
    issued_on = issued_on or timezone.localdate()
    if issued_on > timezone.localdate():
        errors.append(FieldError("issued_on", "Must not be in the future."))
    if expires_on is not None and expires_on < issued_on:
        errors.append(FieldError("expires_on", "Must not be before the issue date."))
    if errors:
        raise ValidationFailed(errors)
    if _code_taken(norm) or (
        last is not None
        and first is not None
        and MarkingKit.objects.filter(code_prefix=prefix, code_from__lte=last, code_to__gte=first).exists()
    ):
        raise Conflict([FieldError("code", "This code is already registered.")])
    kit = MarkingKit.objects.create(
        owner_org_id=store.retailer_id,
        store=store,
        product=product,
        kind=kind,
        batch=batch,
        code=norm,
        code_prefix=prefix,
        code_from=first,
        code_to=last,
        issued_to=issued_to,
        issued_on=issued_on,
        expires_on=expires_on,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="marking_kit",
        object_id=kit.pk,
        store_id=store.pk,
        summary=f"Issued marking kit {kit.code_label}",
    )
    return kit


@transaction.atomic
def deployment_record(
    *,
    viewer: Viewer,
    kit_id: int,
    incident_id: int,
    deployed_by: str,
    deployed_at: dt.datetime,
    target: str,
    where: str = "",
    target_detail: str = "",
) -> Deployment:
    """Log a kit's use in an incident at its own store (the store's staff, retailer or partnership)."""
    kit = selectors.kit_get(viewer=viewer, kit_id=kit_id)
    incident = get_visible(Incident.objects.all(), viewer, pk=incident_id)
    errors: list[FieldError] = []
    if incident.store_id != kit.store_id:
        errors.append(FieldError("incident", "The incident must be at the store the kit was issued to."))
    require(
        viewer,
        Action.MARK_PROPERTY,
        kit.store,
        field="kit",
        message="Only people who report for the kit's store log its use.",
    )
    deployed_by = clean_text("deployed_by", deployed_by, 200, errors)
    where = clean_text("where", where, 200, errors, required=False)
    target_detail = clean_text("target_detail", target_detail, 300, errors, required=False)
    if target not in DeploymentTarget.values:
        errors.append(FieldError("target", f"One of {', '.join(DeploymentTarget.values)}."))
    if deployed_at > timezone.now():
        errors.append(FieldError("deployed_at", "Must not be in the future."))
    if errors:
        raise ValidationFailed(errors)
    deployment = Deployment.objects.create(
        kit=kit,
        incident=incident,
        deployed_by=deployed_by,
        deployed_at=deployed_at,
        where=where,
        target=target,
        target_detail=target_detail,
        recorded_by_id=viewer.user_id,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="marking_deployment",
        object_id=deployment.pk,
        store_id=kit.store_id,
        summary=f"Logged use of {kit.code} in {incident.reference}",
    )
    return deployment


@transaction.atomic
def property_register(
    *, viewer: Viewer, store_id: int, product: str, code: str, description: str
) -> MarkedProperty:
    """Register stock or property marked with a code, by the business that owns it."""
    store = _store_for(viewer, store_id)
    errors: list[FieldError] = []
    if product not in Product.values:
        errors.append(FieldError("product", f"One of {', '.join(Product.values)}."))
    norm = normalise_code(code)
    if not norm or len(norm) > 60:
        errors.append(FieldError("code", "A code of 1 to 60 characters."))
    description = clean_text("description", description, 300, errors)
    if errors:
        raise ValidationFailed(errors)
    if _code_taken(norm):
        raise Conflict([FieldError("code", "This code is already registered.")])
    prop = MarkedProperty.objects.create(
        owner_org_id=store.retailer_id,
        store=store,
        product=product,
        code=norm,
        description=description,
        registered_by_id=viewer.user_id,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="marked_property",
        object_id=prop.pk,
        store_id=store.pk,
        summary=f"Registered marked property {norm}",
    )
    return prop


@transaction.atomic
def signage_set(*, viewer: Viewer, store_id: int, product: str, displayed: bool) -> SignageDisplay | None:
    """Say whether a store displays forensic-marking signage."""
    store = _store_for(viewer, store_id)
    if product not in Product.values:
        raise ValidationFailed([FieldError("product", f"One of {', '.join(Product.values)}.")])
    SignageDisplay.objects.filter(store=store).delete()
    sign = SignageDisplay.objects.create(store=store, product=product) if displayed else None
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="marking_signage",
        object_id=store.pk,
        store_id=store.pk,
        summary="Displays marking signage" if displayed else "No longer displays marking signage",
    )
    return sign
