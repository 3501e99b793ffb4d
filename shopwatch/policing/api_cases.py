"""The police API for linking and case files: link suggestions and their decisions, series and their
incidents, case files and their export. Part of the policing router (see ``api.py``)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from ninja.responses import NinjaJSONEncoder
from pydantic import ConfigDict, Field, StrictStr

from shopwatch.core.api import (
    CursorParam,
    Id,
    ProblemError,
    ProblemOut,
    StrictId,
    decode_cursor,
    encode_cursor,
    next_url,
    viewer_of,
)
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import FieldError
from shopwatch.core.idempotency import request_fingerprint, run_idempotent
from shopwatch.reporting.models import Incident

from .models import CaseFile, LinkBasis, LinkSuggestion, Series
from .selectors import cases
from .services import casefiles, linking
from .services.common import force_incident, require_investigator

router = Router(tags=["police"])

ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 413, 415, 422, 429), ProblemOut)


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class IncidentBrief(Schema):
    id: int
    reference: str
    type: str
    occurred_at: dt.datetime
    store: int
    store_name: str


def _brief(i: Incident) -> dict[str, Any]:
    return {
        "id": i.pk,
        "reference": i.reference,
        "type": i.type,
        "occurred_at": i.occurred_at,
        "store": i.store_id,
        "store_name": i.store.name,
    }


def _json(status: int, body: dict[str, Any], replayed: bool = False) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _once(
    request: HttpRequest, viewer: Viewer, payload: Schema | None, status: int, produce: Callable[[], Schema]
) -> HttpResponse:
    """Run a write once per Idempotency-Key (when one is sent) and answer with its JSON body."""

    def run() -> tuple[int, dict[str, Any]]:
        with transaction.atomic():
            # Encoded as every other answer of the API is (DjangoJSONEncoder: milliseconds, "Z").
            body: dict[str, Any] = json.loads(json.dumps(produce().model_dump(), cls=NinjaJSONEncoder))
            return status, body

    key = request.headers.get("Idempotency-Key")
    if key is None:
        return _json(*run())
    if viewer.user_id is None:
        raise ProblemError(401, "Authentication required")
    meaning = {"path": request.path, "body": payload.model_dump(mode="json") if payload else None}
    code, body, replayed = run_idempotent(
        user_id=viewer.user_id, key=key, fingerprint=request_fingerprint(meaning), produce=run
    )
    return _json(code, body, replayed)


def _page(cursor: str | None) -> list[Any] | None:
    after = decode_cursor(cursor, "datetime", "int")
    if after is not None and (len(after) != 2 or not isinstance(after[1], int)):
        raise ProblemError(400, "Bad cursor", [FieldError("cursor", "Use the 'next' URL exactly as given.")])
    return after


def _paged(fetch: Callable[[], tuple[list[Any], list[Any] | None]]) -> tuple[list[Any], list[Any] | None]:
    try:
        return fetch()
    except (TypeError, ValueError) as exc:
        raise ProblemError(
            400, "Bad cursor", [FieldError("cursor", "Use the 'next' URL exactly as given.")]
        ) from exc


# --- Link suggestions --------------------------------------------------------------------------------------


class SuggestionOut(Schema):
    id: int
    incidents: list[IncidentBrief] = Field(description="The two incidents the suggestion would link")
    basis: str = Field(description="person, vehicle or store: what they share")
    method: str = Field(description="What proposed it ('rule' for the rule-based linker)")
    score: float
    evidence: dict[str, Any] = Field(description="What they share: the person, vehicle or store id")
    state: str = Field(description="pending, accepted or rejected")
    series: int | None = Field(description="The series both incidents joined, once accepted")
    decided_at: dt.datetime | None
    created_at: dt.datetime


class SuggestionListOut(Schema):
    items: list[SuggestionOut]
    next: str | None


def _suggestion(s: LinkSuggestion) -> SuggestionOut:
    return SuggestionOut(
        id=s.pk,
        incidents=[IncidentBrief(**_brief(s.incident_a)), IncidentBrief(**_brief(s.incident_b))],
        basis=s.basis,
        method=s.method,
        score=s.score,
        evidence=dict(s.evidence or {}),
        state=s.state,
        series=s.series_id,
        decided_at=s.decided_at,
        created_at=s.created_at,
    )


class SuggestionQuery(Schema):
    window_days: int = Field(
        linking.DEFAULT_WINDOW_DAYS, ge=1, le=365, description="How many days either side to look"
    )


@router.get(
    "/incidents/{incident_id}/link-suggestions",
    response={200: SuggestionListOut, **ERRORS},
    summary="Suggested links for an incident",
)
def link_suggestions(request: HttpRequest, incident_id: Id, filters: Query[SuggestionQuery]) -> Any:
    """Incidents of the caller's force within `window_days` of this one sharing a known person, a vehicle or
    the store, strongest first, waiting for a decision. A pair already decided is not suggested again.
    For investigators and supervisors; another force's incident answers 404."""
    viewer = viewer_of(request)
    with transaction.atomic():
        incident = force_incident(viewer, incident_id)
        found = linking.link_suggest(viewer=viewer, incident=incident, window_days=filters.window_days)
    return {"items": [_suggestion(s) for s in found], "next": None}


