"""The face search API: typed bodies for searches, candidates and reviewers' decisions."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from shopwatch.core.api import Id


class FaceSearchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    evidence: Id = Field(description="The evidence still to search (an image you may see)")
    purpose: str = Field(description="The offence or enquiry the search is for", max_length=500)
    top_k: int = Field(5, ge=1, le=10, description="At most this many candidates")


class FaceDecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["match", "no_match", "inconclusive"]
    candidate: Id | None = Field(None, description="For a match: the candidate's id")
    reason: str = Field(max_length=1000)


class FaceCandidatePersonOut(Schema):
    id: int
    name: str


class FaceCandidateOut(Schema):
    id: int
    rank: int
    kind: Literal["candidate"] = Field(description="A candidate for a reviewer, never an identification")
    person: FaceCandidatePersonOut
    similarity: float = Field(ge=0, le=1, description="1 - distance between the two face encodings")
    source: Literal["gallery photo", "earlier evidence", "removed"]


class FaceDecisionOut(Schema):
    reviewer: str
    outcome: Literal["match", "no_match", "inconclusive"]
    candidate: int | None
    reason: str
    decided_at: dt.datetime


class FaceSearchOut(Schema):
    id: int
    evidence: int
    purpose: str
    searched_by: str
    created_at: dt.datetime
    faces_found: int = Field(description="Faces found in the still (none of them is kept)")
    gallery_size: int = Field(description="Stored faces the still was compared with")
    threshold: float = Field(description="No face below this similarity is a candidate")
    status: Literal["awaiting", "second", "decided"]
    second_review_required: bool
    outcome: Literal["match", "no_match", "inconclusive"] | None
    candidates: list[FaceCandidateOut]
    decisions: list[FaceDecisionOut]
