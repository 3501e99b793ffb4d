"""Linking evidence never widens who sees a file: matrix cases for files linked to wider incidents.

The rule (docs/decisions/0002-one-entitlement-mechanism.md): a file is seen by its own incident's audience and
by unexpired shares. A link lets the file follow a further incident's audience only when the file's owner made
it (those who report for its store or its owner's organisation-wide staff: the capability table's
``share_evidence_wider``). Anyone else's link shows the file on that incident only to those who could already
see it: the intersection of the two audiences.

Expected answers are written out by hand per viewer below; each case checks the selector, the API download,
the web page and, for police, the evidence bundle of the linked incident.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.http import Http404
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopwatch.core.models import Distribution, Membership, Organisation, OrganisationKind, Role, User
from shopwatch.evidence import linking
from shopwatch.evidence.models import EvidenceFile
from shopwatch.evidence.selectors import evidence_get
from shopwatch.evidence.services import evidence_add
from shopwatch.reporting.models import Incident
from tests.api.support import api_client_for
from tests.evidence.images import jpeg_bytes
from tests.world import PASSWORD, World

VIEWERS = [
    "reporter",
    "manager",
    "other_store_reporter",
    "security",
    "same_partnership_reporter",
    "partnership_manager",
    "connected_reporter",
    "connected_partnership_manager",
    "unconnected_reporter",
    "unconnected_partnership_manager",
    "police_sussex",
    "supervisor_sussex",
    "analyst_sussex",
    "police_tv",
    "national_analyst",
    "pcc",
    "navigator",
    "admin",
]
POLICE = {"police_sussex", "supervisor_sussex", "analyst_sussex", "police_tv", "national_analyst"}

# A partnership-only file of Northway Brighton (Brighton BCRP, Sussex) is seen by Northway's staff at stores
# of that partnership, the estate, the partnership's members and manager, and the operator.
FILE_AUDIENCE = frozenset(
    {
        "reporter",
        "manager",
        "other_store_reporter",
        "security",
        "same_partnership_reporter",
        "partnership_manager",
        "admin",
    }
)
# A police-wide incident in Sussex is seen, besides, by connected and all other partnerships' members and by
# police of Sussex and of the national unit (not by another force's police).
POLICE_WIDE_INCIDENT_AUDIENCE = FILE_AUDIENCE | {
    "connected_reporter",
    "connected_partnership_manager",
    "unconnected_reporter",
    "unconnected_partnership_manager",
    "police_sussex",
    "supervisor_sussex",
    "analyst_sussex",
    "national_analyst",
}


@dataclass
class Linked:
    evidence: EvidenceFile
    target: Incident


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    cache.clear()


def _national_analyst(world: World) -> None:
    opal = Organisation.objects.create(kind=OrganisationKind.NATIONAL_UNIT, slug="opal", name="Opal")
    user = User.objects.create_user("national_analyst@example.org", PASSWORD, full_name="National Analyst")
    Membership.objects.create(user=user, organisation=opal, role=Role.ANALYST)
    world.users["national_analyst"] = user


def _link(world: World, *, linker: str, target_store: str) -> Linked:
    _national_analyst(world)
    home = world.report("reporter", "nw-brighton", distribution=Distribution.PARTNERSHIP)
    evidence = evidence_add(
        viewer=world.viewer("reporter"),
        incident=home,
        fileobj=io.BytesIO(jpeg_bytes((90, 30, 200))),
        filename="partnership-only-cctv.jpg",
    )
    target_reporter = {"nw-brighton": "reporter", "corner-brighton": "same_partnership_reporter"}[
        target_store
    ]
    target = world.report(
        target_reporter, target_store, distribution=Distribution.POLICE, report_to_police=True
    )
    linking.evidence_link(
        viewer=world.viewer(linker), evidence_id=evidence.pk, incident=target.reference, reason="Same CCTV"
    )
    return Linked(evidence=evidence, target=target)


def _web(world: World, name: str) -> Client:
    user = User.objects.get(pk=world.users[name].pk)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _channels(world: World, name: str, linked: Linked) -> dict[str, bool]:
    viewer = world.viewer(name)
    try:
        evidence_get(viewer=viewer, evidence_id=linked.evidence.pk)
        selector = True
    except Http404:
        selector = False
    api = api_client_for(world, name)
    content = api.get(f"/api/v1/evidence/{linked.evidence.pk}/content")
    assert content.status_code in (200, 404), content.status_code
    if content.status_code == 200:
        b"".join(content.streaming_content)
    page = _web(world, name).get(f"/evidence/{linked.evidence.pk}/")
    assert page.status_code in (200, 404), page.status_code
    seen = {
        "selector": selector,
        "api download": content.status_code == 200,
        "web page": page.status_code == 200,
    }
    if name in POLICE:
        bundle = api.get(f"/api/v1/incidents/{linked.target.pk}/evidence/bundle")
        assert bundle.status_code in (200, 404, 422), bundle.status_code
        in_bundle = False
        if bundle.status_code == 200:
            archive = zipfile.ZipFile(io.BytesIO(b"".join(bundle.streaming_content)))
            in_bundle = any(n.endswith("partnership-only-cctv.jpg") for n in archive.namelist())
        seen["bundle download"] = in_bundle
    return seen


def _disagreements(world: World, linked: Linked, audience: frozenset[str]) -> dict[str, dict[str, bool]]:
    wrong: dict[str, dict[str, bool]] = {}
    for name in VIEWERS:
        expected = name in audience
        seen = _channels(world, name, linked)
        bad = {channel: got for channel, got in seen.items() if got != expected}
        if bad:
            wrong[name] = bad
    return wrong


def test_another_retailers_link_to_its_police_wide_incident_widens_nothing(world: World) -> None:
    """Corner Shop's reporter sees Northway's partnership-only file and links it to Corner's own police-wide
    incident. Before the rule, the file then reached Oxford's members, the national unit and Sussex police."""
    linked = _link(world, linker="same_partnership_reporter", target_store="corner-brighton")
    assert not linked.evidence.links.get().shares_audience
    assert _disagreements(world, linked, FILE_AUDIENCE) == {}
    # In another force: neither Oxford's members nor the national unit can read it, by any channel.
    assert not _channels(world, "unconnected_reporter", linked)["api download"]
    assert not any(_channels(world, "national_analyst", linked).values())


