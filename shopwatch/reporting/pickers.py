"""What the record pickers offer and how typed text becomes a record (``core/pickers.py``).

People and incidents are offered and resolved only through the viewer's scope (``core/entitlements.py``), so a
picker never shows or accepts a person or an incident its user may not see; a list of people offered is
audited as a view of personal data, like the people list. Every reference a user is shown is accepted where
a record is asked for (``core/references.py``): incident references in any case, with or without dashes,
and police crime references.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer, scope
from shopwatch.core.models import AuditAction
from shopwatch.core.pickers import Pick, PickError, PickOption
from shopwatch.core.references import crime_reference_key, parse_record_name
from shopwatch.subjects.models import Person, PersonPhoto
from shopwatch.subjects.selectors import person_queryset

from .models import Incident

OFFERED = 8


def _name_filter(qs: QuerySet[Person], words: str) -> QuerySet[Person]:
    for word in words.split()[:5]:
        qs = qs.filter(
            Q(given_name__icontains=word) | Q(family_name__icontains=word) | Q(aliases__name__icontains=word)
        )
    return qs.distinct()


def _people(viewer: Viewer, qs: QuerySet[Person]) -> QuerySet[Person]:
    """``qs`` with each person's latest photo and the store and time of the latest incident naming them
    that the viewer may see."""
    latest_photo = PersonPhoto.objects.filter(person=OuterRef("pk")).order_by("-created_at", "-id")
    seen = (
        scope(Incident.objects.all(), viewer)
        .filter(offenders__person=OuterRef("pk"))
        .order_by("-occurred_at", "-id")
    )
    return qs.annotate(
        photo_id=Subquery(latest_photo.values("id")[:1]),
        last_store=Subquery(seen.values("store__name")[:1]),
        last_seen=Subquery(seen.values("occurred_at")[:1]),
    )


def person_option(person: Person) -> PickOption:
    details: list[str] = []
    if person.date_of_birth:
        details.append(f"born {person.date_of_birth.year}")
    elif person.age_min or person.age_max:
        details.append(f"aged {person.age_min or '?'} to {person.age_max or '?'}")
    last_store = getattr(person, "last_store", None)
    last_seen = getattr(person, "last_seen", None)
    if last_store and last_seen:
        details.append(f"last seen at {last_store}, {timezone.localtime(last_seen):%-d %b %Y}")
    else:
        details.append("not named in any incident you can see")
    if person.partnership is not None:
        details.append(person.partnership.name)
    aliases = [a.name for a in person.aliases.all()][:3]
    if aliases:
        details.append("also known as " + ", ".join(aliases))
    photo_id = getattr(person, "photo_id", None)
    return PickOption(
        value=person.pk,
        label=person.display_name,
        details=details,
        photo_url=reverse("intelligence:person-photo-thumbnail", args=[photo_id]) if photo_id else "",
    )


def _audit_people(viewer: Viewer, people: list[Person]) -> None:
    if people:
        audit_record(
            viewer=viewer,
            action=AuditAction.LIST,
            object_type="person",
            summary=f"Offered {len(people)} persons in a picker",
            detail={"ids": [p.pk for p in people]},
        )


def person_options(*, viewer: Viewer, q: str, limit: int = OFFERED) -> list[PickOption]:
    """People the viewer may see whose names or aliases contain every word of ``q`` (audited)."""
    name = parse_record_name(q)
    if len(name.words) < 2 and name.record_id is None:
        return []
    qs = person_queryset(viewer)
    qs = qs.filter(pk=name.record_id) if name.record_id is not None else _name_filter(qs, name.words)
    people = list(_people(viewer, qs).order_by("family_name", "given_name", "id")[:limit])
    _audit_people(viewer, people)
    return [person_option(p) for p in people]


def person_descriptions(*, viewer: Viewer, people: Sequence[Person]) -> list[PickOption]:
    """``people`` described as the pickers describe them (photo, year of birth, last-seen store), limited to
    those the viewer may see; audited as a view of personal data."""
    qs = person_queryset(viewer).filter(pk__in=[p.pk for p in people])
    shown = list(_people(viewer, qs).order_by("family_name", "given_name", "id"))
    _audit_people(viewer, shown)
    return [person_option(p) for p in shown]


def person_resolve(*, viewer: Viewer, pick: Pick) -> Person:
    """The one person the viewer may see that ``pick`` names: the option chosen, else the name typed (or a
    record number). Raises :class:`PickError`, with the options when several people fit."""
    qs = person_queryset(viewer)
    if pick.choice is not None:
        person = qs.filter(pk=pick.choice).first()
        if person is None:
            raise PickError("Choose a person from the list.")
        return person
    name = parse_record_name(pick.text)
    if not name.words:
        raise PickError("Type the person's name and choose them from the list.")
    if name.record_id is not None:
        person = qs.filter(pk=name.record_id).first()
        if person is not None:
            return person
    matches = list(
        _people(viewer, _name_filter(qs, name.words)).order_by("family_name", "given_name", "id")[
            : OFFERED + 1
        ]
    )
    exact = [p for p in matches if p.display_name.casefold() == name.words.casefold()]
    if len(exact) == 1 and len(matches) > 1:
        matches = exact
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise PickError(f"No person called ‘{name.words[:60]}’ that you may see. Check the spelling.")
    _audit_people(viewer, matches[:OFFERED])
    raise PickError(
        f"More than one person fits ‘{name.words[:60]}’: choose one.",
        [person_option(p) for p in matches[:OFFERED]],
    )


def _incident_search(viewer: Viewer, text: str) -> QuerySet[Incident]:
    name = parse_record_name(text)
    qs = scope(Incident.objects.select_related("store"), viewer)
    if name.incident_reference:
        return qs.filter(reference=name.incident_reference)
    key = crime_reference_key(name.text)
    by_crime = Q(crime_reference__iexact=name.text) | Q(crime_reference__iexact=key)
    if name.record_id is not None:
        by_crime |= Q(pk=name.record_id)
    if qs.filter(by_crime).exists():
        return qs.filter(by_crime)
    for word in name.words.split()[:5]:
        qs = qs.filter(
            Q(reference__icontains=word.upper())
            | Q(store__name__icontains=word)
            | Q(store__town__icontains=word)
            | Q(description__icontains=word)
        )
    return qs


def incident_option(incident: Incident) -> PickOption:
    what = incident.description.strip().splitlines()[0][:80] if incident.description.strip() else ""
    details = [
        incident.store.name,
        f"{timezone.localtime(incident.occurred_at):%-d %b %Y %H:%M}",
        incident.get_type_display(),
    ]
    if incident.crime_reference:
        details.append(f"crime {incident.crime_reference}")
    if what:
        details.append(what)
    return PickOption(value=incident.pk, label=incident.reference, details=details)


def incident_options(*, viewer: Viewer, q: str, limit: int = OFFERED) -> list[PickOption]:
    """Incidents the viewer may see by reference (any case, dashes or not), crime reference, store, town or
    words of what happened; newest first."""
    if len(parse_record_name(q).words) < 2:
        return []
    rows = _incident_search(viewer, q).order_by("-occurred_at", "-id")[:limit]
    return [incident_option(i) for i in rows]


def incident_resolve(*, viewer: Viewer, pick: Pick) -> Incident:
    """The one incident the viewer may see that ``pick`` names (the option chosen, else its reference, crime
    reference or words); raises :class:`PickError`, with the options when several fit."""
    qs = scope(Incident.objects.select_related("store"), viewer)
    if pick.choice is not None:
        incident = qs.filter(pk=pick.choice).first()
        if incident is None:
            raise PickError("Choose an incident from the list.")
        return incident
    if not pick.text:
        raise PickError("Give the incident's reference, like SW-7KQ3-M9X2.")
    matches = list(_incident_search(viewer, pick.text).order_by("-occurred_at", "-id")[: OFFERED + 1])
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise PickError(f"No incident ‘{pick.text[:40]}’ that you may see. Check the reference.")
    raise PickError(
        f"More than one incident fits ‘{pick.text[:40]}’: choose one.",
        [incident_option(i) for i in matches[:OFFERED]],
    )
