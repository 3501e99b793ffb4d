"""data.police.uk figures through the API: counts by crime type and last outcome for a force and month."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from shopwatch.core.api import ProblemError, ProblemOut, viewer_of
from shopwatch.core.errors import FieldError

from . import selectors
from .forces import FORCES

router = Router(tags=["insights"])

MONTH_RE = re.compile(r"[12]\d{3}-(0[1-9]|1[0-2])")


class PoliceUkOut(Schema):
    force: str = Field(description="data.police.uk force slug, e.g. sussex")
    month: str = Field(description="YYYY-MM")
    crime_types: dict[str, int] = Field(description="Street-level rows by 'Crime type'")
    outcomes: dict[str, int] = Field(
        description="Street-level rows by 'Last outcome category' (a snapshot at publication); rows with "
        f"none count under '{selectors.NO_OUTCOME_KEY}'"
    )


ERRORS: dict[int, Any] = {401: ProblemOut, 403: ProblemOut, 404: ProblemOut, 422: ProblemOut, 429: ProblemOut}


@router.get("/insights/police-uk", response={200: PoliceUkOut, **ERRORS}, summary="data.police.uk counts")
def police_uk(request: HttpRequest, force: str, month: str) -> Any:
    """Imported data.police.uk street-level counts for one force and month, by crime type and by last
    outcome category. Open to police, analyst and PCC users for any force.
    Contains public sector information licensed under the Open Government Licence v3.0."""
    viewer = viewer_of(request)
    if not selectors.can_read_police_uk(viewer):
        raise ProblemError(
            403,
            "Not allowed",
            [FieldError("viewer", "data.police.uk figures are open to police, analyst and PCC users.")],
        )
    errors = []
    slug = force.strip()
    if slug not in FORCES:
        errors.append(
            FieldError("force", f"'{slug[:50]}' is not a data.police.uk force slug, e.g. 'sussex'.")
        )
    if not MONTH_RE.fullmatch(month.strip()):
        errors.append(FieldError("month", "Use YYYY-MM, e.g. 2024-01."))
    if errors:
        raise ProblemError(422, "Some fields are not valid", errors)
    first = dt.date.fromisoformat(month.strip() + "-01")
    result = selectors.police_uk_month(viewer=viewer, force=slug, month=first)
    if result is None:
        raise ProblemError(
            404, "Not found", detail=f"No data.police.uk street file is imported for {slug} {first:%Y-%m}."
        )
    return {
        "force": result.force,
        "month": f"{result.month:%Y-%m}",
        "crime_types": result.crime_types,
        "outcomes": result.outcomes,
    }