class DecisionIn(_Strict):
    decision: Literal["accept", "reject"]


@router.post(
    "/police/link-suggestions/{suggestion_id}/decision",
    response={200: SuggestionOut, **ERRORS},
    summary="Accept or reject a suggested link",
)
def link_suggestion_decide(request: HttpRequest, suggestion_id: Id, payload: DecisionIn) -> Any:
    """Accepting puts both incidents in a series of that basis (made if there is none yet); rejecting is
    remembered so the pair is not suggested again. A suggestion already decided answers 409.

    Send an `Idempotency-Key` header to make retries safe: a repeat with the same key and body returns the
    first answer and changes nothing; the same key with a different body is refused with 409."""
    viewer = viewer_of(request)

    def produce() -> SuggestionOut:
        suggestion = cases.suggestion_get(viewer=viewer, suggestion_id=suggestion_id)
        linking.suggestion_decide(viewer=viewer, suggestion=suggestion, accept=payload.decision == "accept")
        return _suggestion(suggestion)

    return _once(request, viewer, payload, 200, produce)


# --- Series ---------------------------------------------------------------------------------------------


class SeriesSummaryOut(Schema):
    id: int
    name: str
    basis: str
    method: str
    incident_count: int
    created_at: dt.datetime
    created_by: int | None


class SeriesListOut(Schema):
    items: list[SeriesSummaryOut]
    next: str | None


class MemberOut(Schema):
    incident: IncidentBrief
    reason: str = Field(description="Why it was linked")
    added_at: dt.datetime
    added_by: int | None


class SeriesOut(Schema):
    id: int
    name: str
    basis: str
    method: str
    created_at: dt.datetime
    created_by: int | None
    incidents: list[MemberOut] = Field(description="The incidents in the series, in the order they happened")


def _series(viewer: Viewer, series: Series) -> SeriesOut:
    members = cases.series_members(viewer=viewer, series=series)
    return SeriesOut(
        id=series.pk,
        name=series.name,
        basis=series.basis,
        method=series.method,
        created_at=series.created_at,
        created_by=series.created_by_id,
        incidents=[
            MemberOut(
                incident=IncidentBrief(**_brief(m.incident)),
                reason=m.reason,
                added_at=m.added_at,
                added_by=m.added_by_id,
            )
            for m in members
        ],
    )


class PageQuery(Schema):
    cursor: CursorParam | None = None
    limit: int = Field(50, ge=1, le=200)


@router.get("/police/series", response={200: SeriesListOut, **ERRORS}, summary="Your force's series")
def series_list(request: HttpRequest, filters: Query[PageQuery]) -> Any:
    """Series of linked incidents of the caller's force, newest first. Follow `next` until it is null."""
    viewer = viewer_of(request)
    after = _page(filters.cursor)
    rows, cursor = _paged(lambda: cases.series_list(viewer=viewer, after=after, limit=filters.limit))
    items = [
        {
            "id": s.pk,
            "name": s.name,
            "basis": s.basis,
            "method": s.method,
            "incident_count": s.member_count,
            "created_at": s.created_at,
            "created_by": s.created_by_id,
        }
        for s in rows
    ]
    return {"items": items, "next": next_url(request, encode_cursor(cursor) if cursor else None)}


class SeriesIn(_Strict):
    name: StrictStr = Field(max_length=200)
    basis: LinkBasis
    method: StrictStr = Field("", max_length=300, description="Required when basis is 'method'")
    reason: StrictStr = Field(max_length=1000, description="Why these incidents are linked")
    incidents: list[StrictId] = Field(
        min_length=2, max_length=linking.MAX_LINK, description="Ids of incidents of your force's queue"
    )


