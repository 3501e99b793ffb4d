"""Programme pages: a partnership manager or PCC office sets up a programme, the manager enrols a business
picked from the partnership's stores and records attendance; a store's staff see the programmes open to
them and enrol their own store."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from shopwatch.assessments import services
from shopwatch.assessments.models import Enrolment, EnrolmentStatus, Programme
from shopwatch.core.errors import NotEntitled, ValidationFailed
from shopwatch.core.models import TWO_FACTOR_ROLES, AuditEvent, Membership
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


def _form(world: World, **extra: object) -> dict[str, object]:
    today = timezone.localdate()
    return {
        "title": "Shop security review",
        "kind": "security review",
        "partnership": world.orgs["brighton-bcrp"].pk,
        "funder": world.orgs["sussex-pcc"].pk,
        "funding_note": "Recovered criminal assets",
        "places": "20",
        "eligibility": "Independent shops in Brighton and Hove",
        "question_set_slug": "",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=180)).isoformat(),
        **extra,
    }


def test_a_partnership_manager_sets_up_a_programme_enrols_a_store_and_records_attendance(
    world: World,
) -> None:
    pm = _client(world, "partnership_manager")
    assert "/assessments/programmes/new/" in pm.get("/assessments/programmes/").content.decode()
    form = pm.get("/assessments/programmes/new/").content.decode()
    assert "Brighton BCRP" in form
    assert "Crawley BCRP" not in form
    answer = pm.post("/assessments/programmes/new/", _form(world))
    assert answer.status_code == 302
    programme = Programme.objects.get(title="Shop security review")
    assert programme.funder == world.orgs["sussex-pcc"]
    assert AuditEvent.objects.filter(object_type="programme", object_id=str(programme.pk)).exists()

    page = pm.get(f"/assessments/programmes/{programme.pk}/").content.decode()
    assert "Corner Brighton" in page  # stores of the partnership, to pick from
    assert "Kiosk Crawley" not in page
    answer = pm.post(
        f"/assessments/programmes/{programme.pk}/",
        {"action": "enrol", "store": world.stores["corner-brighton"].pk},
    )
    assert answer.status_code == 302
    enrolment = Enrolment.objects.get(programme=programme)
    assert enrolment.store == world.stores["corner-brighton"]
    page = pm.get(f"/assessments/programmes/{programme.pk}/").content.decode()
    assert f"/assessments/enrolments/{enrolment.pk}/attendance/" in page
    bad = pm.post(f"/assessments/enrolments/{enrolment.pk}/attendance/", {"sessions": "500"})
    assert 'id="id_sessions_error"' in bad.content.decode()
    pm.post(f"/assessments/enrolments/{enrolment.pk}/attendance/", {"sessions": "4", "completed": "on"})
    enrolment.refresh_from_db()
    assert (enrolment.sessions_attended, enrolment.status) == (4, EnrolmentStatus.COMPLETED)


def test_programme_form_errors_are_shown_beside_their_fields(world: World) -> None:
    pm = _client(world, "partnership_manager")
    page = pm.post("/assessments/programmes/new/", _form(world, title="", places="0", ends_on="2000-01-01"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="id_title_error"' in html
    assert 'id="id_places_error"' in html
    page = pm.post("/assessments/programmes/new/", _form(world, ends_on="2000-01-01"))
    assert 'id="id_ends_on_error"' in page.content.decode()
    assert not Programme.objects.exists()


def test_the_pcc_office_sets_up_programmes_in_its_area_only(world: World) -> None:
    pcc = world.viewer("pcc")
    programme = services.programme_create(
        viewer=pcc,
        title="Cyber resilience membership",
        kind="cyber membership",
        funder_id=world.orgs["sussex-pcc"].pk,
        partnership_id=world.orgs["crawley-bcrp"].pk,
        places=150,
        eligibility="Small businesses in Crawley",
        starts_on=timezone.localdate(),
    )
    assert programme.partnership == world.orgs["crawley-bcrp"]
    with pytest.raises(NotEntitled):
        services.programme_create(
            viewer=pcc,
            title="Elsewhere",
            kind="training",
            funder_id=world.orgs["sussex-pcc"].pk,
            partnership_id=world.orgs["oxford-bcrp"].pk,
            places=5,
            eligibility="Anyone",
            starts_on=timezone.localdate(),
        )
    with pytest.raises(ValidationFailed) as info:
        services.programme_create(
            viewer=world.viewer("partnership_manager"),
            title="Wrong funder",
            kind="training",
            funder_id=world.orgs["northway"].pk,
            partnership_id=world.orgs["brighton-bcrp"].pk,
            places=5,
            eligibility="Anyone",
            starts_on=timezone.localdate(),
        )
    assert [e.field for e in info.value.errors] == ["funder"]
    for name in ("manager", "security", "police_sussex", "navigator"):
        with pytest.raises(NotEntitled):
            services.programme_create(
                viewer=world.viewer(name),
                title="Not theirs",
                kind="training",
                funder_id=world.orgs["sussex-pcc"].pk,
                partnership_id=world.orgs["brighton-bcrp"].pk,
                places=5,
                eligibility="Anyone",
                starts_on=timezone.localdate(),
            )
    assert _client(world, "manager").get("/assessments/programmes/new/").status_code == 404


def test_a_store_sees_programmes_open_to_it_and_enrols_its_own_store(world: World) -> None:
    programme = services.programme_create(
        viewer=world.viewer("partnership_manager"),
        title="Cyber resilience membership",
        kind="cyber membership",
        funder_id=world.orgs["sussex-pcc"].pk,
        partnership_id=world.orgs["brighton-bcrp"].pk,
        places=10,
        eligibility="Small businesses in Brighton",
        starts_on=timezone.localdate(),
    )
    services.enrolment_create(
        viewer=world.viewer("partnership_manager"),
        programme_id=programme.pk,
        store_id=world.stores["corner-brighton"].pk,
    )
    manager = _client(world, "manager")
    assert "/assessments/programmes/" in manager.get("/assessments/").content.decode()
    listing = manager.get("/assessments/programmes/").content.decode()
    assert "Cyber resilience membership" in listing
    page = manager.get(f"/assessments/programmes/{programme.pk}/").content.decode()
    assert "Nw Brighton" in page  # their own store, to enrol
    assert "Corner Brighton" not in page  # another business's enrolment is not shown to them
    assert "Record attendance" not in page
    manager.post(
        f"/assessments/programmes/{programme.pk}/",
        {"action": "enrol", "store": world.stores["nw-brighton"].pk},
    )
    assert Enrolment.objects.filter(programme=programme, store=world.stores["nw-brighton"]).exists()
    # Someone else's store cannot be enrolled from the form, and attendance is the managers' alone.
    manager.post(
        f"/assessments/programmes/{programme.pk}/",
        {"action": "enrol", "store": world.stores["nw-hove"].pk},
    )
    assert not Enrolment.objects.filter(programme=programme, store=world.stores["nw-hove"]).exists()
    theirs = Enrolment.objects.get(programme=programme, store=world.stores["nw-brighton"])
    assert manager.get(f"/assessments/enrolments/{theirs.pk}/attendance/").status_code == 404
    # Outside the partnership the programme is not found.
    assert (
        _client(world, "connected_reporter").get(f"/assessments/programmes/{programme.pk}/").status_code
        == 404
    )
