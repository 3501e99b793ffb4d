"""An investigator links incidents into a series by hand: the service rules and the page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from shopwatch.core.errors import ServiceError
from shopwatch.core.models import AuditEvent
from shopwatch.policing.models import Series, SeriesMember
from shopwatch.policing.services import linking
from shopwatch.reporting.models import Incident
from tests.policing.conftest import signed_in
from tests.world import World


def _report(world: World, store: str = "nw-brighton", hours_ago: float = 1) -> Incident:
    reporter = {
        "nw-brighton": "reporter",
        "kiosk-crawley": "connected_reporter",
        "oxshop-oxford": "unconnected_reporter",
    }[store]
    return world.report(
        reporter,
        store,
        report_to_police=True,
        occurred_at=timezone.now() - dt.timedelta(hours=hours_ago),
    )


def test_series_create_add_and_remove_keep_the_reason_and_refuse_what_the_force_cannot_see(
    world: World,
) -> None:
    a, b, c = _report(world), _report(world, "kiosk-crawley"), _report(world, hours_ago=3)
    oxford = _report(world, "oxshop-oxford")
    not_sent = world.report("reporter", "nw-brighton")
    officer = world.viewer("police_sussex")

    with pytest.raises(ServiceError) as exc:
        linking.series_create(viewer=officer, name="", basis="nonsense", incidents=[a], reason="")
    assert {e.field: e.message for e in exc.value.errors} == {
        "name": "Give the series a name.",
        "basis": "Choose what links the incidents.",
        "reason": "Say why these incidents are linked.",
        "incidents": "Choose at least two incidents to link.",
    }
    with pytest.raises(ServiceError) as exc:
        linking.series_create(
            viewer=officer, name="x", basis="store", incidents=[a, oxford, not_sent], reason="same man"
        )
    assert [e.field for e in exc.value.errors] == ["incidents"]
    assert str(oxford.pk) in exc.value.errors[0].message
    assert not Series.objects.exists()

    series = linking.series_create(
        viewer=officer,
        name="Steak thief",
        basis="method",
        method="Steaks under a coat",
        incidents=[a, b, a],
        reason="Same coat on CCTV",
    )
    assert {(m.incident_id, m.reason) for m in SeriesMember.objects.filter(series=series)} == {
        (a.pk, "Same coat on CCTV"),
        (b.pk, "Same coat on CCTV"),
    }
    added = linking.series_add(viewer=officer, series=series, incidents=[a, c], reason="Same car")
    assert added == [c]
    assert SeriesMember.objects.get(series=series, incident=c).reason == "Same car"
    # Thames Valley cannot add to or take from a Sussex series, nor add its own incidents to it.
    tv = world.viewer("police_tv")
    with pytest.raises(ServiceError):
        linking.series_add(viewer=tv, series=series, incidents=[oxford], reason="x")
    with pytest.raises(ServiceError):
        linking.series_remove(viewer=tv, series=series, incident=a)
    # A store's staff or an analyst cannot link at all.
    with pytest.raises(ServiceError) as exc:
        linking.series_add(viewer=world.viewer("manager"), series=series, incidents=[a], reason="x")
    assert exc.value.status_code == 403
    assert linking.series_remove(viewer=officer, series=series, incident=c, reason="Different car") is True
    assert linking.series_remove(viewer=officer, series=series, incident=c) is False
    assert set(series.members.values_list("incident_id", flat=True)) == {a.pk, b.pk}
    trail = list(AuditEvent.objects.filter(object_type="series", object_id=str(series.pk)).order_by("id"))
    assert [e.detail.get("reason") for e in trail] == ["Same coat on CCTV", "Same car", "Different car"]
    assert {e.organisation_id for e in trail} == {world.orgs["sussex"].pk}


def test_investigator_links_incidents_on_the_page_then_adds_to_the_series(world: World) -> None:
    a, b = _report(world), _report(world, "kiosk-crawley")
    c = _report(world, hours_ago=5)
    web = signed_in(world, "police_sussex")
    # From the incident page, the link opens the page with that incident already chosen.
    incident_page = web.get(f"/police/incidents/{a.pk}/").content.decode()
    assert f"/police/series/link/?incident={a.pk}" in incident_page
    page = web.get(f"/police/series/link/?incident={a.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(rf'<input type="checkbox" name="incidents" value="{a.pk}"[^>]* checked', html)
    # Searching by reference keeps what was chosen and finds the other incident.
    found = web.post("/police/series/link/", {"action": "search", "q": b.reference[-6:], "incidents": [a.pk]})
    assert found.status_code == 200
    assert b.reference in found.content.decode()
    assert a.reference in found.content.decode()
    # Missing answers: the error summary and each field's own message.
    bad = web.post("/police/series/link/", {"action": "link", "incidents": [a.pk], "target": "new"})
    assert bad.status_code == 422
    body = bad.content.decode()
    assert "There is a problem" in body
    for message in (
        "Give the series a name.",
        "Choose what links the incidents.",
        "Say why these incidents are linked.",
    ):
        assert body.count(message) == 2, message  # once in the summary, once by the field
    assert not Series.objects.exists()
    one = web.post(
        "/police/series/link/",
        {
            "action": "link",
            "incidents": [a.pk],
            "target": "new",
            "name": "X",
            "basis": "store",
            "reason": "r",
        },
    )
    assert one.status_code == 422
    assert "Choose at least two incidents to link." in one.content.decode()

    made = web.post(
        "/police/series/link/",
        {
            "action": "link",
            "incidents": [a.pk, b.pk],
            "target": "new",
            "name": "Brighton and Crawley meat thefts",
            "basis": "person",
            "reason": "Same man on both stores' CCTV",
        },
    )
    series = Series.objects.get()
    assert made.status_code == 302
    assert made["Location"] == f"/police/series/{series.pk}/"
    shown = web.get(made["Location"]).content.decode()
    assert "Brighton and Crawley meat thefts" in shown
    assert "Same man on both stores&#x27; CCTV" in shown
    assert a.reference in shown
    assert b.reference in shown

    # Then into the existing series, from the series page's link.
    assert f"/police/series/link/?series={series.pk}" in shown
    added = web.post(
        "/police/series/link/",
        {
            "action": "link",
            "incidents": [c.pk],
            "target": "existing",
            "series": series.pk,
            "reason": "Same time of day",
        },
    )
    assert added.status_code == 302
    assert set(series.members.values_list("incident_id", flat=True)) == {a.pk, b.pk, c.pk}
    assert "In series" in web.get(f"/police/incidents/{c.pk}/").content.decode()


def test_other_force_and_store_staff_cannot_see_or_use_the_linking_page(world: World) -> None:
    a, b = _report(world), _report(world)
    officer = world.viewer("police_sussex")
    series = linking.series_create(viewer=officer, name="S", basis="store", incidents=[a, b], reason="r")
    tv_incident = _report(world, "oxshop-oxford")
    tv = signed_in(world, "police_tv")
    # Another force's investigator: their page never lists Sussex incidents, even when asked for them...
    page = tv.get(f"/police/series/link/?incident={a.pk}&q={a.reference}")
    assert page.status_code == 200
    assert f'name="incidents" value="{a.pk}"' not in page.content.decode()
    assert "No incident of your force" in page.content.decode()
    assert tv.get(f"/police/series/{series.pk}/").status_code == 404
    # ...and cannot put incidents into a Sussex series or link Sussex incidents.
    r = tv.post(
        "/police/series/link/",
        {
            "action": "link",
            "incidents": [tv_incident.pk],
            "target": "existing",
            "series": series.pk,
            "reason": "r",
        },
    )
    assert r.status_code == 422
    assert "Choose one of your force&#x27;s series." in r.content.decode()
    r = tv.post(
        "/police/series/link/",
        {
            "action": "link",
            "incidents": [a.pk, b.pk],
            "target": "new",
            "name": "N",
            "basis": "store",
            "reason": "r",
        },
    )
    assert r.status_code == 422
    assert Series.objects.count() == 1
    assert series.members.count() == 2
    # Store staff and partnership managers: the same 404 as a page that does not exist.
    for name in ("reporter", "manager", "partnership_manager"):
        client = signed_in(world, name)
        assert client.get("/police/series/link/").status_code == 404, name
        assert client.post("/police/series/link/", {"action": "link"}).status_code == 404, name
