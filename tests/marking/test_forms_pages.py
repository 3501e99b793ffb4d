"""The marking pages a store, retailer or partnership uses: issuing a kit, logging its use, marked
property, signage; and the police look-up page with its 404 for unknown and not-yours codes."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from shopwatch.core.models import TWO_FACTOR_ROLES, AuditEvent, Membership
from shopwatch.marking import services
from shopwatch.marking.models import Deployment, MarkedProperty, MarkingKit, SignageDisplay
from tests.core.support import sign_in_verified
from tests.world import World


def _client(world: World, name: str) -> Client:
    c = Client()
    user = world.users[name]
    if Membership.objects.filter(user=user, role__in=TWO_FACTOR_ROLES).exists():
        sign_in_verified(c, user)
    else:
        c.force_login(user)
    return c


def test_a_partnership_manager_issues_a_kit_to_a_store_chosen_from_a_list(world: World) -> None:
    c = _client(world, "partnership_manager")
    page = c.get("/marking/kits/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Nw Brighton" in html
    assert "Corner Brighton" in html
    assert "Kiosk Crawley" not in html
    assert "Nw Oxford" not in html
    today = timezone.localdate()
    answer = c.post(
        "/marking/kits/new/",
        {
            "store": world.stores["corner-brighton"].pk,
            "product": "selectadna",
            "kind": "spray",
            "batch": "B-2026-11",
            "code": "sdna 040100",
            "last_code": "SDNA040149",
            "issued_to": "Security officer on the door",
            "issued_on": today.isoformat(),
            "expires_on": (today + dt.timedelta(days=365)).isoformat(),
        },
    )
    assert answer.status_code == 302
    kit = MarkingKit.objects.get(code="SDNA040100")
    assert (kit.store, kit.code_from, kit.code_to) == (world.stores["corner-brighton"], 40100, 40149)
    assert AuditEvent.objects.filter(object_type="marking_kit", object_id=str(kit.pk)).exists()


def test_issuing_shows_each_problem_beside_its_field(world: World) -> None:
    services.kit_issue(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        product="smarttag",
        kind="fixed",
        batch="B7",
        code="ST-000501",
    )
    c = _client(world, "manager")
    today = timezone.localdate()
    page = c.post(
        "/marking/kits/new/",
        {
            "store": world.stores["nw-brighton"].pk,
            "product": "smarttag",
            "kind": "spray",
            "batch": "B8",
            "code": "ST-000501",
            "issued_on": today.isoformat(),
        },
    )
    assert page.status_code == 200
    assert 'id="id_code_error"' in page.content.decode()
    assert "already registered" in page.content.decode()
    page = c.post(
        "/marking/kits/new/",
        {
            "store": world.stores["nw-brighton"].pk,
            "product": "smarttag",
            "kind": "spray",
            "batch": "B8",
            "code": "ST-000900",
            "issued_on": today.isoformat(),
            "expires_on": (today - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert 'id="id_expires_on_error"' in page.content.decode()
    # A store not in the list is refused by the form, never reached by an id.
    page = c.post(
        "/marking/kits/new/",
        {
            "store": world.stores["nw-oxford"].pk,
            "product": "smarttag",
            "kind": "spray",
            "batch": "B",
            "code": "ST-1",
            "issued_on": today.isoformat(),
        },
    )
    assert 'id="id_store_error"' in page.content.decode()
    assert not MarkingKit.objects.filter(code__in=["ST-000900", "ST-1"]).exists()


def test_a_store_logs_a_kits_use_against_one_of_its_recent_incidents(world: World) -> None:
    kit = services.kit_issue(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        product="smartwater",
        kind="spray",
        batch="W1",
        code="SW-4410",
    )
    mine = world.report("reporter", "nw-brighton", description="Pushed past staff with two bags of meat")
    elsewhere = world.report("other_store_reporter", "nw-hove")
    c = _client(world, "manager")
    listing = c.get("/marking/").content.decode()
    assert f"/marking/kits/{kit.pk}/deployments/new/" in listing
    page = c.get(f"/marking/kits/{kit.pk}/deployments/new/").content.decode()
    assert mine.reference in page
    assert elsewhere.reference not in page
    answer = c.post(
        f"/marking/kits/{kit.pk}/deployments/new/",
        {
            "incident": mine.pk,
            "deployed_by": "Door officer",
            "deployed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "where": "Front door",
            "target": "person",
            "target_detail": "Grey hoodie, left arm",
        },
    )
    assert answer.status_code == 302
    d = Deployment.objects.get(kit=kit)
    assert (d.incident_id, d.where) == (mine.pk, "Front door")
    refused = c.post(
        f"/marking/kits/{kit.pk}/deployments/new/",
        {"incident": elsewhere.pk, "deployed_by": "X", "deployed_at": "2026-01-01T10:00", "target": "person"},
    )
    assert 'id="id_incident_error"' in refused.content.decode()
    # Police see the kit but do not log its use; another store's staff do not see it at all.
    assert _client(world, "police_sussex").get(f"/marking/kits/{kit.pk}/deployments/new/").status_code == 404
    assert (
        _client(world, "other_store_reporter").get(f"/marking/kits/{kit.pk}/deployments/new/").status_code
        == 404
    )


def test_marked_property_and_signage(world: World) -> None:
    c = _client(world, "manager")
    answer = c.post(
        "/marking/property/",
        {
            "store": world.stores["nw-brighton"].pk,
            "product": "smartwater",
            "code": "swp 77001",
            "description": "Tills and card readers",
        },
    )
    assert answer.status_code == 302
    assert MarkedProperty.objects.get(code="SWP77001").description == "Tills and card readers"
    assert "SWP77001" in c.get("/marking/property/").content.decode()
    page = c.post(
        "/marking/property/",
        {
            "store": world.stores["nw-brighton"].pk,
            "product": "smartwater",
            "code": "SWP77001",
            "description": "Again",
        },
    )
    assert 'id="id_code_error"' in page.content.decode()

    store = world.stores["nw-brighton"]
    assert "Nw Brighton" in c.get("/marking/signage/").content.decode()
    c.post(f"/marking/signage/{store.pk}/", {"displayed": "yes", "product": "smartwater"})
    assert SignageDisplay.objects.get(store=store).product == "smartwater"
    c.post(f"/marking/signage/{store.pk}/", {"displayed": "no", "product": "smartwater"})
    assert not SignageDisplay.objects.filter(store=store).exists()
    # Not their store: the same 404.
    other = world.stores["kiosk-crawley"]
    assert (
        c.post(f"/marking/signage/{other.pk}/", {"displayed": "yes", "product": "smartwater"}).status_code
        == 404
    )
    assert not SignageDisplay.objects.filter(store=other).exists()
    for name in ("police_sussex", "pcc", "navigator"):
        someone = _client(world, name)  # one sign-in each: a two-factor code is good once
        assert someone.get("/marking/signage/").status_code == 404
        assert someone.get("/marking/kits/new/").status_code == 404


def test_police_look_up_a_code_and_unknown_or_not_yours_codes_answer_404(world: World) -> None:
    kit = services.kit_issue(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        product="selectadna",
        kind="spray",
        batch="D1",
        code="SDNA-040100",
        last_code="SDNA-040149",
    )
    incident = world.report("reporter", "nw-brighton")
    services.deployment_record(
        viewer=world.viewer("manager"),
        kit_id=kit.pk,
        incident_id=incident.pk,
        deployed_by="Door officer",
        deployed_at=timezone.now() - dt.timedelta(minutes=5),
        target="person",
    )
    police = _client(world, "police_sussex")
    assert police.get("/marking/lookup/").status_code == 200
    page = police.get("/marking/lookup/", {"code": "sdna-040123"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Contact: Northway Foods" in html
    # Not yet sent to police: the deployment is shown, the incident counted, not named.
    assert incident.reference not in html
    assert "An incident held by Northway Foods" in html
    assert (
        incident.reference
        in _client(world, "manager").get("/marking/lookup/", {"code": "SDNA-040123"}).content.decode()
    )
    before = AuditEvent.objects.filter(object_type="marking_code").count()
    miss = police.get("/marking/lookup/", {"code": "SDNA-999999"})
    assert miss.status_code == 404
    assert "Not found" in miss.content.decode()
    assert AuditEvent.objects.filter(object_type="marking_code").count() == before + 1
    # Another force and another store: the same 404 as an unknown code.
    assert _client(world, "police_tv").get("/marking/lookup/", {"code": "SDNA-040123"}).status_code == 404
    assert (
        _client(world, "same_partnership_reporter")
        .get("/marking/lookup/", {"code": "SDNA-040123"})
        .status_code
        == 404
    )


def test_the_incident_page_shows_kit_uses_and_links_to_log_one(world: World) -> None:
    kit = services.kit_issue(
        viewer=world.viewer("manager"),
        store_id=world.stores["nw-brighton"].pk,
        product="smartwater",
        kind="spray",
        batch="W1",
        code="SW-5510",
    )
    incident = world.report("reporter", "nw-brighton")
    c = _client(world, "manager")
    page = c.get(f"/incidents/{incident.pk}/").content.decode()
    link = f"/marking/kits/{kit.pk}/deployments/new/?incident={incident.pk}"
    assert link in page
    form = c.get(link).content.decode()
    assert f'<option value="{incident.pk}" selected>' in form
    services.deployment_record(
        viewer=world.viewer("manager"),
        kit_id=kit.pk,
        incident_id=incident.pk,
        deployed_by="Door officer",
        deployed_at=timezone.now() - dt.timedelta(minutes=5),
        target="property",
        target_detail="Stolen razors",
    )
    page = c.get(f"/incidents/{incident.pk}/").content.decode()
    assert "SW-5510 used by Door officer" in page
    # Another store in the partnership sees neither the kit nor a link to log its use.
    other = _client(world, "other_store_reporter").get(f"/incidents/{incident.pk}/")
    assert "SW-5510" not in other.content.decode()
