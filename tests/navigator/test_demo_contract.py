"""The pinned contract on the demo data: navigator cases, marking kits and look-up, assessment templates,
through real API keys of the demo accounts, including the roles that must see nothing."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import Client

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.entitlements import viewer_for
from shopwatch.core.models import AuditEvent, User
from shopwatch.marking.models import MarkingKit


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        call_command("seed", incidents=800, seed=3, stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def _get(local: str, path: str, **params: str) -> Any:
    user = User.objects.get(email=f"{local}@demo.shopwatch.test")
    key = apikey_create(viewer=viewer_for(user), user=user, name="contract check")
    return Client().get(path, params, headers={"Authorization": f"Bearer {key.secret}"})


def test_the_demo_navigator_sees_their_cases_and_stores_and_police_see_none(seeded: None, db: None) -> None:
    r = _get("navigator", "/api/v1/navigator/cases")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"items", "next"}
    assert len(body["items"]) >= 2
    assert {c["consent"] for c in body["items"]} >= {"given", "pending"}
    for local in ("reporter", "manager", "investigator", "security", "partnership", "pcc", "analyst"):
        r = _get(local, "/api/v1/navigator/cases")
        assert r.status_code == 200, local
        assert r.json() == {"items": [], "next": None}, local


def test_a_case_shows_casework_only_after_consent(seeded: None, db: None) -> None:
    items = _get("navigator", "/api/v1/navigator/cases").json()["items"]
    given = next(c for c in items if c["consent"] == "given" and c["status"] == "active")
    pending = next(c for c in items if c["consent"] == "pending")
    full = _get("navigator", f"/api/v1/navigator/cases/{given['id']}").json()
    assert full["needs"]
    assert full["contacts"]
    assert full["onward_referrals"]
    assert full["goals"]
    assert [o["months"] for o in full["offending"]] == [6, 12]
    bare = _get("navigator", f"/api/v1/navigator/cases/{pending['id']}").json()
    assert bare["needs"] == bare["contacts"] == bare["onward_referrals"] == bare["goals"] == []
    assert bare["offending"] == []
    # Police get the same 404 as for a case that does not exist.
    assert _get("investigator", f"/api/v1/navigator/cases/{given['id']}").status_code == 404


def test_kits_are_listed_to_their_store_and_force_and_looked_up_by_police(seeded: None, db: None) -> None:
    reporter_kits = _get("reporter", "/api/v1/marking/kits").json()["items"]
    assert reporter_kits
    assert all({"id", "code"} <= set(k) for k in reporter_kits)
    own_store = {k["store"] for k in reporter_kits}
    assert len(own_store) == 1
    police_kits = _get("investigator", "/api/v1/marking/kits").json()["items"]
    assert {k["id"] for k in reporter_kits} < {k["id"] for k in police_kits}

    used = MarkingKit.objects.filter(deployments__isnull=False, store__force__slug="sussex").first()
    assert used is not None
    r = _get("investigator", "/api/v1/marking/lookup", code=used.code.lower())
    assert r.status_code == 200
    found = r.json()
    assert found["belongs_to"] == "kit"
    assert found["kit"]["id"] == used.pk
    assert found["holder"] == used.owner_org.name
    assert found["deployments"] or found["other_deployments"]
    assert AuditEvent.objects.filter(
        object_type="marking_kit", object_id=str(used.pk), action="view"
    ).exists()
    # A code inside a kit's range finds the kit.
    ranged = MarkingKit.objects.filter(code_to__gt=F("code_from")).filter(store__force__slug="sussex").first()
    assert ranged is not None
    assert ranged.code_from is not None
    inside = f"{ranged.code_prefix}{ranged.code_from + 7:06d}"
    assert _get("investigator", "/api/v1/marking/lookup", code=inside).json()["kit"]["id"] == ranged.pk
    # Unknown codes, and codes a store does not hold, answer 404.
    assert _get("investigator", "/api/v1/marking/lookup", code="SW-999999").status_code == 404
    others = MarkingKit.objects.exclude(store_id__in=own_store).first()
    assert others is not None
    assert _get("reporter", "/api/v1/marking/lookup", code=others.code).status_code == 404
    mine = MarkingKit.objects.filter(store_id__in=own_store).first()
    assert mine is not None
    assert _get("reporter", "/api/v1/marking/lookup", code=mine.code).status_code == 200
    assert _get("navigator", "/api/v1/marking/lookup", code=mine.code).status_code == 404
    assert _get("pcc", "/api/v1/marking/kits").json()["items"] == []


def test_assessment_templates_are_question_sets(seeded: None, db: None) -> None:
    r = _get("reporter", "/api/v1/assessments/templates")
    assert r.status_code == 200
    items = r.json()["items"]
    by_slug = {t["slug"]: t for t in items}
    assert set(by_slug) == {"cyber", "premises"}
    for t in items:
        assert {"id", "title", "questions"} <= set(t)
        assert t["questions"]
    assert [a["key"] for a in by_slug["cyber"]["areas"]] == [
        "backups",
        "malware",
        "devices",
        "passwords",
        "phishing",
    ]
    uptake = _get("pcc", "/api/v1/insights/assessments").json()
    assert {u["slug"] for u in uptake} == {"cyber", "premises"}
    assert all(u["stores"] is None or u["stores"] >= 5 for u in uptake)
    assert _get("reporter", "/api/v1/insights/assessments").status_code == 404


def test_the_pcc_sees_the_before_and_after_chart_and_others_do_not(seeded: None, db: None) -> None:
    pcc = Client()
    pcc.force_login(User.objects.get(email="pcc@demo.shopwatch.test"))
    page = pcc.get("/navigator/outcomes/")
    assert page.status_code == 200
    assert b"<svg" in page.content
    assert b"Before, 6 months" in page.content
    body = _get("pcc", "/api/v1/navigator/outcomes", months="6").json()
    assert set(body) == {"months", "people", "before", "after", "stopped"}
    assert all(v is None or v >= 5 for k, v in body.items() if k != "months")
    reporter = Client()
    reporter.force_login(User.objects.get(email="reporter@demo.shopwatch.test"))
    assert reporter.get("/navigator/outcomes/").status_code == 404


def test_the_demo_shows_retention_programmes_to_enrol_in_and_kits_in_use(seeded: None, db: None) -> None:
    from shopwatch.assessments.models import Programme
    from shopwatch.assessments.selectors import enrollable_stores
    from shopwatch.marking.models import Deployment, MarkedProperty, SignageDisplay
    from shopwatch.navigator.models import NavigatorSettings

    assert NavigatorSettings.objects.filter(organisation__navigator_cases__isnull=False).exists()
    partnership = User.objects.get(email="partnership@demo.shopwatch.test")
    review = Programme.objects.get(title="Shop security review")
    assert review.enrolments.count() == 2
    assert enrollable_stores(viewer=viewer_for(partnership), programme=review)  # stores left to enrol
    assert Deployment.objects.exists()
    assert MarkedProperty.objects.exists()
    assert SignageDisplay.objects.exists()
