"""My cases: incidents an officer has taken, been given or accepted stay in view (they used to vanish from
the queue once accepted), with status and next action; a supervisor sees the team's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from shopwatch.core.errors import NotEntitled
from shopwatch.policing.selectors.caseload import my_cases, team_cases
from shopwatch.policing.selectors.queue import queue_page
from shopwatch.policing.services import records
from shopwatch.policing.services.triage import Decision, triage_assign, triage_decide, triage_take
from shopwatch.reporting.models import Incident
from tests.world import World


def _sent(world: World, **kw: object) -> Incident:
    return world.report("reporter", "nw-brighton", report_to_police=True, **kw)


def test_an_accepted_incident_leaves_the_queue_but_stays_in_my_cases_until_its_outcome(world: World) -> None:
    officer = world.viewer("police_sussex")
    inc = _sent(world, description="Took a basket of steaks", goods_value="90.00")
    triage_take(viewer=officer, incident=inc)
    rows = my_cases(viewer=officer)
    assert [r.incident.pk for r in rows] == [inc.pk]
    assert rows[0].next_action == "Decide: accept, reject or ask the store"

    triage_decide(viewer=officer, incident=inc, decision=Decision.ACCEPT)
    queue, _ = queue_page(viewer=officer, after=None, limit=50)
    assert inc.pk not in [r.incident.pk for r in queue]  # gone from the queue...
    rows = my_cases(viewer=officer)
    assert [r.incident.pk for r in rows] == [inc.pk]  # ...but not from view
    assert rows[0].triage.state == "accepted"
    assert rows[0].next_action == "Record the crime reference"

    records.crime_record_manual(
        viewer=officer, incident=inc, crime_reference="47/12345/26", status="crime_recorded"
    )
    assert my_cases(viewer=officer)[0].next_action == "Record the outcome"
    records.outcome_record(viewer=officer, incident=inc, outcome="1", cbo_applied=False, cbo_granted=False)
    assert my_cases(viewer=officer) == []
    finished = my_cases(viewer=officer, finished=True)
    assert [r.incident.pk for r in finished] == [inc.pk]


def test_my_cases_are_only_mine_and_an_accept_without_taking_counts(world: World) -> None:
    sup = world.viewer("supervisor_sussex")
    mine = _sent(world, description="Took cheese")
    theirs = _sent(world, description="Took wine")
    triage_assign(viewer=sup, incident=mine, assignee_id=world.users["police_sussex"].pk)
    triage_decide(viewer=sup, incident=theirs, decision=Decision.ACCEPT)  # accepted: held by the supervisor
    assert [r.incident.pk for r in my_cases(viewer=world.viewer("police_sussex"))] == [mine.pk]
    assert [r.incident.pk for r in my_cases(viewer=sup)] == [theirs.pk]


def test_a_supervisor_sees_who_holds_what_and_an_investigator_may_not(world: World) -> None:
    sup = world.viewer("supervisor_sussex")
    inc = _sent(world, type="violence", flags=["violence"], description="Pushed a colleague")
    triage_assign(viewer=sup, incident=inc, assignee_id=world.users["police_sussex"].pk)
    team = {o.officer.pk: o for o in team_cases(viewer=sup)}
    assert [c.incident.pk for c in team[world.users["police_sussex"].pk].cases] == [inc.pk]
    assert team[world.users["supervisor_sussex"].pk].cases == []  # officers holding nothing are listed
    assert world.users["police_tv"].pk not in team  # another force's officers are not this team
    with pytest.raises(NotEntitled):
        team_cases(viewer=world.viewer("police_sussex"))


def test_the_pages_list_cases_and_the_team_page_is_for_supervisors_only(
    world: World, web: Callable[[str], Client]
) -> None:
    officer = world.viewer("police_sussex")
    inc = _sent(world, description="Took gift cards", goods_value="250.00")
    triage_take(viewer=officer, incident=inc)
    triage_decide(viewer=officer, incident=inc, decision=Decision.ACCEPT)
    page = web("police_sussex").get("/police/cases/").content.decode()
    assert inc.reference in page
    assert "Record the crime reference" in page
    assert web("police_sussex").get("/police/team/").status_code == 404
    team = web("supervisor_sussex").get("/police/team/").content.decode()
    assert "Police Sussex" in team
    assert inc.reference in team
    assert web("supervisor_sussex").get("/police/workload/").status_code == 302
    assert web("reporter").get("/police/cases/").status_code == 404


def test_my_cases_and_the_team_page_take_a_fixed_number_of_queries(
    world: World, web: Callable[[str], Client], django_assert_max_num_queries: Any
) -> None:
    sup = world.viewer("supervisor_sussex")
    for n in range(6):
        inc = _sent(world, description=f"Took item {n}", goods_value="30.00")
        triage_assign(viewer=sup, incident=inc, assignee_id=world.users["police_sussex"].pk)
        if n % 2:
            triage_decide(viewer=sup, incident=inc, decision=Decision.ACCEPT)
    client = web("supervisor_sussex")
    client.get("/police/team/")  # warm the session and the viewer's memberships
    with django_assert_max_num_queries(30):
        assert client.get("/police/team/").status_code == 200
    officer = web("police_sussex")
    officer.get("/police/cases/")
    with django_assert_max_num_queries(20):
        assert officer.get("/police/cases/").status_code == 200
