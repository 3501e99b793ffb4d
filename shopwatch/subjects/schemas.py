"""The persons API: typed response bodies. No special-category fields exist, and none are added here."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from shopwatch.core.api import CursorParam

from .models import Build, PersonStatus


class AgeRangeOut(Schema):
    min: int | None = Field(description="Lowest age the person is thought to be")
    max: int | None = Field(description="Highest age the person is thought to be")


class PersonOut(Schema):
    id: int
    status: PersonStatus
    given_name: str
    family_name: str
    aliases: list[str]
    date_of_birth: dt.date | None
    age_range: AgeRangeOut
    height_cm: int | None
    build: Build | None = Field(description="Null when not recorded")
    hair: str
    distinguishing_features: str
    description: str
    partnership: str | None = Field(description="Slug of the partnership the record is kept for")
    distribution: str
    last_incident_at: dt.datetime | None


class PersonListOut(Schema):
    items: list[PersonOut]
    next: str | None


class PersonQuery(Schema):
    q: str | None = Field(None, max_length=200, description="Part of a name or alias")
    cursor: CursorParam | None = None
    limit: int = Field(50, ge=1, le=200)
