"""Writing incidents: one path for the web form, the One Touch API, batches and CSV back-files."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, ProtectedError
from django.utils import timezone

from shopwatch.core.audit import audit_build, audit_record
from shopwatch.core.capabilities import REFUSALS, Action, can
from shopwatch.core.entitlements import Viewer, scope
from shopwatch.core.errors import FieldError, ValidationFailed, clean_text
from shopwatch.core.files.storage import discard_stored, stored_files_guard
from shopwatch.core.idempotency import check_key, run_idempotent
from shopwatch.core.models import AuditAction, Distribution, IdempotencyRecord, SharingGroup, Store
from shopwatch.subjects.models import Person, Vehicle
from shopwatch.subjects.registrations import RegistrationError, normalise_registration

from .filed import IncidentsFiled, incident_filed
from .models import (
    FLAG_FIELDS,
    STATUS_ORDER,
    Flag,
    GoodsLine,
    Incident,
    IncidentOffender,
    IncidentStatus,
    IncidentType,
    IncidentVehicle,
    StatusChange,
)
from .rules import PROLIFIC_INCIDENTS, IncidentFacts, classify_offence, compute_priority

EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
FUTURE_SKEW = dt.timedelta(minutes=15)
MAX_DESCRIPTION = 10_000
MAX_LINE_VALUE = Decimal("1000000")
MAX_TOTAL_VALUE = Decimal("10000000")
MAX_QUANTITY = 100_000
MAX_GOODS = 100
MAX_OFFENDERS = 20
MAX_VEHICLES = 10
_REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


@dataclass
class GoodsInput:
    description: str
    value: Decimal
    quantity: int = 1
    recovered: bool = False


@dataclass
class OffenderInput:
    person_id: int | None = None
    description: str = ""


@dataclass
class VehicleInput:
    registration: str
    description: str = ""


@dataclass
class IncidentInput:
    store_id: int | None  # parsed where it arrives (form, API, import row); None: none was given
    type: str
    occurred_at: dt.datetime
    description: str
    flags: list[str] = field(default_factory=list)
    report_to_police: bool = False
    goods: list[GoodsInput] = field(default_factory=list)
    goods_value: Decimal | None = None
    offenders: list[OffenderInput] = field(default_factory=list)
    vehicles: list[VehicleInput] = field(default_factory=list)
    location_detail: str = ""
    external_ref: str = ""
    distribution: str | None = None
    sharing_group: str | None = None
    # Photos sent with the report (the phone form): stored as evidence by the evidence app's incident-filed
    # handler, in the same transaction.
    photos: list[UploadedFile] = field(default_factory=list)


@dataclass
class _Prepared:
    data: IncidentInput
    store: Store
    registrations: list[tuple[str, str]]
    persons: list[Person | None]
    goods_value: Decimal
    distribution: str
    sharing_group_id: int | None


def new_reference() -> str:
    chars = "".join(secrets.choice(_REF_ALPHABET) for _ in range(8))
    return f"SW-{chars[:4]}-{chars[4:]}"


# Checked for every report (500 in a batch): the choices' values, computed once.
_TYPES = frozenset(IncidentType.values)
_FLAGS = frozenset(Flag.values)
_DISTRIBUTIONS = frozenset(Distribution.values)


def _text_errors(name: str, value: str, limit: int, *, required: bool = False) -> list[FieldError]:
    errors: list[FieldError] = []
    clean_text(name, value, limit, errors, required=required)
    return errors


_RECENT_STORES: dict[tuple[int, int], tuple[float, Store | None]] = {}
STORE_CACHE_SECONDS = 30.0


class _StoreCache:
    """Stores looked up once per request (a batch of 500 does not query 500 times), and kept for a few
    seconds across requests while entitlements are unchanged, since incident systems send bursts."""

    def __init__(self) -> None:
        from django.conf import settings
        from django.core.cache import cache

        from shopwatch.core.entitlements import ENTITLEMENT_GENERATION_KEY

        self._stores: dict[int, Store | None] = {}
        self._shared = int(getattr(settings, "SHOPWATCH_ENTITLEMENT_CACHE_SECONDS", 0)) > 0
        self._generation = int(cache.get(ENTITLEMENT_GENERATION_KEY, 0)) if self._shared else 0

    def get(self, store_id: int) -> Store | None:
        if store_id in self._stores:
            return self._stores[store_id]
        now = time.monotonic()
        hit = _RECENT_STORES.get((self._generation, store_id)) if self._shared else None
        if hit is not None and hit[0] > now:
            store = hit[1]
        else:
            store = Store.objects.prefetch_related("partnerships").filter(pk=store_id, active=True).first()
            if self._shared:
                if len(_RECENT_STORES) > 10_000:
                    _RECENT_STORES.clear()
                _RECENT_STORES[(self._generation, store_id)] = (now + STORE_CACHE_SECONDS, store)
        self._stores[store_id] = store
        return store


def incident_validate(
    *, viewer: Viewer, data: IncidentInput, stores: _StoreCache | None = None, prefix: str = ""
) -> _Prepared:
    """Check everything the rules require; raise ValidationFailed naming each bad field."""
    stores = stores or _StoreCache()
    errors: list[FieldError] = []
    p = prefix

    store: Store | None = None
    store_id = data.store_id
    if store_id is None:
        errors.append(FieldError(f"{p}store", "Must be a store id (an integer)."))
    else:
        store = stores.get(store_id) if viewer.can_report_for(store_id) else None
        if store is None:
            errors.append(FieldError(f"{p}store", "Unknown store, or you may not report for it."))

    if data.type not in _TYPES:
        errors.append(FieldError(f"{p}type", f"Must be one of: {', '.join(IncidentType.values)}."))

    occurred = data.occurred_at
    if occurred is None:
        errors.append(FieldError(f"{p}occurred_at", "Required."))
    else:
        if timezone.is_naive(occurred):
            occurred = timezone.make_aware(occurred)
            data.occurred_at = occurred
        if occurred < EARLIEST:
            errors.append(FieldError(f"{p}occurred_at", "Must not be before 1990."))
        elif occurred > timezone.now() + FUTURE_SKEW:
            errors.append(FieldError(f"{p}occurred_at", "Must not be in the future."))

    errors += _text_errors(f"{p}description", data.description or "", MAX_DESCRIPTION, required=True)
    errors += _text_errors(f"{p}location_detail", data.location_detail or "", 200)
    errors += _text_errors(f"{p}external_ref", data.external_ref or "", 100)

    seen_flags: set[str] = set()
    for i, flag in enumerate(data.flags):
        if flag not in _FLAGS:
            errors.append(
                FieldError(f"{p}flags[{i}]", f"Unknown flag '{flag}'; use {', '.join(Flag.values)}.")
            )
        seen_flags.add(flag)

    total = Decimal("0")
    if len(data.goods) > MAX_GOODS:
        errors.append(FieldError(f"{p}goods", f"At most {MAX_GOODS} lines."))
    for i, line in enumerate(data.goods[:MAX_GOODS]):
        errors += _text_errors(f"{p}goods[{i}].description", line.description, 200, required=True)
        if not isinstance(line.value, Decimal) or not line.value.is_finite():
            errors.append(FieldError(f"{p}goods[{i}].value", "Must be a number of pounds."))
            continue
        if line.value < 0:
            errors.append(FieldError(f"{p}goods[{i}].value", "Must not be negative."))
        elif line.value > MAX_LINE_VALUE:
            errors.append(FieldError(f"{p}goods[{i}].value", "Is implausibly large (over £1,000,000)."))
        elif line.value.as_tuple().exponent < -2:  # type: ignore[operator]
            errors.append(FieldError(f"{p}goods[{i}].value", "Must have at most two decimal places."))
        else:
            total += line.value
        if not 1 <= line.quantity <= MAX_QUANTITY:
            errors.append(FieldError(f"{p}goods[{i}].quantity", f"Must be between 1 and {MAX_QUANTITY:,}."))
    if data.goods_value is not None:
        try:
            gv = Decimal(data.goods_value)
        except (InvalidOperation, TypeError):
            gv = Decimal("NaN")
        if not gv.is_finite():
            errors.append(FieldError(f"{p}goods_value", "Must be a number of pounds."))
        elif gv < 0:
            errors.append(FieldError(f"{p}goods_value", "Must not be negative."))
        elif gv > MAX_TOTAL_VALUE:
            errors.append(FieldError(f"{p}goods_value", "Is implausibly large (over £10,000,000)."))
        elif gv.as_tuple().exponent < -2:  # type: ignore[operator]
            errors.append(FieldError(f"{p}goods_value", "Must have at most two decimal places."))
        elif not data.goods:
            total = gv
    if total > MAX_TOTAL_VALUE:
        errors.append(FieldError(f"{p}goods", "Total value is implausibly large (over £10,000,000)."))

    registrations: list[tuple[str, str]] = []
    if len(data.vehicles) > MAX_VEHICLES:
        errors.append(FieldError(f"{p}vehicles", f"At most {MAX_VEHICLES} vehicles."))
    for i, v in enumerate(data.vehicles[:MAX_VEHICLES]):
        try:
            registrations.append((normalise_registration(v.registration), v.description))
        except RegistrationError as exc:
            errors.append(FieldError(f"{p}vehicles[{i}].registration", str(exc)))
        errors += _text_errors(f"{p}vehicles[{i}].description", v.description, 200)

    persons: list[Person | None] = []
    if len(data.offenders) > MAX_OFFENDERS:
        errors.append(FieldError(f"{p}offenders", f"At most {MAX_OFFENDERS} offenders."))
    wanted = [o.person_id for o in data.offenders if o.person_id is not None]
    visible_persons = (
        {pp.pk: pp for pp in scope(Person.objects.filter(pk__in=wanted), viewer)} if wanted else {}
    )
    for i, o in enumerate(data.offenders[:MAX_OFFENDERS]):
        errors += _text_errors(f"{p}offenders[{i}].description", o.description, 1000)
        if o.person_id is None:
            if not o.description.strip():
                errors.append(FieldError(f"{p}offenders[{i}]", "Give a description or a known person."))
            persons.append(None)
        elif o.person_id not in visible_persons:
            errors.append(FieldError(f"{p}offenders[{i}].person", "Unknown person."))
        else:
            persons.append(visible_persons[o.person_id])

    distribution = data.distribution
    group_id: int | None = None
    if distribution is not None and distribution not in _DISTRIBUTIONS:
        errors.append(FieldError(f"{p}distribution", f"Must be one of: {', '.join(Distribution.values)}."))
    elif distribution == Distribution.GROUP:
        group = SharingGroup.objects.filter(
            slug=data.sharing_group or "", pk__in=viewer.sharing_group_ids
        ).first()
        if group is None:
            errors.append(FieldError(f"{p}sharing_group", "Unknown sharing group, or you are not in it."))
        else:
            group_id = group.pk
    if errors or store is None:
        raise ValidationFailed(errors)
    if distribution is None:
        has_partnership = bool(store.partnerships.all())
        distribution = Distribution.PARTNERSHIP if has_partnership else Distribution.ORGANISATION
    return _Prepared(
        data=data,
        store=store,
        registrations=registrations,
        persons=persons,
        goods_value=total,
        distribution=distribution,
        sharing_group_id=group_id,
    )


def _offender_history(persons: Iterable[Person | None], since: dt.datetime) -> dict[int, int]:
    ids = [p.pk for p in persons if p is not None]
    if not ids:
        return {}
    rows = (
        IncidentOffender.objects.filter(person_id__in=ids, incident__occurred_at__gte=since)
        .values("person_id")
        .annotate(n=Count("incident_id", distinct=True))
    )
    return {r["person_id"]: r["n"] for r in rows}


def _build_incident(viewer: Viewer, prep: _Prepared, history: dict[int, int]) -> Incident:
    data = prep.data
    flags = frozenset(data.flags)
    known = [p for p in prep.persons if p is not None]
    counts = [history.get(p.pk, 0) for p in known]
    facts = IncidentFacts(
        type=data.type,
        flags=flags,
        goods_value=prep.goods_value,
        known_offender=bool(known),
        repeat_offender=any(n >= 1 for n in counts),
        prolific_offender=any(n + 1 >= PROLIFIC_INCIDENTS for n in counts),
        juvenile_offender=any(p.is_juvenile for p in known),
    )
    pr = compute_priority(facts)
    oc = classify_offence(data.type, flags, prep.goods_value)
    now = timezone.now()
    incident = Incident(
        reference=new_reference(),
        owner_org_id=prep.store.retailer_id,
        store=prep.store,
        force_id=prep.store.force_id,
        distribution=prep.distribution,
        sharing_group_id=prep.sharing_group_id,
        type=data.type,
        occurred_at=data.occurred_at,
        description=data.description.strip(),
        location_detail=data.location_detail.strip(),
        goods_value=prep.goods_value,
        report_to_police=data.report_to_police,
        sent_to_police=data.report_to_police,
        sent_to_police_at=now if data.report_to_police else None,
        priority=pr.priority,
        priority_score=pr.score,
        priority_reasons=pr.reasons,
        offence_code=oc.code,
        offence_label=oc.label,
        channel=viewer.channel,
        reported_by_id=viewer.user_id,
        external_ref=data.external_ref.strip(),
        created_at=now,
        updated_at=now,
    )
    for flag, column in FLAG_FIELDS.items():
        setattr(incident, column, flag in flags)
    incident.status = _initial_status(incident)
    return incident


def _initial_status(incident: Incident) -> str:
    if incident.sent_to_police:
        return IncidentStatus.SENT_TO_POLICE
    if incident.distribution != Distribution.ORGANISATION:
        return IncidentStatus.SHARED
    return IncidentStatus.SUBMITTED


def _status_trail(incident: Incident, actor_id: int | None) -> list[StatusChange]:
    trail = [
        StatusChange(
            incident=incident,
            from_status="",
            to_status=IncidentStatus.SUBMITTED,
            at=incident.created_at,
            actor_id=actor_id,
        )
    ]
    if incident.distribution != Distribution.ORGANISATION:
        trail.append(
            StatusChange(
                incident=incident,
                from_status=IncidentStatus.SUBMITTED,
                to_status=IncidentStatus.SHARED,
                at=incident.created_at,
                actor_id=actor_id,
            )
        )
    if incident.sent_to_police:
        trail.append(
            StatusChange(
                incident=incident,
                from_status=trail[-1].to_status,
                to_status=IncidentStatus.SENT_TO_POLICE,
                at=incident.created_at,
                actor_id=actor_id,
                note="Reported to police by the store",
            )
        )
    return trail


def _vehicles_for(registrations: Iterable[str]) -> dict[str, Vehicle]:
    regs = set(registrations)
    if not regs:
        return {}
    found = {v.registration: v for v in Vehicle.objects.filter(registration__in=regs)}
    missing = [Vehicle(registration=r) for r in regs if r not in found]
    if missing:
        Vehicle.objects.bulk_create(missing, ignore_conflicts=True)
        found = {v.registration: v for v in Vehicle.objects.filter(registration__in=regs)}
    return found


def _build_incidents(viewer: Viewer, prepared: list[_Prepared]) -> list[Incident]:
    """The unsaved incidents for validated reports (with their priority and offence classification).

    Reads only, so a batch builds them before its transaction starts and holds SQLite's write lock only to
    insert them.
    """
    since = timezone.now() - dt.timedelta(days=365)
    history = _offender_history((p for prep in prepared for p in prep.persons), since)
    return [_build_incident(viewer, prep, history) for prep in prepared]


def _write(
    viewer: Viewer, prepared: list[_Prepared], incidents: list[Incident] | None = None
) -> list[Incident]:
    """Insert incidents (built here unless given) and everything hanging off them, with their audit rows,
    in bulk."""
    if incidents is None:
        incidents = _build_incidents(viewer, prepared)
    for attempt in range(3):
        try:
            with transaction.atomic():
                Incident.objects.bulk_create(incidents)
            break
        except IntegrityError:  # a reference collided: draw new ones
            if attempt == 2:
                raise
            for inc in incidents:
                inc.reference = new_reference()
    vehicles = _vehicles_for(r for prep in prepared for r, _ in prep.registrations)
    goods: list[GoodsLine] = []
    offenders: list[IncidentOffender] = []
    links: list[IncidentVehicle] = []
    trail: list[StatusChange] = []
    audits = []
    touched_persons: set[int] = set()
    for inc, prep in zip(incidents, prepared, strict=True):
        goods += [
            GoodsLine(
                incident=inc,
                description=g.description.strip(),
                quantity=g.quantity,
                value=g.value,
                recovered=g.recovered,
            )
            for g in prep.data.goods
        ]
        for person, o in zip(prep.persons, prep.data.offenders, strict=True):
            offenders.append(IncidentOffender(incident=inc, person=person, description=o.description.strip()))
            if person is not None:
                touched_persons.add(person.pk)
        links += [
            IncidentVehicle(incident=inc, vehicle=vehicles[r], description=d) for r, d in prep.registrations
        ]
        trail += _status_trail(inc, viewer.user_id)
        audits.append(
            audit_build(
                viewer=viewer,
                action=AuditAction.CREATE,
                object_type="incident",
                object_id=inc.pk,
                store_id=inc.store_id,
                summary=inc.reference,
                organisation_id=viewer.primary_org_id or inc.owner_org_id,
            )
        )
    GoodsLine.objects.bulk_create(goods)
    IncidentOffender.objects.bulk_create(offenders)
    IncidentVehicle.objects.bulk_create(links)
    StatusChange.objects.bulk_create(trail)
    from shopwatch.core.models import AuditEvent

    AuditEvent.objects.bulk_create(audits)
    # The apps above reporting act on the report in this transaction (reporting.filed): urgent reports alert
    # their area (alerts), listed people's gallery entries are renewed and exclusion breaches flagged
    # (intelligence), photos sent with a report are stored as its evidence (evidence). A handler that fails
    # rolls the report back.
    filed = IncidentsFiled(
        viewer=viewer,
        incidents=incidents,
        person_ids=frozenset(touched_persons),
        photos={
            inc.pk: prep.data.photos
            for inc, prep in zip(incidents, prepared, strict=True)
            if prep.data.photos
        },
    )
    incident_filed.run(filed)
    if touched_persons:
        latest = max(inc.occurred_at for inc in incidents)
        Person.objects.filter(pk__in=touched_persons).update(
            last_incident_at=latest, updated_at=timezone.now()
        )
    return incidents


@transaction.atomic
def incident_create(*, viewer: Viewer, data: IncidentInput) -> Incident:
    """File one incident report. Validates, writes, audits, all in one transaction."""
    prep = incident_validate(viewer=viewer, data=data)
    return _write(viewer, [prep])[0]


def incident_report_file(
    *, viewer: Viewer, data: IncidentInput, form_token: str, fingerprint: str
) -> tuple[int, bool]:
    """File a report from the phone form with its photos, once per form token; returns the incident's id and
    whether this form had already been sent (so the page can say so rather than file twice).

    A double tap or a resent form gives back the first submission's incident. Photos stored for a submission
    that then failed, or lost to an earlier one, are deleted (storage is not transactional).
    """
    if viewer.user_id is None:
        raise ValidationFailed([FieldError("user", "Sign in to report an incident.")])

    def produce() -> tuple[int, dict[str, Any]]:
        incident = incident_create(viewer=viewer, data=data)
        return 201, {"incident": incident.pk, "reference": incident.reference}

    with stored_files_guard() as stored:
        _, body, replayed = run_idempotent(
            user_id=viewer.user_id, key=f"form:{form_token}", fingerprint=fingerprint, produce=produce
        )
        if replayed:  # an earlier submission of this form won; anything this one stored was rolled back
            discard_stored(stored)
    return int(body["incident"]), replayed


@dataclass
class BatchItemResult:
    index: int
    status: int
    incident: Incident | None = None
    errors: list[FieldError] = field(default_factory=list)
    replayed_response: dict[str, Any] | None = None


def incidents_create_batch(
    *,
    viewer: Viewer,
    items: list[IncidentInput | list[FieldError]],
    keys: list[str | None],
    fingerprints: list[str],
    render: Any,
) -> list[BatchItemResult]:
    """Create many incidents, each judged on its own (per-item results).

    ``items`` holds parsed inputs, or the schema errors for items that did not parse. ``keys`` holds
    each item's idempotency key (or None): an item whose key was seen before replays its first answer
    (or gets 409 if its body differs) and creates nothing. ``render`` turns an Incident into the
    response body stored for replay. Valid new items are written together in one transaction.
    """
    stores = _StoreCache()
    results: list[BatchItemResult] = [BatchItemResult(index=i, status=0) for i in range(len(items))]
    assert viewer.user_id is not None
    key_list = [k for k in keys if k]
    for k in key_list:
        check_key(k)
    for attempt in range(2):
        previous = {
            r.key: r for r in IdempotencyRecord.objects.filter(user_id=viewer.user_id, key__in=key_list)
        }
        todo: list[tuple[int, _Prepared]] = []
        seen_keys: dict[str, int] = {}
        for i, item in enumerate(items):
            res = results[i]
            res.errors, res.status, res.incident, res.replayed_response = [], 0, None, None
            key = keys[i]
            if key and key in previous:
                rec = previous[key]
                if rec.request_hash != fingerprints[i]:
                    res.status = 409
                    res.errors = [
                        FieldError(f"incidents[{i}]", "Idempotency key already used with another body.")
                    ]
                else:
                    res.status, res.replayed_response = rec.status_code, rec.response
                continue
            if key and key in seen_keys:
                res.status = 409
                res.errors = [FieldError(f"incidents[{i}]", f"Repeats the key of item {seen_keys[key]}.")]
                continue
            if isinstance(item, list):
                res.status, res.errors = 422, item
                continue
            try:
                todo.append(
                    (i, incident_validate(viewer=viewer, data=item, stores=stores, prefix=f"incidents[{i}]."))
                )
            except ValidationFailed as exc:
                res.status, res.errors = 422, exc.errors
                continue
            if key:
                seen_keys[key] = i
        if not todo:
            return results
        preps = [prep for _, prep in todo]
        built = _build_incidents(viewer, preps)
        try:
            with transaction.atomic():
                created = _write(viewer, preps, built)
                records = []
                for (i, _), inc in zip(todo, created, strict=True):
                    results[i].status, results[i].incident = 201, inc
                    item_key = keys[i]
                    if item_key:
                        records.append(
                            IdempotencyRecord(
                                user_id=viewer.user_id,
                                key=item_key,
                                request_hash=fingerprints[i],
                                status_code=201,
                                response=render(inc),
                            )
                        )
                IdempotencyRecord.objects.bulk_create(records)
            return results
        except IntegrityError:
            if attempt == 1:
                raise
            # A concurrent request claimed one of the keys first: replay against what it stored.
            continue
    return results


@transaction.atomic
def incident_set_status(*, viewer: Viewer, incident: Incident, status: str, note: str = "") -> Incident:
    """Move an incident along its lifecycle and record who moved it."""
    if status not in STATUS_ORDER:
        raise ValidationFailed([FieldError("status", f"Must be one of: {', '.join(STATUS_ORDER)}.")])
    previous = incident.status
    if previous == status:
        return incident
    incident.status = status
    update = ["status", "updated_at"]
    if (
        STATUS_ORDER.index(status) >= STATUS_ORDER.index(IncidentStatus.SENT_TO_POLICE)
        and not incident.sent_to_police
    ):
        incident.sent_to_police = True
        incident.sent_to_police_at = timezone.now()
        update += ["sent_to_police", "sent_to_police_at"]
    incident.updated_at = timezone.now()
    incident.save(update_fields=update)
    StatusChange.objects.create(
        incident=incident, from_status=previous, to_status=status, actor_id=viewer.user_id, note=note[:500]
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="incident",
        object_id=incident.pk,
        store_id=incident.store_id,
        summary=f"{incident.reference}: {previous} → {status}",
    )
    return incident


def incident_send_to_police(*, viewer: Viewer, incident: Incident, note: str = "") -> Incident:
    """A store or partnership sends an incident to the police force whose area the store is in."""
    if incident.sent_to_police:
        return incident
    if not can(viewer, Action.SEND_TO_POLICE, incident):  # a 422, as it always answered
        raise ValidationFailed([FieldError(*REFUSALS[Action.SEND_TO_POLICE])])
    return incident_set_status(
        viewer=viewer, incident=incident, status=IncidentStatus.SENT_TO_POLICE, note=note or "Sent to police"
    )


@transaction.atomic
def incident_delete(*, viewer: Viewer, incident: Incident, reason: str) -> None:
    """Delete an incident (retention, erasure, a report filed in error), with a tombstone and an audit row."""
    from .models import BucketChangeReason, IncidentBucketChange

    # As the table says, the platform's own jobs (retention) included; refused with a 422, as always.
    if not can(viewer, Action.DELETE_INCIDENT, incident):
        raise ValidationFailed([FieldError(*REFUSALS[Action.DELETE_INCIDENT])])
    if not reason.strip():
        raise ValidationFailed([FieldError("reason", "Say why the incident is deleted.")])
    IncidentBucketChange.objects.create(
        incident_id=incident.pk,
        store_id=incident.store_id,
        occurred_at=incident.occurred_at,
        reason=BucketChangeReason.DELETED,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.DELETE,
        object_type="incident",
        object_id=incident.pk,
        store_id=incident.store_id,
        summary=f"{incident.reference} deleted: {reason.strip()[:200]}",
    )
    try:
        with transaction.atomic():
            incident.delete()
    except ProtectedError as exc:
        raise ValidationFailed(
            [
                FieldError(
                    "incident", "This incident still holds evidence; evidence retention decides when it goes."
                )
            ]
        ) from exc
