"""Linking incidents into series, case files (MG5, MG11, MG12, ISB, CBO pack) and victim care."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from shopwatch.core.errors import ServiceError
from shopwatch.evidence.models import EvidenceFile
from shopwatch.evidence.services import evidence_add
from shopwatch.policing.models import CaseFile, LinkSuggestion, Series, SuggestionState, VictimReferral
from shopwatch.policing.services import care, casefiles, linking
from shopwatch.reporting.models import Incident
from shopwatch.reporting.services import OffenderInput, VehicleInput
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create
from tests.evidence.images import jpeg_bytes
from tests.policing.conftest import signed_in
from tests.world import World


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages, whitespace collapsed."""
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def _person(world: World) -> Person:
    return person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        given_name="Danny",
        family_name="Fletcher",
        distribution="connected",
    )


def _report(world: World, days_ago: float, store: str = "nw-brighton", **kw: Any) -> Incident:
    reporter = {
        "nw-brighton": "reporter",
        "corner-brighton": "same_partnership_reporter",
        "kiosk-crawley": "connected_reporter",
        "oxshop-oxford": "unconnected_reporter",
    }[store]
    return world.report(
        reporter, store, report_to_police=True, occurred_at=timezone.now() - dt.timedelta(days=days_ago), **kw
    )


def test_suggestions_from_shared_person_vehicle_and_store_within_window(world: World) -> None:
    person = _person(world)
    base = _report(
        world,
        1,
        offenders=[OffenderInput(person_id=person.pk)],
        vehicles=[VehicleInput(registration="AB12 CDE")],
    )
    same_person = _report(world, 5, store="kiosk-crawley", offenders=[OffenderInput(person_id=person.pk)])
    same_vehicle = _report(
        world, 10, store="corner-brighton", vehicles=[VehicleInput(registration="ab12cde")]
    )
    same_store = _report(world, 3)
    too_old = _report(world, 60, store="kiosk-crawley", offenders=[OffenderInput(person_id=person.pk)])
    other_force = _report(world, 2, store="oxshop-oxford", vehicles=[VehicleInput(registration="AB12CDE")])
    unrelated = _report(world, 2, store="kiosk-crawley")

    viewer = world.viewer("police_sussex")
    got = linking.link_suggest(viewer=viewer, incident=base, window_days=30)
    pairs = {(s.incident_b_id if s.incident_a_id == base.pk else s.incident_a_id, s.basis) for s in got}
    assert pairs == {(same_person.pk, "person"), (same_vehicle.pk, "vehicle"), (same_store.pk, "store")}
    ids = {p[0] for p in pairs}
    assert not ids & {too_old.pk, other_force.pk, unrelated.pk}
    assert got[0].basis == "person"  # strongest first
    wider = linking.link_suggest(viewer=viewer, incident=base, window_days=90)
    assert too_old.pk in {s.incident_a_id for s in wider} | {s.incident_b_id for s in wider}


def test_accepting_builds_a_series_and_rejecting_is_remembered(world: World) -> None:
    person = _person(world)
    a = _report(world, 1, offenders=[OffenderInput(person_id=person.pk)])
    b = _report(world, 2, store="kiosk-crawley", offenders=[OffenderInput(person_id=person.pk)])
    c = _report(world, 3, store="corner-brighton", offenders=[OffenderInput(person_id=person.pk)])
    viewer = world.viewer("police_sussex")
    suggestions = {
        s.incident_b_id if s.incident_a_id == a.pk else s.incident_a_id: s
        for s in linking.link_suggest(viewer=viewer, incident=a)
    }
    linking.suggestion_decide(viewer=viewer, suggestion=suggestions[b.pk], accept=True)
    linking.suggestion_decide(viewer=viewer, suggestion=suggestions[c.pk], accept=False)
    series = Series.objects.get()
    assert series.name == "Person: Danny Fletcher"
    assert series.basis == "person"
    assert set(series.members.values_list("incident_id", flat=True)) == {a.pk, b.pk}
    # Rejected pairs are not suggested again; a decided suggestion cannot be decided twice.
    again = linking.link_suggest(viewer=viewer, incident=a)
    assert c.pk not in {s.incident_a_id for s in again} | {s.incident_b_id for s in again}
    with pytest.raises(ServiceError):
        linking.suggestion_decide(viewer=viewer, suggestion=suggestions[b.pk], accept=False)
    # Thames Valley cannot decide Sussex suggestions.
    pending = LinkSuggestion.objects.filter(state=SuggestionState.PENDING).first()
    if pending:
        with pytest.raises(ServiceError):
            linking.suggestion_decide(viewer=world.viewer("police_tv"), suggestion=pending, accept=True)


