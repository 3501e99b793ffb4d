"""Organised groups, prolific offenders and vehicles from real reports, and the intelligence package:
its manifest, and that it holds only what the receiving force or unit may see."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopwatch.core.models import (
    AuditEvent,
    Distribution,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from shopwatch.linking import network
from shopwatch.linking.package import MANIFEST, group_package
from shopwatch.reporting.models import Incident
from shopwatch.reporting.services import OffenderInput, VehicleInput
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create
from tests.world import World

pytestmark = pytest.mark.django_db
D = Distribution


def _person(world: World, given: str, family: str, level: str) -> Person:
    return person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        partnership=world.orgs["brighton-bcrp"],
        given_name=given,
        family_name=family,
        distribution=level,
    )


def _report(world: World, store: str, people: list[Person], level: str, reg: str = "") -> Incident:
    return world.report(
        "security",
        store,
        distribution=level,
        offenders=[OffenderInput(person_id=p.pk) for p in people],
        vehicles=[VehicleInput(registration=reg)] if reg else [],
        goods_value=120,
    )


@dataclass
class Gang:
    p: tuple[Person, Person, Person, Person]
    i: tuple[Incident, Incident, Incident]
    opal: Organisation


@pytest.fixture
def gang(world: World) -> Gang:
    opal = Organisation.objects.create(kind=OrganisationKind.NATIONAL_UNIT, slug="opal", name="Opal")
    analyst = User.objects.create_user("opal@example.org", "x" * 20, full_name="Opal Analyst")
    Membership.objects.create(user=analyst, organisation=opal, role=Role.ANALYST)
    world.users["national_analyst"] = analyst
    p1 = _person(world, "Lewis", "Marsh", D.POLICE)
    p2 = _person(world, "Tyler", "Quinn", D.POLICE)
    p3 = _person(world, "Ricky", "Stone", D.POLICE)
    p4 = _person(world, "Hidden", "Partner", D.PARTNERSHIP)  # kept to the partnership: never for police
    i1 = _report(world, "nw-brighton", [p1, p2, p4], D.POLICE, "AB12CDE")
    i2 = _report(world, "nw-oxford", [p2, p3], D.POLICE, "AB12CDE")
    i3 = _report(world, "nw-hove", [p1, p3], D.PARTNERSHIP)  # not shared with police
    return Gang(p=(p1, p2, p3, p4), i=(i1, i2, i3), opal=opal)


def _zip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_group_of_co_offenders_sharing_a_vehicle_across_forces(world: World, gang: Gang) -> None:
    p1, p2, p3, p4 = gang.p
    groups = network.organised_groups(network.load([world.viewer("security")]))
    assert len(groups) == 1
    g = groups[0]
    assert {p.pk for o in g.members for p in o.members} == {p1.pk, p2.pk, p3.pk, p4.pk}
    assert {f for f, _ in g.footprint} == {"Sussex Police", "Thames Valley Police"}
    assert [v.registration for v in g.vehicles] == ["AB12CDE"]
    assert g.reasons["co-offending"] >= 4
    assert g.reasons["shared vehicle"] >= 1
    # The national analyst's own view holds only what is shared with police.
    national = network.organised_groups(network.load([world.viewer("national_analyst")]))
    assert {p.pk for o in national[0].members for p in o.members} == {p1.pk, p2.pk, p3.pk}
    # PCC scrutiny and store staff see no groups at all.
    assert network.organised_groups(network.load([world.viewer("pcc")])) == []
    assert network.organised_groups(network.load([world.viewer("reporter")])) == []


def test_the_package_has_a_manifest_of_hashes_and_is_sanitised_to_the_receiver(
    world: World, gang: Gang
) -> None:
    p1, p2, p3, _p4 = gang.p
    i1, i2, i3 = gang.i
    security = world.viewer("security")
    key = network.organised_groups(network.load([security]))[0].key
    for receiver, persons, incidents in (
        (gang.opal, {p1, p2, p3}, {i1, i2}),
        (world.orgs["sussex"], {p1, p2, p3}, {i1}),
    ):
        assert isinstance(receiver, Organisation)
        pack = group_package(viewer=security, group_key=key, receiver=receiver, exported_by="Security Lead")
        assert pack is not None
        files = _zip(pack.content)
        manifest = json.loads(files.pop(MANIFEST))
        assert manifest["receiver"]["slug"] == receiver.slug
        assert (
            {f["name"] for f in manifest["files"]}
            == set(files)
            == {
                "summary.pdf",
                "members.csv",
                "incidents.csv",
                "vehicles.csv",
                "network.json",
            }
        )
        for f in manifest["files"]:
            assert hashlib.sha256(files[f["name"]]).hexdigest() == f["sha256"]
            assert len(files[f["name"]]) == f["bytes"]
        assert files["summary.pdf"].startswith(b"%PDF")
        members = list(csv.DictReader(io.StringIO(files["members.csv"].decode())))
        assert {int(r["person_id"]) for r in members} == {p.pk for p in persons}
        shown = list(csv.DictReader(io.StringIO(files["incidents.csv"].decode())))
        assert {r["reference"] for r in shown} == {i.reference for i in incidents}
        everything = b"".join(files.values())
        assert b"Hidden" not in everything
        assert b"Partner" not in everything
        for hidden in {i1, i2, i3} - incidents:
            assert hidden.reference.encode() not in everything
        audit = AuditEvent.objects.filter(object_type="link_group", action="export").latest("id")
        assert audit.detail["receiver"] == receiver.slug
        assert audit.detail["files"] == {f["name"]: f["sha256"] for f in manifest["files"]}


def test_prolific_offenders_count_linked_records_as_one(world: World, gang: Gang) -> None:
    from shopwatch.linking.models import LinkProposal
    from shopwatch.linking.services import proposal_decide

    p1, _p2, _p3, _p4 = gang.p
    # Lewis Marsh is on record again in Brighton under another spelling, with an incident of his own.
    again = _person(world, "Louis", "Marsh", D.POLICE)
    _report(world, "nw-hove", [again], D.POLICE)
    proposal = LinkProposal.objects.create(
        person_a=p1,
        person_b=again,
        probability=0.93,
        match_weight=3.7,
        model_version="test",
        explanation=[
            {"field": "prior", "comparison": "prior", "match_weight": -10.0},
            {"field": "surname", "comparison": "Same surname", "match_weight": 13.7},
        ],
    )
    before = {o.key: o for o in network.prolific_offenders(network.load([world.viewer("police_sussex")]))}
    assert all(len(o.members) == 1 for o in before.values())
    proposal_decide(
        viewer=world.viewer("police_sussex"), proposal_id=proposal.pk, decision="accept", reason="Same man"
    )
    ranked = network.prolific_offenders(network.load([world.viewer("police_sussex")]))
    joined = next(o for o in ranked if len(o.members) == 2)
    assert {p.pk for p in joined.members} == {p1.pk, again.pk}
    assert joined.incidents == 2  # one each, counted together (the Hove incident is not shared with police)
    assert joined.stores == 2


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_group_offender_and_vehicle_pages(world: World, gang: Gang) -> None:
    client = _signed_in(User.objects.get(pk=world.users["national_analyst"].pk))
    groups = client.get("/links/groups/")
    assert groups.status_code == 200
    key = network.organised_groups(network.load([world.viewer("national_analyst")]))[0].key
    assert f"/links/groups/{key}/" in groups.content.decode()
    page = client.get(f"/links/groups/{key}/").content.decode()
    assert 'class="chart network"' in page
    assert "Hidden" not in page
    package = client.post(f"/links/groups/{key}/package", {"receiver": "opal"})
    assert package.status_code == 200
    assert package["Content-Type"] == "application/zip"
    assert MANIFEST in _zip(package.content)
    assert client.get("/links/offenders/").status_code == 200
    vehicle = client.get("/links/vehicles/ab12 cde/")
    assert vehicle.status_code == 200
    assert "Tyler Quinn" in vehicle.content.decode()
    assert client.get("/links/vehicles/ZZ99ZZZ/").status_code == 404
    reporter = _signed_in(User.objects.get(pk=world.users["reporter"].pk))
    assert reporter.get("/links/groups/").status_code == 404
    assert reporter.get(f"/links/groups/{key}/").status_code == 404


def test_a_proposal_shows_the_vehicles_and_co_offenders_both_records_share(world: World, gang: Gang) -> None:
    from shopwatch.linking.models import LinkProposal
    from shopwatch.linking.selectors import proposal_common

    _p1, p2, p3, p4 = gang.p
    # Tyler Quinn on record again, seen with Ricky Stone in the same car at another store.
    again = _person(world, "Tyler", "Quin", D.POLICE)
    _report(world, "nw-hove", [again, p3], D.POLICE, "AB12 CDE")
    proposal = LinkProposal.objects.create(
        person_a=p2,
        person_b=again,
        probability=0.9,
        match_weight=3.2,
        model_version="test",
        explanation=[{"field": "surname", "comparison": "Similar surname", "match_weight": 3.2}],
    )
    common = proposal_common(viewer=world.viewer("national_analyst"), proposal=proposal)
    assert common.vehicles == ["AB12CDE"]
    assert [p.pk for p in common.co_offenders] == [p3.pk]
    # Through the security manager's wider view the partnership-only record is no co-offender of both either.
    wider = proposal_common(viewer=world.viewer("security"), proposal=proposal)
    assert p4.pk not in {p.pk for p in wider.co_offenders}
    client = _signed_in(User.objects.get(pk=world.users["national_analyst"].pk))
    page = client.get(f"/links/{proposal.pk}/").content.decode()
    assert "/links/vehicles/AB12CDE/" in page
    assert "Ricky Stone" in page
