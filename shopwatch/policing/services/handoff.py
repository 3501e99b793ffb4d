"""Handing accepted incidents to the force's crime recording: configure, queue, deliver, retry, replay.

A Delivery row is written in the same transaction as the decision that caused it, so a hand-off can never be
lost: whatever happens to the worker or the receiving end, the row stays until it is delivered or, after at
least ``SHOPWATCH_HANDOFF_RETRY_HOURS`` of retrying, dead-lettered for a person to replay.
"""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from shopwatch.core import netguard
from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError, ValidationFailed
from shopwatch.core.models import AuditAction, Organisation, OrganisationKind
from shopwatch.evidence.models import EvidenceFile
from shopwatch.reporting.models import Incident

from ..models import Delivery, DeliveryStatus, ForceEndpoint
from ..payload import PAYLOAD_VERSION, SIGNATURE_HEADER, build_payload, encode, sign
from ..secrets import SecretUnreadable, encrypt
from .common import require_supervisor, system_viewer

log = logging.getLogger("shopwatch.policing.handoff")

FIRST_RETRY_SECONDS = 5
BACKOFF_FACTOR = 3
MAX_RETRY_SECONDS = 3600


def retry_hours() -> float:
    return float(getattr(settings, "SHOPWATCH_HANDOFF_RETRY_HOURS", 24))


def timeout_seconds() -> float:
    return float(getattr(settings, "SHOPWATCH_HANDOFF_TIMEOUT_SECONDS", 10))


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try after ``attempts`` failures: 5 s, 15 s, 45 s, ... at most an hour."""
    seconds = FIRST_RETRY_SECONDS * BACKOFF_FACTOR ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, MAX_RETRY_SECONDS))


# --- Configuration -----------------------------------------------------------------------------------


def _endpoint_errors(url: str, secret: str) -> list[FieldError]:
    errors = []
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
        errors.append(FieldError("url", "Must be a full http:// or https:// address."))
    elif settings.PRODUCTION and parts.scheme != "https":
        errors.append(FieldError("url", "Must use https:// in production."))
    elif parts.username is not None or parts.password is not None:
        errors.append(FieldError("url", "Must not contain a user name or password."))
    else:
        # The outbound address rule (docs/decisions/0009-outbound-requests.md), checked again at every send.
        refusal = netguard.configured_host_refusal(
            parts.hostname, port or (443 if parts.scheme == "https" else 80)
        )
        if refusal:
            log.warning("Hand-off endpoint refused: %s", refusal)
            errors.append(
                FieldError("url", "Must be a public address of the force's system, not an internal one.")
            )
    if len(url) > 500:
        errors.append(FieldError("url", "Must be at most 500 characters."))
    if len(secret) < 16:
        errors.append(FieldError("secret", "Must be at least 16 characters."))
    elif len(secret) > 200:
        errors.append(FieldError("secret", "Must be at most 200 characters."))
    return errors


@transaction.atomic
def endpoint_configure(
    *, viewer: Viewer, force: Organisation, url: str, secret: str, check_role: bool = True
) -> ForceEndpoint:
    """Set where a force receives hand-offs and the shared secret. From the CLI, ``check_role`` is False."""
    if check_role:
        require_supervisor(viewer)
        if force.pk not in viewer.police_force_ids:
            raise ValidationFailed([FieldError("force", "You can only configure your own force.")])
    if force.kind != OrganisationKind.POLICE_FORCE:
        raise ValidationFailed([FieldError("force", f"'{force.slug}' is not a police force.")])
    errors = _endpoint_errors(url, secret)
    if errors:
        raise ValidationFailed(errors)
    endpoint, created = ForceEndpoint.objects.update_or_create(
        force=force,
        defaults={
            "url": url.strip(),
            "secret_encrypted": encrypt(secret),
            "active": True,
            "updated_at": timezone.now(),
            "updated_by_id": viewer.user_id,
        },
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        object_type="handoff_endpoint",
        object_id=endpoint.pk,
        organisation_id=force.pk,
        summary=f"Hand-off endpoint for {force.slug}: {endpoint.url}",
    )
    return endpoint


# --- Queueing ------------------------------------------------------------------------------------------


def _evidence_url(f: EvidenceFile) -> str:
    base = str(getattr(settings, "SHOPWATCH_BASE_URL", "")).rstrip("/")
    return base + reverse("evidence:content", args=[f.pk])


def payload_for(incident: Incident, *, viewer: Viewer | None = None) -> str:
    """The signed hand-off document: as the force's records system may see it, or as one officer may (their
    download of handoff.json)."""
    incident = Incident.objects.select_related("store", "store__retailer", "force", "reported_by").get(
        pk=incident.pk
    )
    return encode(build_payload(incident, viewer=viewer, evidence_url=_evidence_url))


def delivery_enqueue(*, viewer: Viewer, incident: Incident) -> Delivery | None:
    """Queue the hand-off of an accepted incident (inside the caller's transaction); None if no endpoint."""
    endpoint = ForceEndpoint.objects.filter(force_id=incident.force_id, active=True).first()
    if endpoint is None:
        return None
    now = timezone.now()
    delivery = Delivery.objects.create(
        incident=incident,
        force_id=incident.force_id,
        payload_version=PAYLOAD_VERSION,
        body=payload_for(incident),
        next_attempt_at=now,
        retry_window_from=now,
        created_at=now,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="handoff_delivery",
        object_id=delivery.pk,
        store_id=incident.store_id,
        organisation_id=incident.force_id,
        summary=f"{incident.reference}: hand-off queued for {endpoint.url}",
    )
    _schedule_after_commit(delivery.pk)
    return delivery


def _schedule_after_commit(delivery_id: int, run_after: dt.datetime | None = None) -> None:
    from ..tasks import deliver_handoff

    def go() -> None:
        task = deliver_handoff
        if run_after is not None:
            from django_tasks import default_task_backend

            if not default_task_backend.supports_defer:
                return  # the scheduled `handoff_send_due` picks it up when due
            task = task.using(run_after=run_after)
        task.enqueue(delivery_id)

    transaction.on_commit(go)


# --- Delivering --------------------------------------------------------------------------------------


@dataclass
class AttemptResult:
    delivery_id: int
    attempted: bool
    status: str
    status_code: int | None = None
    error: str = ""


UNREACHABLE = "Could not reach the receiving system (the server log has the reason)."
INTERRUPTED = "Interrupted: the worker stopped while sending; tried again when the lease has passed."


def _post(url: str, body: bytes, secret: str) -> tuple[int | None, str]:
    """Send one hand-off under the outbound address rule (no redirects). The error returned is what staff
    see, so it is generic: why a connection failed (refused, timed out, an internal address) is logged only,
    or the page would tell open ports from closed ones."""
    try:
        response = netguard.post(
            url,
            data=body,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(body, secret),
                "User-Agent": "ShopWatch-Handoff/1",
            },
            timeout=timeout_seconds(),
        )
    except (netguard.OutboundRefused, urllib3.exceptions.HTTPError, OSError) as exc:
        log.warning("Hand-off to %s not delivered: %s", urlsplit(url).hostname, exc)
        return None, UNREACHABLE
    if 300 <= response.status_code < 400:
        return (
            response.status_code,
            f"The receiving system answered HTTP {response.status_code} (redirects are not followed).",
        )
    if not 200 <= response.status_code < 300:
        return response.status_code, f"The receiving system answered HTTP {response.status_code}."
    return response.status_code, ""