def test_links_page_and_decision_through_the_web(world: World) -> None:
    person = _person(world)
    a = _report(world, 1, offenders=[OffenderInput(person_id=person.pk)])
    b = _report(world, 2, offenders=[OffenderInput(person_id=person.pk)])
    web = signed_in(world, "police_sussex")
    page = web.get(f"/police/incidents/{a.pk}/links/")
    assert page.status_code == 200
    assert b.reference in page.content.decode()
    bad = web.get(f"/police/incidents/{a.pk}/links/?days=0")
    assert bad.status_code == 422
    s = LinkSuggestion.objects.filter(basis="person").get()
    assert web.post(f"/police/links/{s.pk}/decide/", {"accept": "1", "incident": a.pk}).status_code == 302
    assert Series.objects.count() == 1
    assert signed_in(world, "police_tv").get(f"/police/incidents/{a.pk}/links/").status_code == 404


def _evidence(world: World, inc: Incident, n: int) -> list[EvidenceFile]:
    return [
        evidence_add(
            viewer=world.viewer("reporter"),
            incident=inc,
            fileobj=io.BytesIO(jpeg_bytes(size=(40 + n * 8 + i, 30))),
            filename=f"cctv-{i}.jpg",
        )
        for i in range(n)
    ]


def test_offender_case_file_exports_pdf_zip_with_matching_exhibit_hashes(world: World) -> None:
    person = _person(world)
    incidents = [_report(world, d, offenders=[OffenderInput(person_id=person.pk)]) for d in (3, 2, 1)]
    files = _evidence(world, incidents[0], 2) + _evidence(world, incidents[2], 1)
    officer = world.viewer("police_sussex")
    case = casefiles.casefile_create(
        viewer=officer,
        kind="offender",
        title="CBO: Danny Fletcher",
        person=person,
        summary="Three thefts in a week — prolific.",
        offending_history="Repeated theft of meat across Brighton.",
        exclusion_zone="Brighton city centre",
    )
    statement = casefiles.statement_create(
        viewer=officer,
        case_file=case,
        incident=incidents[0],
        witness_id=world.users["manager"].pk,
        occupation="Store manager",
        text="I saw the man take four steaks and leave without paying.",
    )
    casefiles.statement_sign(
        viewer=world.viewer("manager"), statement=statement, signed_name="Manager", declaration=True
    )
    casefiles.impact_statement_add(
        viewer=world.viewer("security"),
        case_file=case,
        position="Head of security",
        text="Staff are afraid; we have hired guards.",
    )
    data = casefiles.casefile_export(viewer=officer, case_file=case)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["incidents"] == [i.reference for i in incidents]
        assert manifest["all_exhibits_match"] is True
        exhibits = [f for f in manifest["files"] if f["path"].startswith("exhibits/")]
        assert len(exhibits) == 3
        stored = {f.sha256 for f in files}
        for entry in exhibits:
            body = zf.read(entry["path"])
            assert hashlib.sha256(body).hexdigest() == entry["sha256"] == entry["sha256_on_arrival"]
            assert entry["sha256"] in stored
        pdf = zf.read("case-file.pdf")
        assert pdf.startswith(b"%PDF")
        assert hashlib.sha256(pdf).hexdigest() == manifest["files"][0]["sha256"]
        assert manifest["statements"][0]["signed_at"] is not None
    text = pdf_text(pdf)
    for expected in (
        "MG5 Case summary",
        "MG11 Witness statement",
        "MG12 Exhibit list",
        "Impact Statement for Business",
        "Criminal Behaviour Order pack",
        files[0].sha256[:40],
        "true to the best of my knowledge",
    ):
        assert expected in text, expected


def test_case_file_flags_an_exhibit_whose_bytes_changed(world: World, media_root: Path) -> None:
    inc = _report(world, 1)
    [f] = _evidence(world, inc, 1)
    Path(f.file.path).write_bytes(b"tampered")
    officer = world.viewer("police_sussex")
    case = casefiles.casefile_create(viewer=officer, kind="incident", title="One theft", incident=inc)
    with zipfile.ZipFile(io.BytesIO(casefiles.casefile_export(viewer=officer, case_file=case))) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["all_exhibits_match"] is False
    assert manifest["files"][1]["matches_arrival_hash"] is False


def test_statement_signing_rules(world: World) -> None:
    inc = _report(world, 1)
    officer = world.viewer("police_sussex")
    case = casefiles.casefile_create(viewer=officer, kind="incident", title="One theft", incident=inc)
    with pytest.raises(ServiceError) as exc:
        casefiles.statement_create(
            viewer=officer,
            case_file=case,
            incident=inc,
            witness_id=world.users["unconnected_reporter"].pk,
            text="I saw it",
        )
    assert exc.value.errors[0].field == "witness"
    st = casefiles.statement_create(
        viewer=officer, case_file=case, incident=inc, witness_id=world.users["reporter"].pk, text="I saw it"
    )
    with pytest.raises(ServiceError):
        casefiles.statement_sign(
            viewer=world.viewer("manager"), statement=st, signed_name="Manager", declaration=True
        )
    with pytest.raises(ServiceError) as exc:
        casefiles.statement_sign(
            viewer=world.viewer("reporter"), statement=st, signed_name="Someone Else", declaration=False
        )
    assert {e.field for e in exc.value.errors} == {"signed_name", "declaration"}
    casefiles.statement_sign(
        viewer=world.viewer("reporter"), statement=st, signed_name="reporter", declaration=True
    )
    st.refresh_from_db()
    assert st.signed_text_sha256 == hashlib.sha256(b"I saw it").hexdigest()
    assert "1 page(s)" in st.declaration
    with pytest.raises(ServiceError):
        casefiles.statement_sign(
            viewer=world.viewer("reporter"), statement=st, signed_name="Reporter", declaration=True
        )
    assert signed_in(world, "manager").get(f"/police/statements/{st.pk}/sign/").status_code == 404
    with pytest.raises(ServiceError):
        casefiles.impact_statement_add(
            viewer=world.viewer("unconnected_reporter"), case_file=case, text="x", position="y"
        )


