"""The record pickers: what they offer and accept is exactly what the viewer may see (reporting/pickers.py),
and the report form names a known person through one."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from shopwatch.core.models import AuditAction, AuditEvent
from shopwatch.core.pickers import Pick, PickError
from shopwatch.reporting.models import Incident
from shopwatch.reporting.pickers import incident_options, incident_resolve, person_options, person_resolve
from shopwatch.reporting.services import OffenderInput
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create
from tests.world import World


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def _person(world: World, given: str, family: str, partnership: str = "brighton-bcrp", **kw: Any) -> Person:
    manager = "partnership_manager" if partnership == "brighton-bcrp" else "unconnected_partnership_manager"
    return person_create(
        viewer=world.viewer(manager),
        owner_org=world.orgs[partnership],
        partnership=world.orgs[partnership],
        given_name=given,
        family_name=family,
        **kw,
    )


def _client(world: World, user: str) -> Client:
    c = Client()
    c.force_login(world.users[user])
    return c


def test_people_offered_show_last_seen_store_and_birth_year_and_are_audited(world: World) -> None:
    danny = _person(world, "Danny", "Fletcher", date_of_birth=dt.date(1990, 5, 1))
    world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=danny.pk)])
    options = person_options(viewer=world.viewer("reporter"), q="dan fle")
    assert [o.value for o in options] == [danny.pk]
    assert "born 1990" in options[0].details
    assert any(
        d.startswith("last seen at ") and world.stores["nw-brighton"].name in d for d in options[0].details
    )
    audit = AuditEvent.objects.filter(action=AuditAction.LIST, object_type="person").latest("id")
    assert audit.detail["ids"] == [danny.pk]


def test_a_picker_never_offers_or_accepts_a_person_from_another_partnership(world: World) -> None:
    mine = _person(world, "Danny", "Fletcher")
    theirs = _person(world, "Danny", "Fletcher", partnership="oxford-bcrp")
    viewer = world.viewer("reporter")
    assert [o.value for o in person_options(viewer=viewer, q="Danny Fletcher")] == [mine.pk]
    assert person_resolve(viewer=viewer, pick=Pick(text="Danny Fletcher")) == mine
    with pytest.raises(PickError):
        person_resolve(viewer=viewer, pick=Pick(text="Danny Fletcher", choice=theirs.pk))
    with pytest.raises(PickError):
        person_resolve(viewer=viewer, pick=Pick(text=str(theirs.pk)))
    html = _client(world, "reporter").get("/incidents/pick/people/", {"q": "Fletcher"}).content.decode()
    assert f'data-value="{mine.pk}"' in html
    assert f'data-value="{theirs.pk}"' not in html


def test_two_people_of_the_same_name_are_offered_as_a_choice(world: World) -> None:
    first = _person(world, "Sam", "Reed", date_of_birth=dt.date(1980, 1, 1))
    second = _person(world, "Sam", "Reed", date_of_birth=dt.date(2001, 1, 1))
    with pytest.raises(PickError) as caught:
        person_resolve(viewer=world.viewer("reporter"), pick=Pick(text="sam reed"))
    assert {o.value for o in caught.value.options} == {first.pk, second.pk}
    assert {d for o in caught.value.options for d in o.details} >= {"born 1980", "born 2001"}


def test_an_incident_is_found_by_its_reference_however_written_and_only_if_visible(world: World) -> None:
    incident = world.report("reporter", "nw-brighton")
    ref = incident.reference
    written = ref.lower().replace("-", "")
    viewer = world.viewer("manager")
    assert incident_resolve(viewer=viewer, pick=Pick(text=written)) == incident
    assert [o.value for o in incident_options(viewer=viewer, q=written)] == [incident.pk]
    with pytest.raises(PickError):
        incident_resolve(viewer=world.viewer("unconnected_reporter"), pick=Pick(text=ref))


def test_the_report_form_names_a_known_person_through_the_picker(world: World) -> None:
    """The form used to hold a drop-down of every visible person's bare name (two people of one name looked
    the same); it now holds no list of people at all, and a typed name is resolved when the report is sent."""
    _person(world, "Sam", "Reed")
    _person(world, "Sam", "Reed")
    danny = _person(world, "Danny", "Fletcher")
    client = _client(world, "reporter")
    html = client.get("/incidents/new/").content.decode()
    assert "Fletcher" not in html
    assert '<select name="known_person"' not in html
    assert 'data-url="/incidents/pick/people/"' in html
    token = re.search(r'name="token" value="([^"]+)"', html)
    assert token
    data = {
        "token": token.group(1),
        "store": str(world.stores["nw-brighton"].pk),
        "type": "theft",
        "description": "Took razors",
        "occurred_at": "2026-01-05T10:00",
    }
    ambiguous = client.post("/incidents/new/", {**data, "known_person": "Sam Reed"})
    assert ambiguous.status_code == 422
    page = ambiguous.content.decode()
    assert "More than one person fits" in page
    assert page.count('name="known_person_choice"') == 2
    sent = client.post("/incidents/new/", {**data, "known_person": "danny fletcher"})
    assert sent.status_code == 302
    incident = Incident.objects.get(reference__isnull=False, description="Took razors")
    assert [o.person_id for o in incident.offenders.all()] == [danny.pk]


def test_the_incident_list_finds_a_reference_typed_without_dashes(world: World) -> None:
    incident = world.report("reporter", "nw-brighton")
    other = world.report("reporter", "nw-brighton")
    page = _client(world, "manager").get("/incidents/", {"q": incident.reference.lower().replace("-", "")})
    html = page.content.decode()
    assert incident.reference in html
    assert other.reference not in html


def test_the_offline_form_keeps_the_picker_script_but_never_its_options(world: World) -> None:
    """The cached report form works offline as a text box: the picker's script and styles are kept with the
    app, while its options (people) are answered with no-store and never cached on the device."""
    _person(world, "Danny", "Fletcher")
    client = _client(world, "reporter")
    worker = client.get("/sw.js").content.decode()
    assert "/static/core/picker.js" in worker
    assert "/static/core/picker.css" in worker
    assert "/incidents/pick/" not in worker
    options = client.get("/incidents/pick/people/", {"q": "Danny"})
    assert "no-store" in options["Cache-Control"]
    assert "Danny Fletcher" in options.content.decode()


@pytest.mark.parametrize(
    "user",
    [
        "reporter",
        "manager",
        "same_partnership_reporter",
        "connected_reporter",
        "unconnected_reporter",
        "security",
        "partnership_manager",
        "unconnected_partnership_manager",
        "police_sussex",
        "police_tv",
        "analyst_sussex",
        "pcc",
        "navigator",
        "admin",
    ],
)
def test_each_role_is_offered_exactly_the_people_and_incidents_it_may_see(world: World, user: str) -> None:
    from shopwatch.core.entitlements import scope

    _person(world, "Alex", "Stone")
    _person(world, "Alex", "Stone", partnership="oxford-bcrp")
    world.report("reporter", "nw-brighton", description="Alex took stone-baked pizzas")
    world.report("unconnected_reporter", "oxshop-oxford", description="Alex took stone-baked pizzas")
    viewer = world.viewer(user)
    visible_people = set(scope(Person.objects.all(), viewer).values_list("pk", flat=True))
    offered_people = {o.value for o in person_options(viewer=viewer, q="alex stone")}
    assert offered_people == visible_people
    visible_incidents = set(scope(Incident.objects.all(), viewer).values_list("pk", flat=True))
    offered_incidents = {o.value for o in incident_options(viewer=viewer, q="stone-baked")}
    assert offered_incidents == visible_incidents