def delivery_attempt(*, delivery_id: int, now: dt.datetime | None = None) -> AttemptResult:
    """Try one delivery if it is due. Claims it first so two workers never send it at once.

    Runs outside any transaction: the HTTP call must not hold the database.
    """
    now = now or timezone.now()
    lease_until = now + dt.timedelta(seconds=timeout_seconds() + 60)
    # The claim counts the attempt before the send: a worker killed during it leaves the attempt on record
    # (with INTERRUPTED as its error), and the delivery is tried again once the lease has passed.
    claimed = Delivery.objects.filter(
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True),
        pk=delivery_id,
        status=DeliveryStatus.PENDING,
    ).update(
        next_attempt_at=lease_until,
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        last_status_code=None,
        last_error=INTERRUPTED,
    )
    delivery = Delivery.objects.select_related("incident").filter(pk=delivery_id).first()
    if delivery is None:
        return AttemptResult(delivery_id, False, "missing")
    if not claimed:
        return AttemptResult(delivery_id, False, delivery.status)
    endpoint = ForceEndpoint.objects.filter(force_id=delivery.force_id, active=True).first()
    secret = None
    if endpoint is None:
        code, error = None, "No active endpoint is configured for this force."
    else:
        try:
            secret = endpoint.secret
        except SecretUnreadable as exc:
            log.error("Hand-off %s not sent: %s", delivery.pk, exc)
            code, error = None, "The shared secret cannot be read; a supervisor must set it again."
    if endpoint is not None and secret is not None:
        code, error = _post(endpoint.url, delivery.body.encode(), secret)
    return _attempt_record(delivery, code, error, now)


