"""Linking incidents into series: rule-based suggestions for a person to accept or reject.

A suggestion says what proposed it (``method``) and how strongly (``score``); a probabilistic linker across
retailers can later write its own suggestions the same way, and the same decisions review them.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import Conflict, FieldError, ValidationFailed, clean_text
from shopwatch.core.models import AuditAction
from shopwatch.reporting.models import Incident, IncidentOffender, IncidentVehicle

from ..models import LinkBasis, LinkSuggestion, Series, SeriesMember, SuggestionState
from .common import force_incidents, require_investigator

DEFAULT_WINDOW_DAYS = 30
SCORES = {LinkBasis.PERSON: 0.9, LinkBasis.VEHICLE: 0.8, LinkBasis.STORE: 0.4}
MAX_SUGGESTIONS = 200
MAX_REASON = 1000
MAX_LINK = 200  # incidents linked in one go
WHY = "Say why these incidents are linked."


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


@transaction.atomic
def link_suggest(
    *, viewer: Viewer, incident: Incident, window_days: int = DEFAULT_WINDOW_DAYS
) -> list[LinkSuggestion]:
    """Find incidents of the same force within the window sharing a person, a vehicle or the store.

    Writes new suggestions (a pair already decided is not suggested again) and returns the pending ones.
    """
    require_investigator(viewer)
    if not 1 <= window_days <= 365:
        raise ValidationFailed([FieldError("window_days", "Must be between 1 and 365 days.")])
    window = dt.timedelta(days=window_days)
    pool = (
        force_incidents(viewer)
        .filter(
            force_id=incident.force_id,
            occurred_at__gte=incident.occurred_at - window,
            occurred_at__lte=incident.occurred_at + window,
        )
        .exclude(pk=incident.pk)
    )
    found: dict[tuple[int, int, str], dict[str, object]] = {}
    persons = set(
        IncidentOffender.objects.filter(incident=incident, person__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    if persons:
        for other, person in IncidentOffender.objects.filter(
            incident__in=pool.values("pk"), person_id__in=persons
        ).values_list("incident_id", "person_id")[:MAX_SUGGESTIONS]:
            found[(*_pair(incident.pk, other), LinkBasis.PERSON)] = {"person": person}
    vehicles = set(IncidentVehicle.objects.filter(incident=incident).values_list("vehicle_id", flat=True))
    if vehicles:
        for other, vehicle in IncidentVehicle.objects.filter(
            incident__in=pool.values("pk"), vehicle_id__in=vehicles
        ).values_list("incident_id", "vehicle_id")[:MAX_SUGGESTIONS]:
            found[(*_pair(incident.pk, other), LinkBasis.VEHICLE)] = {"vehicle": vehicle}
    for other in pool.filter(store_id=incident.store_id).values_list("pk", flat=True)[:MAX_SUGGESTIONS]:
        found.setdefault((*_pair(incident.pk, other), LinkBasis.STORE), {"store": incident.store_id})
    LinkSuggestion.objects.bulk_create(
        [
            LinkSuggestion(
                force_id=incident.force_id,
                incident_a_id=a,
                incident_b_id=b,
                basis=basis,
                score=SCORES[LinkBasis(basis)],
                evidence=ev,
                method="rule",
            )
            for (a, b, basis), ev in found.items()
        ],
        ignore_conflicts=True,
    )
    return suggestions_pending(viewer=viewer, incident=incident)


def suggestions_pending(*, viewer: Viewer, incident: Incident) -> list[LinkSuggestion]:
    return list(
        LinkSuggestion.objects.filter(
            Q(incident_a=incident) | Q(incident_b=incident),
            state=SuggestionState.PENDING,
            force_id__in=viewer.police_force_ids,
        )
        .select_related("incident_a", "incident_b", "incident_a__store", "incident_b__store")
        .order_by("-score", "id")
    )


def _series_name(s: LinkSuggestion) -> str:
    from shopwatch.core.models import Store
    from shopwatch.subjects.models import Person, Vehicle

    ev = {k: int(v) for k, v in (s.evidence or {}).items() if isinstance(v, int)}
    if s.basis == LinkBasis.PERSON and (p := Person.objects.filter(pk=ev.get("person", 0)).first()):
        return f"Person: {p.display_name}"
    if s.basis == LinkBasis.VEHICLE and (v := Vehicle.objects.filter(pk=ev.get("vehicle", 0)).first()):
        return f"Vehicle: {v.registration}"
    if s.basis == LinkBasis.STORE and (st := Store.objects.filter(pk=ev.get("store", 0)).first()):
        return f"Store: {st.name}"
    return f"Series from {s.get_basis_display().lower()}"


@transaction.atomic
def suggestion_decide(*, viewer: Viewer, suggestion: LinkSuggestion, accept: bool) -> LinkSuggestion:
    """Accept (both incidents join a series of that basis, made if needed) or reject a suggestion."""
    require_investigator(viewer)
    if suggestion.force_id not in viewer.police_force_ids:
        raise ValidationFailed([FieldError("suggestion", "Not a suggestion of your force.")])
    if suggestion.state != SuggestionState.PENDING:
        raise Conflict([FieldError("suggestion", f"Already {suggestion.get_state_display().lower()}.")])
    now = timezone.now()
    suggestion.state = SuggestionState.ACCEPTED if accept else SuggestionState.REJECTED
    suggestion.decided_by_id, suggestion.decided_at = viewer.user_id, now
    if accept:
        pair = [suggestion.incident_a_id, suggestion.incident_b_id]
        series = (
            Series.objects.filter(
                force_id=suggestion.force_id, basis=suggestion.basis, members__incident_id__in=pair
            )
            .order_by("created_at")
            .first()
        )
        if series is None:
            ev = suggestion.evidence or {}
            series = Series.objects.create(
                force_id=suggestion.force_id,
                basis=suggestion.basis,
                name=_series_name(suggestion),
                person_id=ev.get("person"),
                vehicle_id=ev.get("vehicle"),
                store_id=ev.get("store"),
                created_by_id=viewer.user_id,
                created_at=now,
            )
        basis = suggestion.get_basis_display().lower()
        reason = f"Accepted suggestion: {basis} (score {suggestion.score:.1f})"
        SeriesMember.objects.bulk_create(
            [
                SeriesMember(series=series, incident_id=i, added_by_id=viewer.user_id, reason=reason)
                for i in pair
            ],
            ignore_conflicts=True,
        )
        suggestion.series = series
    suggestion.save(update_fields=["state", "decided_by", "decided_at", "series"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="link_suggestion",
        object_id=suggestion.pk,
        organisation_id=suggestion.force_id,
        summary=f"Link {suggestion.incident_a_id}–{suggestion.incident_b_id} ({suggestion.basis}) "
        + ("accepted" if accept else "rejected"),
    )
    return suggestion


def _linkable(viewer: Viewer, incidents: list[Incident], errors: list[FieldError]) -> list[Incident]:
    """The chosen incidents, once each, checked against the caller's force queue (the one entitlement
    filter): one the caller may not see is refused like one that does not exist."""
    ids = list(dict.fromkeys(i.pk for i in incidents))
    if len(ids) > MAX_LINK:
        errors.append(FieldError("incidents", f"Link at most {MAX_LINK} incidents at a time."))
        return []
    visible = {i.pk: i for i in force_incidents(viewer).filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in visible]
    if missing:
        errors.append(
            FieldError("incidents", f"Not incidents of your force's queue: {', '.join(map(str, missing))}.")
        )
    return [visible[pk] for pk in ids if pk in visible]


def _text(errors: list[FieldError], name: str, value: str, limit: int, *, missing: str = "") -> str:
    """Cleaned text; ``missing`` (when given) is required and is the message when it is left empty."""
    found: list[FieldError] = []
    value = clean_text(name, value, limit, found, required=bool(missing))
    errors.extend(FieldError(name, missing) if e.message == "Required." else e for e in found)
    return value


@transaction.atomic
def series_create(
    *, viewer: Viewer, name: str, basis: str, incidents: list[Incident], reason: str, method: str = ""
) -> Series:
    """An investigator links two or more incidents of their force by hand, saying why."""
    require_investigator(viewer)
    errors: list[FieldError] = []
    name = _text(errors, "name", name, 200, missing="Give the series a name.")
    if basis not in LinkBasis.values:
        errors.append(FieldError("basis", "Choose what links the incidents."))
    by_method = basis == LinkBasis.METHOD
    method = _text(errors, "method", method, 300, missing="Describe the method." if by_method else "")
    reason = _text(errors, "reason", reason, MAX_REASON, missing=WHY)
    chosen = _linkable(viewer, incidents, errors)
    if not any(e.field == "incidents" for e in errors):
        if len(chosen) < 2:
            errors.append(FieldError("incidents", "Choose at least two incidents to link."))
        elif len({i.force_id for i in chosen}) != 1:
            errors.append(FieldError("incidents", "Choose incidents of one force."))
    if errors:
        raise ValidationFailed(errors)
    now = timezone.now()
    series = Series.objects.create(
        force_id=chosen[0].force_id,
        name=name,
        basis=basis,
        method=method,
        created_by_id=viewer.user_id,
        created_at=now,
    )
    SeriesMember.objects.bulk_create(
        [
            SeriesMember(series=series, incident=i, added_by_id=viewer.user_id, added_at=now, reason=reason)
            for i in chosen
        ]
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="series",
        object_id=series.pk,
        organisation_id=series.force_id,
        summary=f"Series '{series.name}' of {len(chosen)} incidents",
        detail={"incidents": [i.pk for i in chosen], "reason": reason},
    )
    return series


@transaction.atomic
def series_add(*, viewer: Viewer, series: Series, incidents: list[Incident], reason: str) -> list[Incident]:
    """Link more incidents into an existing series of the caller's force. Returns those newly added
    (an incident already in the series is left as it is)."""
    require_investigator(viewer)
    errors: list[FieldError] = []
    if series.force_id not in viewer.police_force_ids:
        errors.append(FieldError("series", "Choose a series of your force."))
    reason = _text(errors, "reason", reason, MAX_REASON, missing=WHY)
    chosen = _linkable(viewer, incidents, errors)
    if not any(e.field == "incidents" for e in errors):
        if not chosen:
            errors.append(FieldError("incidents", "Choose at least one incident to add."))
        elif any(i.force_id != series.force_id for i in chosen):
            errors.append(FieldError("incidents", "Only incidents of the series' force can join it."))
    if errors:
        raise ValidationFailed(errors)
    already = set(
        SeriesMember.objects.filter(series=series, incident__in=chosen).values_list("incident_id", flat=True)
    )
    new = [i for i in chosen if i.pk not in already]
    if not new:
        return []
    now = timezone.now()
    SeriesMember.objects.bulk_create(
        [
            SeriesMember(series=series, incident=i, added_by_id=viewer.user_id, added_at=now, reason=reason)
            for i in new
        ],
        ignore_conflicts=True,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="series",
        object_id=series.pk,
        organisation_id=series.force_id,
        summary=f"{', '.join(i.reference for i in new)[:200]} added to '{series.name}'",
        detail={"added": [i.pk for i in new], "reason": reason},
    )
    return new


@transaction.atomic
def series_remove(*, viewer: Viewer, series: Series, incident: Incident, reason: str = "") -> bool:
    """Take an incident out of a series of the caller's force. False when it was not in it."""
    require_investigator(viewer)
    errors: list[FieldError] = []
    if series.force_id not in viewer.police_force_ids:
        errors.append(FieldError("series", "Choose a series of your force."))
    reason = _text(errors, "reason", reason, MAX_REASON)
    _linkable(viewer, [incident], errors)
    if errors:
        raise ValidationFailed(errors)
    removed, _ = SeriesMember.objects.filter(series=series, incident=incident).delete()
    if not removed:
        return False
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="series",
        object_id=series.pk,
        organisation_id=series.force_id,
        summary=f"{incident.reference} removed from '{series.name}'",
        detail={"removed": incident.pk, "reason": reason},
    )
    return True
