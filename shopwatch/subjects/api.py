"""The persons API: known offenders and people whose identity is sought, as far as the caller may see."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router

from shopwatch.core.api import Id, ProblemError, ProblemOut, decode_cursor, encode_cursor, next_url, viewer_of
from shopwatch.core.errors import FieldError

from . import selectors
from .models import Person
from .schemas import PersonListOut, PersonOut, PersonQuery

router = Router(tags=["persons"])

ERRORS: dict[int, Any] = {400: ProblemOut, 401: ProblemOut, 404: ProblemOut, 422: ProblemOut, 429: ProblemOut}


def person_body(person: Person) -> dict[str, Any]:
    return {
        "id": person.pk,
        "status": person.status,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "aliases": [a.name for a in person.aliases.all()],
        "date_of_birth": person.date_of_birth,
        "age_range": {"min": person.age_min, "max": person.age_max},
        "height_cm": person.height_cm,
        "build": person.build or None,
        "hair": person.hair,
        "distinguishing_features": person.distinguishing_features,
        "description": person.description,
        "partnership": person.partnership.slug if person.partnership is not None else None,
        "distribution": person.distribution,
        "last_incident_at": person.last_incident_at,
    }


def _after_id(cursor: str | None) -> int | None:
    after = decode_cursor(cursor, "int")
    if not after:
        return None
    try:
        return int(str(after[0]))
    except ValueError as exc:
        bad = [FieldError("cursor", "Use the 'next' URL exactly as given.")]
        raise ProblemError(400, "Bad cursor", bad) from exc


@router.get("/persons", response={200: PersonListOut, **ERRORS}, summary="List persons you may see")
def list_persons(request: HttpRequest, filters: Query[PersonQuery]) -> Any:
    """Oldest record first. Follow `next` until it is null. `q` matches part of a name or an alias.
    Every listing is recorded in the audit trail."""
    viewer = viewer_of(request)
    q = (filters.q or "").strip()
    if "\x00" in q:
        bad = [FieldError("q", "Must not contain NUL characters.")]
        raise ProblemError(422, "Some fields are not valid", bad)
    with transaction.atomic():
        rows = selectors.person_list(
            viewer=viewer, q=q, after_id=_after_id(filters.cursor), limit=filters.limit
        )
    # A full page may have more behind it; the page after the last one is empty with next null.
    cursor = encode_cursor([rows[-1].pk]) if len(rows) == filters.limit else None
    return {"items": [person_body(p) for p in rows], "next": next_url(request, cursor)}


@router.get("/persons/{person_id}", response={200: PersonOut, **ERRORS}, summary="One person")
def get_person(request: HttpRequest, person_id: Id) -> Any:
    """A person you may see; 404, the same as for a missing one, otherwise. Every view is audited."""
    with transaction.atomic():
        person = selectors.person_detail(viewer=viewer_of(request), person_id=person_id)
    return person_body(person)