@transaction.atomic
def _attempt_record(delivery: Delivery, code: int | None, error: str, now: dt.datetime) -> AttemptResult:
    viewer = system_viewer(force_id=delivery.force_id)
    # The claim in delivery_attempt (which counted this attempt) means no other worker writes this row now.
    delivery.last_attempt_at = now
    delivery.last_status_code = code
    fields = ["attempts", "last_attempt_at", "last_status_code", "last_error", "status", "next_attempt_at"]
    if code is not None and 200 <= code < 300:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.last_error = ""
        fields.append("delivered_at")
        summary = f"{delivery.incident.reference}: handed off (HTTP {code})"
    else:
        delivery.last_error = error[:500]
        if now >= delivery.retry_window_from + dt.timedelta(hours=retry_hours()):
            delivery.status = DeliveryStatus.DEAD
            delivery.dead_at = now
            delivery.next_attempt_at = None
            fields.append("dead_at")
            summary = f"{delivery.incident.reference}: hand-off dead-lettered after {delivery.attempts} tries"
            log.error("Hand-off %s dead-lettered: %s", delivery.pk, error)
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            summary = f"{delivery.incident.reference}: hand-off try {delivery.attempts} failed: {error}"
            log.warning("Hand-off %s failed (try %s): %s", delivery.pk, delivery.attempts, error)
            _schedule_after_commit(delivery.pk, run_after=delivery.next_attempt_at)
    delivery.save(update_fields=fields)
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="handoff_delivery",
        object_id=delivery.pk,
        store_id=delivery.incident.store_id,
        organisation_id=delivery.force_id,
        summary=summary,
        detail={"status_code": code, "error": error[:300], "attempts": delivery.attempts},
    )
    return AttemptResult(delivery.pk, True, delivery.status, code, error)


MAX_PARALLEL_FORCES = 8


def _send_in_order(pks: list[int], now: dt.datetime, *, own_thread: bool) -> list[AttemptResult]:
    """One force's due hand-offs, oldest first; after one its receiving system did not answer at all (down,
    or slower than the timeout), the rest wait for the next round instead of each waiting out the timeout."""
    out: list[AttemptResult] = []
    try:
        for pk in pks:
            result = delivery_attempt(delivery_id=pk, now=now)
            out.append(result)
            if result.attempted and result.status_code is None and result.error == UNREACHABLE:
                break
    finally:
        if own_thread:
            connection.close()
    return out


def deliveries_send_due(*, now: dt.datetime | None = None, limit: int = 500) -> list[AttemptResult]:
    """Send every pending hand-off whose next try is due (what the scheduled command runs).

    Each force's are sent in order on a thread of their own (up to MAX_PARALLEL_FORCES at once), so a slow
    or unreachable force endpoint delays only its own hand-offs, and at most by one timeout per round."""
    now = now or timezone.now()
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", "force_id")[:limit]
    )
    by_force: dict[int, list[int]] = {}
    for pk, force_id in due:
        by_force.setdefault(force_id, []).append(pk)
    if len(by_force) <= 1:
        return [r for pks in by_force.values() for r in _send_in_order(pks, now, own_thread=False)]
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_FORCES, len(by_force))) as pool:
        rounds = pool.map(lambda pks: _send_in_order(pks, now, own_thread=True), by_force.values())
        return [r for results in rounds for r in results]


def endpoint_not_answering(*, delivery_id: int) -> bool:
    """Whether another pending hand-off to the same force last found its receiving system not answering.

    Then the immediate try of a new hand-off is left to the scheduled round (within a minute, on a thread of
    its own per force) rather than holding the task worker for a timeout, which would delay every other
    force's hand-offs and every other task behind it."""
    force_id = Delivery.objects.filter(pk=delivery_id).values_list("force_id", flat=True).first()
    endpoint = ForceEndpoint.objects.filter(force_id=force_id, active=True).first()
    if force_id is None or endpoint is None:
        return False
    return (
        Delivery.objects.filter(
            force_id=force_id,
            status=DeliveryStatus.PENDING,
            attempts__gt=0,
            last_status_code__isnull=True,
            last_error=UNREACHABLE,
            last_attempt_at__gte=endpoint.updated_at,  # a newly configured endpoint is tried at once
        )
        .exclude(pk=delivery_id)
        .exists()
    )


@transaction.atomic
def delivery_replay(*, viewer: Viewer, delivery: Delivery) -> Delivery:
    """Put a dead-lettered hand-off back in the queue with a fresh retry window; it is tried at once."""
    from .common import require_investigator

    require_investigator(viewer)
    if delivery.force_id not in viewer.police_force_ids:
        raise ValidationFailed([FieldError("delivery", "Not a hand-off of your force.")])
    if delivery.status != DeliveryStatus.DEAD:
        raise ValidationFailed([FieldError("delivery", "Only a dead-lettered hand-off can be replayed.")])
    now = timezone.now()
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.retry_window_from = now
    delivery.dead_at = None
    delivery.save(update_fields=["status", "next_attempt_at", "retry_window_from", "dead_at"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="handoff_delivery",
        object_id=delivery.pk,
        store_id=delivery.incident.store_id,
        organisation_id=delivery.force_id,
        summary=f"{delivery.incident.reference}: dead-lettered hand-off replayed",
    )
    _schedule_after_commit(delivery.pk)
    return delivery
