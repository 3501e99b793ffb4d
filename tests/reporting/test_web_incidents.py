"""The incident list, one incident, sending to police and the CSV export, through Django's test client."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shopwatch.core.models import AuditEvent
from shopwatch.evidence import services as evidence_services
from shopwatch.reporting import services, views
from shopwatch.reporting.models import Incident
from shopwatch.subjects.models import Person
from tests.evidence.images import jpeg_bytes
from tests.pages import without_tokens
from tests.world import World


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def _client(world: World, user: str) -> Client:
    c = Client()
    c.force_login(world.users[user])
    return c


def _ago(hours: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)


def test_manager_sees_store_incidents_newest_first(world: World) -> None:
    older = world.report("reporter", "nw-brighton", occurred_at=_ago(5), description="Older one")
    newer = world.report("reporter", "nw-brighton", occurred_at=_ago(1), description="Newer one")
    elsewhere = world.report("unconnected_reporter", "oxshop-oxford")
    html = _client(world, "manager").get("/incidents/").content.decode()
    assert html.index(newer.reference) < html.index(older.reference)
    assert elsewhere.reference not in html
    assert AuditEvent.objects.filter(action="list", actor=world.users["manager"]).exists()


def test_unconnected_shop_cannot_find_it(world: World) -> None:
    inc = world.report("reporter", "nw-brighton")
    client = _client(world, "unconnected_reporter")
    html = client.get("/incidents/", {"q": inc.reference}).content.decode()
    assert f'href="/incidents/{inc.pk}/"' not in html
    assert "No incidents match" in html
    forbidden = client.get(f"/incidents/{inc.pk}/")
    missing = client.get(f"/incidents/{inc.pk + 999}/")
    assert forbidden.status_code == missing.status_code == 404
    assert without_tokens(forbidden.content) == without_tokens(missing.content)


def test_filters(world: World) -> None:
    theft = world.report("reporter", "nw-brighton", type="theft", occurred_at=_ago(24 * 10))
    damage = world.report(
        "reporter", "nw-brighton", type="criminal_damage", description="Smashed the door glass"
    )
    hove = world.report("other_store_reporter", "nw-hove")
    client = _client(world, "security")

    def shown(**params: str) -> set[str]:
        html = client.get("/incidents/", params).content.decode()
        return {i.reference for i in (theft, damage, hove) if i.reference in html}

    assert shown() == {theft.reference, damage.reference, hove.reference}
    assert shown(type="criminal_damage") == {damage.reference}
    assert shown(store=str(world.stores["nw-hove"].pk)) == {hove.reference}
    assert shown(q=theft.reference.lower()) == {theft.reference}
    assert shown(q="door glass") == {damage.reference}
    assert shown(priority=theft.priority, type="theft") == {theft.reference, hove.reference}
    assert shown(priority="P1") == set()
    assert shown(status=damage.status) == {theft.reference, damage.reference, hove.reference}
    today = timezone.localdate().isoformat()
    assert shown(date_from=today) == {damage.reference, hove.reference}
    assert shown(date_to=(timezone.localdate() - dt.timedelta(days=1)).isoformat()) == {theft.reference}


def test_bad_filter_is_reported_inline(world: World) -> None:
    world.report("reporter", "nw-brighton")
    response = _client(world, "manager").get("/incidents/", {"date_from": "31/02/2026", "type": "arson"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'id="id_date_from_error"' in html
    assert 'id="id_type_error"' in html


def test_store_filter_offers_only_stores_the_viewer_can_see(world: World) -> None:
    html = _client(world, "manager").get("/incidents/").content.decode()
    assert "Nw Brighton" in html
    assert "Oxshop Oxford" not in html


def test_older_link_walks_the_keyset_cursor(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    made = [world.report("reporter", "nw-brighton", occurred_at=_ago(h)) for h in (1, 2, 3, 4, 5)]
    client = _client(world, "manager")
    seen: list[str] = []
    url = "/incidents/?type=theft"
    for _ in range(5):
        response = client.get(url)
        html = response.content.decode()
        seen += [i.reference for i in made if i.reference in html]
        older = response.context["older_url"]
        if not older:
            break
        assert "type=theft" in older
        url = "/incidents/" + older
    assert seen == [i.reference for i in made]


def test_list_query_count_does_not_grow_with_incidents(world: World) -> None:
    client = _client(world, "manager")
    for _ in range(2):
        world.report("reporter", "nw-brighton", flags=["violence"])
    client.get("/incidents/")  # warm the session and the viewer
    with CaptureQueriesContext(connection) as few:
        assert client.get("/incidents/").status_code == 200
    for _ in range(8):
        world.report("reporter", "nw-brighton", flags=["hate"])
    with CaptureQueriesContext(connection) as many:
        assert client.get("/incidents/").status_code == 200
    assert len(many) == len(few)


def test_detail_shows_everything(world: World) -> None:
    person = Person.objects.create(
        owner_org=world.orgs["brighton-bcrp"],
        partnership=world.orgs["brighton-bcrp"],
        given_name="Sam",
        family_name="Example",
    )
    inc = world.report(
        "reporter",
        "nw-brighton",
        type="theft",
        flags=["weapon", "hate"],
        goods=[services.GoodsInput(description="Steak", value=Decimal("250.00"))],
        offenders=[
            services.OffenderInput(person_id=person.pk, description="Red cap"),
            services.OffenderInput(description="Second one, tall"),
        ],
        vehicles=[services.VehicleInput(registration="ab12cde", description="Blue van")],
    )
    photo = evidence_services.evidence_add(
        viewer=world.viewer("reporter"), incident=inc, fileobj=io.BytesIO(jpeg_bytes()), filename="shelf.jpg"
    )
    response = _client(world, "manager").get(f"/incidents/{inc.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        inc.reference,
        "Weapon seen or used",
        "Hate-related",
        "Steak",
        "£250.00",
        "Sam Example",
        "Red cap",
        "Second one, tall",
        "AB12 CDE",
        "Blue van",
        inc.offence_label,
        "Weapon seen or used",
        "Shared with the partnership",
        "Send to police",
    ):
        assert text in html, text
    for reason in inc.priority_reasons:
        assert reason in html
    assert f'href="/evidence/{photo.pk}/"' in html  # the photo opens its evidence page
    assert f'src="/evidence/{photo.pk}/thumb"' in html
    assert AuditEvent.objects.filter(action="view", object_type="incident", object_id=str(inc.pk)).exists()


def test_linked_person_not_shared_with_viewer_is_not_named(world: World) -> None:
    person = Person.objects.create(
        owner_org=world.orgs["northway"],
        partnership=world.orgs["brighton-bcrp"],
        distribution="organisation",
        given_name="Private",
        family_name="Record",
    )
    inc = world.report("security", "nw-brighton", offenders=[services.OffenderInput(person_id=person.pk)])
    html = _client(world, "same_partnership_reporter").get(f"/incidents/{inc.pk}/").content.decode()
    assert "Private Record" not in html
    assert "A known person" in html


def test_send_to_police(world: World) -> None:
    inc = world.report("reporter", "nw-brighton")
    assert (
        _client(world, "unconnected_reporter").post(f"/incidents/{inc.pk}/send-to-police/").status_code == 404
    )
    client = _client(world, "manager")
    response = client.post(f"/incidents/{inc.pk}/send-to-police/", follow=True)
    assert response.status_code == 200
    inc.refresh_from_db()
    assert inc.sent_to_police
    assert inc.status == "sent_to_police"
    html = response.content.decode()
    assert "has been sent to Sussex Police" in html
    assert "Send to police (" not in html


def test_same_partnership_shop_sees_it_but_cannot_send_it(world: World) -> None:
    inc = world.report("reporter", "nw-brighton")
    client = _client(world, "same_partnership_reporter")
    assert "Send to police (" not in client.get(f"/incidents/{inc.pk}/").content.decode()
    client.post(f"/incidents/{inc.pk}/send-to-police/")
    inc.refresh_from_db()
    assert not inc.sent_to_police


def test_export_uses_the_same_filters_and_is_audited(world: World) -> None:
    theft = world.report("reporter", "nw-brighton", type="theft", description='=HYPERLINK("http://x")')
    damage = world.report("reporter", "nw-brighton", type="criminal_damage")
    world.report("unconnected_reporter", "oxshop-oxford")
    client = _client(world, "manager")
    response = client.get("/incidents/export.csv", {"type": "theft"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["reference"] for r in rows] == [theft.reference]
    assert rows[0]["store"] == "Nw Brighton"
    assert rows[0]["description"].startswith("'=")  # not run as a formula by a spreadsheet
    audit = AuditEvent.objects.get(action="export", actor=world.users["manager"])
    assert audit.detail["ids"] == [theft.pk]
    everything = list(csv.DictReader(io.StringIO(client.get("/incidents/export.csv").content.decode())))
    assert {r["reference"] for r in everything} == {theft.reference, damage.reference}


def test_list_links_to_export_with_current_filters(world: World) -> None:
    html = _client(world, "manager").get("/incidents/", {"type": "theft"}).content.decode()
    assert 'href="export.csv?type=theft"' in html


def test_signed_out_visitors_are_sent_to_sign_in(db: None) -> None:
    for url in ("/incidents/", "/incidents/new/", "/incidents/1/", "/incidents/export.csv"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/login/")
    assert not Incident.objects.exists()
