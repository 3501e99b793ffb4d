"""Prevention panels on the PCC and partnership dashboards: Navigator diversion before and after,
forensic-marking use, prevention programmes and self-assessment uptake, the businesses with repeated
incidents not yet taking part (partnership managers only: it names businesses), and the stores displaying
marking signage for the map.

Each figure comes from its own app's selector, scoped to the viewer there; here they are only gathered and
formatted, with the dashboard's own suppression of small counts for an aggregates-only (PCC) dashboard.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from shopwatch.assessments import selectors as assessments
from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import Organisation, Store
from shopwatch.marking import selectors as marking
from shopwatch.navigator import selectors as navigator

from .scopes import SUPPRESS_BELOW, DashboardScope
from .selectors import Figure

HIDDEN = "fewer than 5"


def _figure(n: int | None, suppress: bool = False) -> Figure:
    if n is None or (suppress and 0 < n < SUPPRESS_BELOW):
        return Figure(None, HIDDEN, True)
    return Figure(float(n), f"{n:,}")


@dataclass
class PreventionPanels:
    navigator: list[dict[str, Any]] = field(default_factory=list)  # PCC only: 6 and 12 months
    marking: list[dict[str, Any]] = field(default_factory=list)  # by month
    programmes: list[dict[str, Any]] = field(default_factory=list)
    uptake: list[assessments.Uptake] = field(default_factory=list)
    area_titles: dict[str, str] = field(default_factory=dict)  # assessment area key -> title
    uptake_months: list[assessments.UptakeMonth] = field(default_factory=list)
    not_taking_part: list[Store] | None = None  # partnership managers only
    signage: list[dict[str, Any]] = field(default_factory=list)  # for the map

    def navigator_bars(self) -> list[tuple[str, Figure]]:
        return [
            (f"{label}, {row['months']} months", row[key])
            for row in self.navigator
            for label, key in (("Before", "before"), ("Since", "after"))
        ]

    def deployment_points(self) -> list[tuple[dt.date, Figure]]:
        return [(row["month"], row["deployments"]) for row in self.marking]


def prevention_panels(*, viewer: Viewer, scope: DashboardScope) -> PreventionPanels | None:
    """The panels for a PCC office's or a partnership's dashboard; None for every other dashboard."""
    if scope.kind == "pcc":
        partnership_id = None
    elif scope.kind == "partnership":
        org = Organisation.objects.filter(slug=scope.key).only("pk").first()
        if org is None or org.pk not in viewer.managed_partnership_ids:
            return None
        partnership_id = org.pk
    else:
        return None
    sup = scope.suppress
    panels = PreventionPanels()
    if scope.kind == "pcc":
        for months in (6, 12):
            o = navigator.pcc_outcomes(viewer=viewer, months=months)
            panels.navigator.append(
                {
                    "months": o.months,
                    "people": _figure(o.people),
                    "before": _figure(o.before),
                    "after": _figure(o.after),
                    "stopped": _figure(o.stopped),
                }
            )
    panels.marking = [
        {
            "month": m.month,
            "kits": _figure(m.kits_issued, sup),
            "deployments": _figure(m.deployments, sup),
            "lookups": _figure(m.lookups, sup),
        }
        for m in marking.use_by_month(viewer=viewer, partnership_id=partnership_id)
    ]
    for p in assessments.programme_list(viewer=viewer):
        if partnership_id is not None and p.programme.partnership_id != partnership_id:
            continue
        panels.programmes.append(
            {
                "title": p.programme.title,
                "funder": p.programme.funder.name,
                "places": p.programme.places,
                "enrolled": _figure(p.enrolled, sup),
                "attending": _figure(p.attending, sup),
                "completed": _figure(p.completed, sup),
            }
        )
    panels.uptake = assessments.uptake(viewer=viewer)
    for qs in assessments.template_list(viewer=viewer):
        for area in qs.areas:
            panels.area_titles.setdefault(area["key"], area.get("title") or area["key"].replace("_", " "))
    panels.uptake_months = assessments.uptake_by_month(viewer=viewer)
    if partnership_id is not None:
        stores = scope.store_ids or frozenset()
        panels.not_taking_part = [
            s for s in assessments.repeat_victims_not_taking_part(viewer=viewer) if s.pk in stores
        ][:20]
    panels.signage = [
        {
            "lat": s.store.latitude,
            "lng": s.store.longitude,
            "name": s.store.name,
            "product": s.get_product_display(),
        }
        for s in marking.signage_list(viewer=viewer, partnership_id=partnership_id)
        if s.store.latitude is not None and s.store.longitude is not None
    ]
    return panels
