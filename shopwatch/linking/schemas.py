"""The links API: typed bodies for proposals, hit/no-hit answers and decisions."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from .models import ProposalStatus


class FieldWeightOut(Schema):
    field: str = Field(description="The compared field, or 'prior' for the starting weight")
    comparison: str = Field(description="How the two values compared (the Splink comparison level)")
    match_weight: float = Field(
        description="Log2 Bayes factor: positive raised the match, negative lowered it"
    )


class LinkedPersonOut(Schema):
    id: int
    name: str
    date_of_birth: dt.date | None
    holder: str = Field(description="Slug of the organisation (or partnership) that holds the record")
    identity: int | None = Field(description="The resolved identity the person belongs to, if any")


class LinkOut(Schema):
    id: int
    probability: float = Field(ge=0, le=1, description="Match probability")
    match_weight: float
    status: ProposalStatus
    explanation: list[FieldWeightOut] = Field(description="One entry per compared field, with its weight")
    model_version: str
    person_a: LinkedPersonOut
    person_b: LinkedPersonOut
    decided_by: str | None
    decided_at: dt.datetime | None
    reason: str


class LinkListOut(Schema):
    items: list[LinkOut]
    next: str | None


class LinkQuery(Schema):
    status: ProposalStatus | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class ContactOut(Schema):
    slug: str
    name: str


class HitOut(Schema):
    person: int = Field(description="Your record that may match a record held elsewhere")
    possible_match: bool = True
    contact: ContactOut = Field(description="The organisation to contact about the other record")


class HitListOut(Schema):
    items: list[HitOut]
    next: str | None


class DecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["accept", "reject"]
    reason: str = Field(min_length=1, max_length=1000)
