"""The demo seed gives the police side real work: the Sussex team holds cases (the supervisor's first page is
not empty), the demo store has a CCTV request waiting for it, and it shares contact details with the force."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from shopwatch.core.entitlements import viewer_for
from shopwatch.core.models import User
from shopwatch.policing.models import StoreContact, TriageState
from shopwatch.policing.selectors.caseload import my_cases, team_cases
from shopwatch.policing.selectors.store_side import request_for_store


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        call_command("seed", incidents=600, seed=11, stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def _user(local: str) -> User:
    return User.objects.get(email=f"{local}@demo.shopwatch.test")


def test_the_demo_team_holds_cases_and_the_demo_store_has_a_cctv_request(seeded: None, db: None) -> None:
    supervisor = viewer_for(_user("supervisor"))
    team = {o.officer.email.split("@")[0]: o for o in team_cases(viewer=supervisor)}
    assert len(team["investigator"].cases) >= 3
    assert len(team["supervisor"].cases) >= 2
    mine = my_cases(viewer=viewer_for(_user("investigator")))
    assert any(c.next_action == "Record the crime reference" for c in mine)
    waiting = [c for c in mine if c.triage.state == TriageState.INFO_REQUESTED]
    assert len(waiting) == 1
    incident = waiting[0].incident
    manager = _user("manager")
    request = request_for_store(viewer=viewer_for(manager), incident=incident)
    assert request is not None
    assert request.open
    assert request.cctv
    contact = StoreContact.objects.get(store=incident.store)
    assert contact.contact_name == manager.full_name

    client = Client()
    client.force_login(manager)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Sussex Police asks for CCTV" in page