def test_the_owners_link_shares_the_file_with_the_incidents_audience(world: World) -> None:
    """The file's own store links it to its own police-wide incident: the owner's decision, so the incident's
    whole audience sees it (as if it had been uploaded there)."""
    linked = _link(world, linker="reporter", target_store="nw-brighton")
    assert linked.evidence.links.get().shares_audience
    assert _disagreements(world, linked, POLICE_WIDE_INCIDENT_AUDIENCE) == {}


def test_police_links_show_the_file_only_to_those_who_could_see_it(world: World) -> None:
    """Police of the force may link a file they can see to another incident of their force, but that does not
    disclose one retailer's file to another retailer."""
    home = world.report(
        "reporter", "nw-brighton", distribution=Distribution.ORGANISATION, report_to_police=True
    )
    evidence = evidence_add(
        viewer=world.viewer("reporter"),
        incident=home,
        fileobj=io.BytesIO(jpeg_bytes((10, 200, 30))),
        filename="till.jpg",
    )
    other = world.report(
        "same_partnership_reporter",
        "corner-brighton",
        distribution=Distribution.ORGANISATION,
        report_to_police=True,
    )
    linking.evidence_link(
        viewer=world.viewer("police_sussex"), evidence_id=evidence.pk, incident=other.reference, reason="Same"
    )
    with pytest.raises(Http404):
        evidence_get(viewer=world.viewer("same_partnership_reporter"), evidence_id=evidence.pk)
    assert evidence_get(viewer=world.viewer("police_sussex"), evidence_id=evidence.pk).pk == evidence.pk