def test_case_file_pages(world: World) -> None:
    inc = _report(world, 1)
    web = signed_in(world, "police_sussex")
    form = web.get("/police/case-files/").content.decode()
    assert "number" not in form.split("Start a case file", 1)[1]  # it asked for an "incident number"
    bad = web.post("/police/case-files/", {"title": "Theft", "kind": "incident", "incident": "SW-0000-0000"})
    assert bad.status_code == 422
    assert "No incident" in bad.content.decode()
    # The reference as printed, or typed in lower case without its dashes, is accepted.
    written = inc.reference.lower().replace("-", "")
    ok = web.post(
        "/police/case-files/", {"title": "Theft at Brighton", "kind": "incident", "incident": written}
    )
    assert ok.status_code == 302
    case = CaseFile.objects.get()
    page = web.post(
        f"/police/case-files/{case.pk}/",
        {"witness": world.users["reporter"].pk, "text": "I saw him take the steaks."},
    )
    assert page.status_code == 302
    export = web.get(f"/police/case-files/{case.pk}/export.zip")
    assert export.status_code == 200
    assert export["Content-Type"] == "application/zip"
    assert signed_in(world, "police_tv").get(f"/police/case-files/{case.pk}/").status_code == 404


def test_victim_referral_needs_consent(world: World) -> None:
    inc = _report(world, 1, type="violence", flags=["staff_injured"])
    officer = world.viewer("police_sussex")
    with pytest.raises(ServiceError) as exc:
        care.victim_referral_create(
            viewer=officer, incident=inc, staff_name="Sam", service="Victim Support", consent=False
        )
    assert exc.value.errors[0].field == "consent"
    care.victim_referral_create(
        viewer=officer,
        incident=inc,
        staff_name="Sam",
        service="Victim Support",
        consent=True,
        contact="07700 900000",
    )
    assert VictimReferral.objects.get().staff_name == "Sam"
    web = signed_in(world, "police_sussex")
    r = web.post(
        f"/police/incidents/{inc.pk}/referral/",
        {"referral-staff_name": "Alex", "referral-service": "Victim Support"},
    )
    assert r.status_code == 422
    assert "A referral needs their agreement." in r.content.decode()


def test_retailer_manager_gives_impact_statement_when_asked(world: World) -> None:
    inc = _report(world, 1)
    officer = world.viewer("police_sussex")
    case = casefiles.casefile_create(viewer=officer, kind="incident", title="Theft at Brighton", incident=inc)
    web = signed_in(world, "police_sussex")
    assert web.post(f"/police/case-files/{case.pk}/impact/request/").status_code == 302
    from shopwatch.policing.models import ImpactStatement, Notification

    asked = Notification.objects.get(user=world.users["manager"], subject__contains="Impact Statement")
    assert f"/police/case-files/{case.pk}/impact/" in asked.body
    manager = signed_in(world, "manager")
    bad = manager.post(f"/police/case-files/{case.pk}/impact/", {"position": "", "text": ""})
    assert bad.status_code == 422
    assert "Enter your position." in bad.content.decode()
    ok = manager.post(
        f"/police/case-files/{case.pk}/impact/",
        {"position": "Store manager", "text": "Two staff have left since the thefts began."},
    )
    assert ok.status_code == 302
    assert ImpactStatement.objects.get().author == world.users["manager"]
    # A reporter (not a manager) and another retailer's staff get the same 404 as a missing case.
    assert signed_in(world, "reporter").get(f"/police/case-files/{case.pk}/impact/").status_code == 404
    assert (
        signed_in(world, "unconnected_reporter").get(f"/police/case-files/{case.pk}/impact/").status_code
        == 404
    )


def test_an_offender_case_file_needs_an_offender_the_force_knows(world: World) -> None:
    person = _person(world)
    _report(world, 1, offenders=[OffenderInput(person_id=person.pk)])  # a Sussex incident
    with pytest.raises(ServiceError) as exc:
        casefiles.casefile_create(
            viewer=world.viewer("police_tv"), kind="offender", title="CBO", person=person
        )
    assert {e.field for e in exc.value.errors} == {"person"}
    made = casefiles.casefile_create(
        viewer=world.viewer("police_sussex"), kind="offender", title="CBO", person=person
    )
    assert made.person_id == person.pk