@router.post(
    "/police/series", response={201: SeriesOut, **ERRORS}, summary="Link incidents into a new series"
)
def series_create(request: HttpRequest, payload: SeriesIn) -> Any:
    """Two or more incidents of the caller's force queue, linked by hand with the reason. An incident the
    caller may not see is refused (422, naming it) like one that does not exist.

    Send an `Idempotency-Key` header to make retries safe: a repeat with the same key and body returns the
    first answer and makes nothing new; the same key with a different body is refused with 409."""
    viewer = viewer_of(request)

    def produce() -> SeriesOut:
        series = linking.series_create(
            viewer=viewer,
            name=payload.name,
            basis=str(payload.basis),
            method=payload.method,
            reason=payload.reason,
            incidents=_incidents(viewer, payload.incidents),
        )
        return _series(viewer, series)

    return _once(request, viewer, payload, 201, produce)


def _incidents(viewer: Viewer, ids: list[int]) -> list[Incident]:
    """The incidents asked for that the caller may see; the service names any that are missing."""
    found = {i.pk: i for i in cases.linkable_incidents(viewer=viewer, ids=ids, limit=len(ids))}
    return [found.get(pk) or Incident(pk=pk) for pk in dict.fromkeys(ids)]


@router.get("/police/series/{series_id}", response={200: SeriesOut, **ERRORS}, summary="One series")
def series_detail(request: HttpRequest, series_id: Id) -> Any:
    viewer = viewer_of(request)
    return _series(viewer, cases.series_get(viewer=viewer, series_id=series_id))


class SeriesAddIn(_Strict):
    incidents: list[StrictId] = Field(min_length=1, max_length=linking.MAX_LINK)
    reason: StrictStr = Field(max_length=1000, description="Why they belong to the series")


@router.post(
    "/police/series/{series_id}/incidents",
    response={200: SeriesOut, **ERRORS},
    summary="Add incidents to a series",
)
def series_add(request: HttpRequest, series_id: Id, payload: SeriesAddIn) -> Any:
    """Incidents already in the series are left as they are, so a repeat changes nothing."""
    viewer = viewer_of(request)
    with transaction.atomic():
        series = cases.series_get(viewer=viewer, series_id=series_id)
        linking.series_add(
            viewer=viewer,
            series=series,
            incidents=_incidents(viewer, payload.incidents),
            reason=payload.reason,
        )
        return _series(viewer, series)


@router.delete(
    "/police/series/{series_id}/incidents/{incident_id}",
    response={200: SeriesOut, **ERRORS},
    summary="Take an incident out of a series",
)
def series_remove(request: HttpRequest, series_id: Id, incident_id: Id) -> Any:
    """Answers the series as it now stands; an incident already out of it changes nothing."""
    viewer = viewer_of(request)
    with transaction.atomic():
        series = cases.series_get(viewer=viewer, series_id=series_id)
        incident = force_incident(viewer, incident_id)
        linking.series_remove(viewer=viewer, series=series, incident=incident)
        return _series(viewer, series)


# --- Case files -----------------------------------------------------------------------------------------


class CaseFileSummaryOut(Schema):
    id: int
    title: str
    kind: str = Field(description="incident, series or offender")
    incident: int | None
    series: int | None
    person: int | None
    created_at: dt.datetime
    created_by: int | None


class CaseFileListOut(Schema):
    items: list[CaseFileSummaryOut]
    next: str | None


class StatementOut(Schema):
    id: int
    incident: int
    witness: int
    witness_name: str
    signed_at: dt.datetime | None


class CaseFileOut(CaseFileSummaryOut):
    summary: str
    offending_history: str
    exclusion_zone: str
    updated_at: dt.datetime
    incidents: list[IncidentBrief] = Field(description="The incidents the case file covers, oldest first")
    statements: list[StatementOut] = Field(description="MG11 witness statements")
    impact_statements: int = Field(description="How many Impact Statements for Business were given")
    export: str = Field(description="Where to download the ZIP (PDF, exhibits and manifest)")


def _summary(c: CaseFile) -> dict[str, Any]:
    return {
        "id": c.pk,
        "title": c.title,
        "kind": c.kind,
        "incident": c.incident_id,
        "series": c.series_id,
        "person": c.person_id,
        "created_at": c.created_at,
        "created_by": c.created_by_id,
    }


def _casefile(request: HttpRequest, viewer: Viewer, case: CaseFile) -> CaseFileOut:
    from django.urls import reverse

    return CaseFileOut(
        **_summary(case),
        summary=case.summary,
        offending_history=case.offending_history,
        exclusion_zone=case.exclusion_zone,
        updated_at=case.updated_at,
        incidents=[IncidentBrief(**_brief(i)) for i in cases.casefile_incidents(viewer=viewer, case=case)],
        statements=[
            StatementOut(
                id=s.pk,
                incident=s.incident_id,
                witness=s.witness_id,
                witness_name=s.witness.full_name,
                signed_at=s.signed_at,
            )
            for s in cases.casefile_statements(case)
        ],
        impact_statements=case.impact_statements.count(),
        export=request.build_absolute_uri(reverse("api:casefile_export", args=[case.pk])),
    )


