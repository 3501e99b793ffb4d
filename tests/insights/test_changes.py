"""Percent changes on the previous period are shown only against enough earlier figures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from shopwatch.insights.charts import change_text
from shopwatch.insights.scopes import scope_for
from shopwatch.insights.selectors import MIN_CHANGE_BASE, _period_change, dashboard, default_period
from tests.core.support import sign_in_verified
from tests.world import World

TEMPLATES = Path(__file__).resolve().parents[2] / "shopwatch"


def test_the_issues_24875_percent_is_not_enough_earlier_data() -> None:
    # 4 incidents the period before and 999 now read "up 24,875%" before the minimum base.
    assert round((999 - 4) / 4 * 100) == 24875
    assert _period_change(999, 4, 4) is None
    assert change_text(None, 4) == "not enough earlier data to compare (fewer than 10 the period before)"
    assert change_text(None, 0) == "no earlier figures to compare"
    # From the minimum base on, the change is shown.
    assert _period_change(20, MIN_CHANGE_BASE, MIN_CHANGE_BASE) == 1.0
    assert change_text(1.0, MIN_CHANGE_BASE) == "up 100% on the previous period"


@pytest.mark.django_db
def test_dashboard_suppresses_a_change_on_a_near_empty_period(world: World, client: Client) -> None:
    now = timezone.now()
    period = default_period()
    earlier = timezone.make_aware(dt.datetime.combine(period.previous().end, dt.time(12)))
    for i in range(3):
        world.report("reporter", "nw-brighton", occurred_at=earlier - dt.timedelta(days=i))
    for i in range(12):
        world.report("reporter", "nw-brighton", occurred_at=now - dt.timedelta(days=i, hours=1))
    viewer = world.viewer("partnership_manager")
    board = dashboard(viewer=viewer, scope=scope_for(viewer, "partnership", "brighton-bcrp"), period=period)
    assert board.totals["incidents"].display == "12"
    assert board.changes["incidents"] is None  # 12 on 3 would be "up 300%"
    assert board.change_bases["incidents"] == 3
    sign_in_verified(client, world.users["partnership_manager"])
    html = client.get("/insights/partnership/brighton-bcrp/").content.decode()
    assert "Incidents: not enough earlier data to compare" in html
    assert "up 300%" not in html
    csv_text = client.get("/insights/partnership/brighton-bcrp/export.csv").content.decode()
    assert "change on previous period,Incidents,not enough earlier data" in csv_text.replace("\r", "")
    # Ten earlier incidents are enough: 12 on 10 is shown.
    for i in range(7):
        world.report("reporter", "nw-brighton", occurred_at=earlier - dt.timedelta(days=10 + i))
    html = client.get("/insights/partnership/brighton-bcrp/").content.decode()
    assert "Incidents: up 20% on the previous period" in html


# The pages a PCC office reaches: its dashboards, surveys and questions, the Navigator's outcomes, prevention
# programmes, and the site's own frame and error pages. (Platform admins' pages may name commands.)
PCC_TEMPLATES = ["insights/templates", "navigator/templates", "assessments/templates", "templates"]


def test_no_command_line_text_in_any_page_a_pcc_reaches() -> None:
    templates = [t for d in PCC_TEMPLATES for t in (TEMPLATES / d).rglob("*.html")]
    assert len(templates) > 10
    for template in templates:
        text = template.read_text()
        for needle in ("shopwatch import", "manage.py", "uv run", "<code>shopwatch "):
            assert needle not in text, f"{template} shows command-line text ({needle})"
