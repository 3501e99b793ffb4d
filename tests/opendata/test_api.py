"""GET /api/v1/insights/police-uk: the imported counts, exactly as the files hold them, for entitled users."""

from __future__ import annotations

from collections.abc import Callable

from shopwatch.core.models import Membership, Organisation, OrganisationKind, Role, User
from tests.opendata.conftest import (
    DATA,
    NO_OUTCOME,
    ApiUser,
    expected_counts,
    read_rows,
    run_import,
    street_file,
)
from tests.world import PASSWORD, World

URL = "/api/v1/insights/police-uk"
PROBLEM = "application/problem+json"


def test_counts_equal_the_files_for_full_and_shoplifting_only_forces(
    world: World, api: Callable[[str], ApiUser]
) -> None:
    files = {
        ("sussex", "2024-01"): street_file("2024-01", "sussex"),
        ("thames-valley", "2024-03"): street_file("2024-03", "thames-valley"),
        ("kent", "2024-02"): street_file("2024-02", "kent", shoplifting_only=True),
    }
    result = run_import(*files.values())
    assert not result.failed, result.output
    police = api("police_sussex")
    for (force, month), path in files.items():
        crime_types, outcomes = expected_counts(path)
        response = police.get(URL, force=force, month=month)
        assert response.status_code == 200, response.content
        assert response.json() == {
            "force": force,
            "month": month,
            "crime_types": crime_types,
            "outcomes": outcomes,
        }
    # A shoplifting-only extract holds Shoplifting alone; a full file every type, ASB without an outcome.
    kent = police.get(URL, force="kent", month="2024-02").json()
    assert list(kent["crime_types"]) == ["Shoplifting"]
    sussex = police.get(URL, force="sussex", month="2024-01").json()
    asb = sussex["crime_types"]["Anti-social behaviour"]
    assert sussex["outcomes"][NO_OUTCOME] >= asb > 0
    assert sum(sussex["crime_types"].values()) == len(read_rows(files[("sussex", "2024-01")]))


def test_outcomes_are_the_street_files_last_outcome_not_the_outcomes_file(
    world: World, api: Callable[[str], ApiUser]
) -> None:
    folder = DATA / "outcomes" / "2022-01"
    assert not run_import(folder).failed
    crime_types, outcomes = expected_counts(folder / "2022-01-thames-valley-street.csv")
    body = api("analyst_sussex").get(URL, force="thames-valley", month="2022-01").json()
    assert body["crime_types"] == crime_types
    assert body["outcomes"] == outcomes
    assert "Suspect charged" not in body["outcomes"]  # only the outcomes file records charges


def _national_analyst(world: World) -> str:
    unit = Organisation.objects.create(kind=OrganisationKind.NATIONAL_UNIT, slug="opal", name="Opal")
    user = User.objects.create_user("opal_analyst@example.org", PASSWORD, full_name="Opal Analyst")
    Membership.objects.create(user=user, organisation=unit, role=Role.ANALYST)
    world.users["opal_analyst"] = user
    return "opal_analyst"


def test_police_pcc_and_analysts_read_any_force_others_are_refused(
    world: World, api: Callable[[str], ApiUser]
) -> None:
    assert not run_import(street_file("2024-01", "city-of-london", shoplifting_only=True)).failed
    expected, _ = expected_counts(street_file("2024-01", "city-of-london", shoplifting_only=True))
    allowed = [
        "police_sussex",
        "police_tv",
        "supervisor_sussex",
        "analyst_sussex",
        "pcc",
        "admin",
        _national_analyst(world),
    ]
    for name in allowed:
        response = api(name).get(URL, force="city-of-london", month="2024-01")
        assert response.status_code == 200, (name, response.content)
        assert response.json()["crime_types"] == expected
    for name in ["reporter", "manager", "security", "partnership_manager", "navigator"]:
        response = api(name).get(URL, force="city-of-london", month="2024-01")
        assert response.status_code == 403, name
        assert response["Content-Type"] == PROBLEM
        assert response.json()["status"] == 403


def test_unauthenticated_request_is_refused(world: World) -> None:
    from django.test import Client

    response = Client().get(URL, {"force": "sussex", "month": "2024-01"})
    assert response.status_code == 401


def test_bad_force_or_month_is_422_naming_the_field_and_missing_data_is_404(
    world: World, api: Callable[[str], ApiUser]
) -> None:
    assert not run_import(street_file("2024-01", "city-of-london", shoplifting_only=True)).failed
    police = api("police_sussex")

    response = police.get(URL, force="gotham", month="2024-01")
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == ["force"]

    for month in ["2024-13", "2024-1", "January", "2024-01-01", "0000-01"]:
        response = police.get(URL, force="sussex", month=month)
        assert response.status_code == 422, month
        assert [e["field"] for e in response.json()["errors"]] == ["month"]

    response = police.get(URL, force="Sussex Police", month="24-01")
    assert sorted(e["field"] for e in response.json()["errors"]) == ["force", "month"]

    response = police.get(URL, force="sussex")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["month"]

    # A valid force and month that were never imported.
    response = police.get(URL, force="city-of-london", month="2023-12")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    response = police.get(URL, force="metropolitan", month="2024-01")
    assert response.status_code == 404


def test_the_answer_reads_the_rollup_never_the_rows(world: World, api: Callable[[str], ApiUser]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert not run_import(street_file("2024-01", "sussex")).failed
    police = api("pcc")
    police.get(URL, force="sussex", month="2024-01")  # warm the key's first-use bookkeeping
    with CaptureQueriesContext(connection) as queries:
        response = police.get(URL, force="sussex", month="2024-01")
    assert response.status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert any("opendata_crimecount" in s for s in sql)
    assert not any("opendata_streetcrime" in s for s in sql)
    assert len(sql) <= 10, sql