@router.get(
    "/police/case-files", response={200: CaseFileListOut, **ERRORS}, summary="Your force's case files"
)
def casefile_list(request: HttpRequest, filters: Query[PageQuery]) -> Any:
    """Case files of the caller's force, newest first. Follow `next` until it is null."""
    viewer = viewer_of(request)
    after = _page(filters.cursor)
    rows, cursor = _paged(lambda: cases.casefile_list(viewer=viewer, after=after, limit=filters.limit))
    return {
        "items": [_summary(c) for c in rows],
        "next": next_url(request, encode_cursor(cursor) if cursor else None),
    }


class CaseFileIn(_Strict):
    kind: CaseFile.Kind
    title: StrictStr = Field(max_length=200)
    incident: StrictId | None = Field(None, description="With kind 'incident': an incident of your force")
    series: StrictId | None = Field(None, description="With kind 'series': a series of your force")
    person: StrictId | None = Field(None, description="With kind 'offender': a person you may see")
    summary: StrictStr = Field("", max_length=20_000, description="MG5 case summary")
    offending_history: StrictStr = Field("", max_length=20_000)
    exclusion_zone: StrictStr = Field("", max_length=2000)


@router.post("/police/case-files", response={201: CaseFileOut, **ERRORS}, summary="Start a case file")
def casefile_create(request: HttpRequest, payload: CaseFileIn) -> Any:
    """For one incident, a series, or a prolific offender (with a Criminal Behaviour Order pack). The target
    must be one the caller may see; otherwise 422 naming `incident`, `series` or `person`.

    Send an `Idempotency-Key` header to make retries safe: a repeat with the same key and body returns the
    first answer and makes nothing new; the same key with a different body is refused with 409."""
    viewer = viewer_of(request)
    wanted = {"incident": payload.incident, "series": payload.series, "person": payload.person}
    target = {"incident": "incident", "series": "series", "offender": "person"}[str(payload.kind)]
    stray = [FieldError(k, f"Only for a case file of kind '{payload.kind}'.") for k, v in wanted.items()]
    stray = [e for e in stray if e.field != target and wanted[e.field] is not None]
    if stray:
        raise ProblemError(422, "Some fields are not valid", stray)

    def produce() -> CaseFileOut:
        incident = series = person = None
        if payload.incident is not None:
            incident = cases.casefile_target_incident(viewer=viewer, incident_id=payload.incident)
        if payload.series is not None:
            series = cases.casefile_target_series(viewer=viewer, series_id=payload.series)
        if payload.person is not None:
            person = cases.casefile_target_person(viewer=viewer, person_id=payload.person)
            if person is None:
                raise ProblemError(
                    422, "Some fields are not valid", [FieldError("person", "No such person.")]
                )
        case = casefiles.casefile_create(
            viewer=viewer,
            kind=str(payload.kind),
            title=payload.title,
            incident=incident,
            series=series,
            person=person,
            summary=payload.summary,
            offending_history=payload.offending_history,
            exclusion_zone=payload.exclusion_zone,
        )
        return _casefile(request, viewer, cases.casefile_get(viewer=viewer, casefile_id=case.pk))

    return _once(request, viewer, payload, 201, produce)


@router.get(
    "/police/case-files/{casefile_id}", response={200: CaseFileOut, **ERRORS}, summary="One case file"
)
def casefile_detail(request: HttpRequest, casefile_id: Id) -> Any:
    viewer = viewer_of(request)
    return _casefile(request, viewer, cases.casefile_get(viewer=viewer, casefile_id=casefile_id))


@router.get(
    "/police/case-files/{casefile_id}/export",
    response={**ERRORS},
    url_name="casefile_export",
    summary="Download a case file as a ZIP",
    openapi_extra={
        "responses": {
            200: {
                "description": "case-file.pdf (MG5, MG11, MG12, impact statements, CBO pack), every "
                "exhibit's original bytes, and manifest.json with each file's SHA-256",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def casefile_export(request: HttpRequest, casefile_id: Id) -> HttpResponse:
    """For investigators and supervisors; the export is recorded in the audit trail. The manifest says
    whether each exhibit still matches the hash taken when it arrived."""
    viewer = viewer_of(request)
    case = cases.casefile_get(viewer=viewer, casefile_id=casefile_id)
    require_investigator(viewer)
    with transaction.atomic():
        data = casefiles.casefile_export(viewer=viewer, case_file=case)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="case-file-{case.pk}.zip"'
    return response
