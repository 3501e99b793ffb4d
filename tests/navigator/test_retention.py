"""A navigator organisation's retention: the setting its navigators show and change, and the daily job that
deletes closed cases past it, with an audit row for each."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.test import Client
from django.utils import timezone

from shopwatch.core.errors import ValidationFailed
from shopwatch.core.models import AuditEvent, Distribution
from shopwatch.core.schedule import JOBS
from shopwatch.navigator import selectors, services
from shopwatch.navigator.models import CaseNeed, NavigatorCase
from shopwatch.navigator.tasks import apply_case_retention
from shopwatch.subjects.models import Person
from tests.world import World


def _closed_case(world: World, *, closed_days_ago: int | None, name: str) -> NavigatorCase:
    person = Person.objects.create(
        owner_org=world.orgs["brighton-bcrp"],
        partnership=world.orgs["brighton-bcrp"],
        distribution=Distribution.POLICE,
        given_name=name,
        family_name="Marsh",
    )
    nav = world.viewer("navigator")
    today = timezone.localdate()
    case = services.case_refer(
        viewer=nav,
        organisation_id=world.orgs["navigators"].pk,
        person_id=person.pk,
        force_id=world.orgs["sussex"].pk,
        source="outreach",
        referred_by="Navigator Trust outreach",
        reason="Sleeping rough, repeated thefts",
        referred_at=today - dt.timedelta(days=1200),
    )
    services.case_consent_record(
        viewer=nav, case_id=case.pk, consent="given", on=today - dt.timedelta(days=1190)
    )
    services.need_add(viewer=nav, case_id=case.pk, area="housing", detail="Hostel place")
    if closed_days_ago is not None:
        services.case_close(
            viewer=nav,
            case_id=case.pk,
            reason="Stopped offending",
            on=today - dt.timedelta(days=closed_days_ago),
        )
    return NavigatorCase.objects.get(pk=case.pk)


def test_closed_cases_past_the_setting_are_deleted_with_an_audit_row(world: World) -> None:
    old = _closed_case(world, closed_days_ago=800, name="Old")  # over 24 months (the default)
    recent = _closed_case(world, closed_days_ago=100, name="Recent")
    still_open = _closed_case(world, closed_days_ago=None, name="Open")
    assert [c.pk for c in services.retention_due(organisation_id=world.orgs["navigators"].pk)] == [old.pk]
    assert services.retention_run() == 1
    assert set(NavigatorCase.objects.values_list("pk", flat=True)) == {recent.pk, still_open.pk}
    assert not CaseNeed.objects.filter(case_id=old.pk).exists()
    row = AuditEvent.objects.get(object_type="navigator_case", object_id=str(old.pk), action="delete")
    assert row.actor_id is None
    assert "Retention" in row.summary
    assert "Old" not in row.summary  # no personal data in the audit row

    services.retention_set(
        viewer=world.viewer("navigator"), organisation_id=world.orgs["navigators"].pk, months=3
    )
    assert apply_case_retention.call() == 1  # the scheduled task runs the same service
    assert set(NavigatorCase.objects.values_list("pk", flat=True)) == {still_open.pk}
    assert services.retention_run() == 0  # idempotent


def test_the_retention_job_is_scheduled_daily() -> None:
    job = next(j for j in JOBS if j.name == "navigator.apply_retention")
    assert job.load_task() is apply_case_retention
    assert job.at is not None


def test_the_setting_is_validated_and_only_the_navigator_organisation_sets_it(world: World) -> None:
    org = world.orgs["navigators"].pk
    with pytest.raises(ValidationFailed) as info:
        services.retention_set(viewer=world.viewer("navigator"), organisation_id=org, months=0)
    assert info.value.errors[0].field == "months"
    for name in ("partnership_manager", "manager", "pcc"):
        with pytest.raises(Http404):
            services.retention_set(viewer=world.viewer(name), organisation_id=org, months=6)
    assert selectors.settings_for(org).delete_closed_after_months == 24


def test_the_navigator_sees_and_changes_retention_on_a_page(world: World) -> None:
    client = Client()
    client.force_login(world.users["navigator"])
    caseload = client.get("/navigator/").content.decode()
    assert "/navigator/retention/" in caseload
    page = client.get("/navigator/retention/").content.decode()
    assert "24 months after it was closed" in page
    bad = client.post("/navigator/retention/", {"months": "500"})
    assert bad.status_code == 200
    assert 'id="id_months_error"' in bad.content.decode()
    assert client.post("/navigator/retention/", {"months": "12"}).status_code == 302
    assert selectors.settings_for(world.orgs["navigators"].pk).delete_closed_after_months == 12
    assert AuditEvent.objects.filter(object_type="navigator_settings").exists()
    other = Client()
    other.force_login(world.users["manager"])
    assert other.get("/navigator/retention/").status_code == 404
