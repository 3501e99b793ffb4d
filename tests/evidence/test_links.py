"""One file, several incidents: linking by hand and by the same bytes, who sees a linked file, retention
keeping the longest period, case files exporting each file once and skipping what retention deleted."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from django.core.cache import cache
from django.http import Http404
from django.test import Client
from django.utils import timezone

from shopwatch.core.errors import NotEntitled, ValidationFailed
from shopwatch.evidence import linking
from shopwatch.evidence.models import CustodyAction, EvidenceFile, EvidenceLink
from shopwatch.evidence.retention import retention_apply, retention_policy_set, retention_preview
from shopwatch.evidence.selectors import evidence_for_incident, evidence_get
from shopwatch.evidence.services import evidence_add
from shopwatch.evidence.verify import evidence_verify
from shopwatch.reporting.models import Incident
from tests.core.support import sign_in_verified
from tests.evidence.images import jpeg_bytes
from tests.evidence.test_evidence_api import api
from tests.world import World


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _incident(world: World, user: str, store: str, days_ago: float = 0.1, **kw: object) -> Incident:
    return world.report(
        user, store, report_to_police=True, occurred_at=timezone.now() - dt.timedelta(days=days_ago), **kw
    )


def _photo(
    world: World, incident: Incident, user: str = "reporter", color: tuple[int, int, int] = (5, 6, 7)
) -> EvidenceFile:
    return evidence_add(
        viewer=world.viewer(user),
        incident=incident,
        fileobj=io.BytesIO(jpeg_bytes(color)),
        filename="cctv-still.jpg",
    )


def test_police_link_a_file_to_another_incident_which_widens_nothing(world: World) -> None:
    """Police are not the file's owner: their link lists the file on the other incident for those who could
    already see it (police of the force), and discloses it to no one else (docs/decisions/0002)."""
    a = _incident(world, "reporter", "nw-brighton", distribution="organisation")
    b = _incident(world, "same_partnership_reporter", "corner-brighton", distribution="organisation")
    evidence = _photo(world, a)
    corner = world.viewer("same_partnership_reporter")
    # Before: corner's reporter cannot see the file (another retailer's incident, kept to its organisation).
    with pytest.raises(Http404):
        evidence_get(viewer=corner, evidence_id=evidence.pk)
    assert evidence_for_incident(viewer=corner, incident=b) == []

    link = linking.evidence_link(
        viewer=world.viewer("police_sussex"),
        evidence_id=evidence.pk,
        incident=b.reference.lower(),
        reason="The same CCTV export shows both thefts.",
    )
    assert (link.incident_id, link.via, link.linked_by_id) == (
        b.pk,
        "by_hand",
        world.users["police_sussex"].pk,
    )
    assert evidence_for_incident(viewer=corner, incident=b) == []
    with pytest.raises(Http404):
        evidence_get(viewer=corner, evidence_id=evidence.pk)
    police = world.viewer("police_sussex")
    assert [e.pk for e in evidence_for_incident(viewer=police, incident=b)] == [evidence.pk]
    # Stored once: still one record, one original.
    assert EvidenceFile.objects.count() == 1
    actions = list(evidence.custody.order_by("seq").values_list("action", "detail"))
    assert actions[1] == (
        CustodyAction.LINKED,
        {
            "incident": b.pk,
            "reference": b.reference,
            "via": "by_hand",
            "reason": "The same CCTV export shows both thefts.",
        },
    )
    assert evidence_verify().problems == []


def test_linking_is_refused_clearly(world: World) -> None:
    a = _incident(world, "reporter", "nw-brighton")
    b = _incident(world, "reporter", "nw-brighton")
    oxford = _incident(world, "unconnected_reporter", "oxshop-oxford")
    hove = _incident(world, "other_store_reporter", "nw-hove")
    evidence = _photo(world, a)
    police = world.viewer("police_sussex")

    def refused(viewer_name: str, incident: str, reason: str = "Same CCTV") -> dict[str, str]:
        with pytest.raises((ValidationFailed, NotEntitled)) as exc:
            linking.evidence_link(
                viewer=world.viewer(viewer_name), evidence_id=evidence.pk, incident=incident, reason=reason
            )
        return {e.field: e.message for e in exc.value.errors}

    assert "reason" in refused("police_sussex", b.reference, reason="  ")
    assert "already on" in refused("police_sussex", a.reference)["incident"]
    assert "No incident 'SW-NONE-0000'" in refused("police_sussex", "SW-NONE-0000")["incident"]
    assert "Give the reference" in refused("police_sussex", "")["incident"]
    # Thames Valley's incident is not Sussex police's to see.
    assert "No incident" in refused("police_sussex", oxford.reference)["incident"]
    # The store's manager sees the Hove incident (same retailer) but does not report for that store.
    assert "Only police of the force" in refused("manager", hove.reference)["incident"]
    # Someone who cannot see the file gets the same "not found" as for a file that does not exist.
    with pytest.raises(Http404):
        linking.evidence_link(
            viewer=world.viewer("unconnected_reporter"),
            evidence_id=evidence.pk,
            incident=oxford.reference,
            reason="x",
        )
    linking.evidence_link(viewer=police, evidence_id=evidence.pk, incident=b.reference, reason="Same CCTV")
    assert "already on" in refused("police_sussex", b.reference)["incident"]
    assert EvidenceLink.objects.count() == 1


def test_unlinking_takes_the_file_off_with_a_reason_and_the_chain_records_it(world: World) -> None:
    a = _incident(world, "reporter", "nw-brighton", distribution="organisation")
    b = _incident(world, "same_partnership_reporter", "corner-brighton", distribution="organisation")
    evidence = _photo(world, a)
    police = world.viewer("police_sussex")
    linking.evidence_link(viewer=police, evidence_id=evidence.pk, incident=b.reference, reason="Same CCTV")
    with pytest.raises(ValidationFailed):
        linking.evidence_unlink(viewer=police, evidence_id=evidence.pk, incident_id=b.pk, reason="")
    linking.evidence_unlink(viewer=police, evidence_id=evidence.pk, incident_id=b.pk, reason="Wrong day")
    assert not EvidenceLink.objects.exists()
    assert evidence_for_incident(viewer=world.viewer("same_partnership_reporter"), incident=b) == []
    assert list(evidence.custody.order_by("seq").values_list("action", flat=True)) == [
        CustodyAction.RECEIVED,
        CustodyAction.LINKED,
        CustodyAction.UNLINKED,
    ]
    assert evidence_verify().problems == []


def test_the_api_lists_a_linked_file_on_both_incidents_and_links_and_unlinks(world: World) -> None:
    a = _incident(world, "reporter", "nw-brighton")
    b = _incident(world, "reporter", "nw-brighton")
    evidence = _photo(world, a)
    call = api(world, "police_sussex")
    bad = call("post", f"/api/v1/evidence/{evidence.pk}/links", {"incident": b.reference})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"reason"}
    made = call(
        "post", f"/api/v1/evidence/{evidence.pk}/links", {"incident": b.reference, "reason": "Same CCTV"}
    )
    assert made.status_code == 201, made.content
    assert made.json()["reference"] == b.reference
    assert made.json()["via"] == "by_hand"
    reporter = api(world, "reporter")
    for incident in (a, b):
        listed = reporter("get", f"/api/v1/incidents/{incident.pk}/evidence").json()["items"]
        assert [i["id"] for i in listed] == [evidence.pk]
    assert call("delete", f"/api/v1/evidence/{evidence.pk}/links/{b.pk}").status_code == 422
    gone = call("delete", f"/api/v1/evidence/{evidence.pk}/links/{b.pk}?reason=Wrong+incident")
    assert gone.status_code == 204
    assert reporter("get", f"/api/v1/incidents/{b.pk}/evidence").json()["items"] == []
    assert call("delete", f"/api/v1/evidence/{evidence.pk}/links/{b.pk}?reason=again").status_code == 404


def test_the_evidence_page_lists_its_incidents_and_links_with_inline_errors(world: World) -> None:
    a = _incident(world, "reporter", "nw-brighton")
    b = _incident(world, "reporter", "nw-brighton")
    evidence = _photo(world, a)
    client = Client()
    client.force_login(world.users["reporter"])
    page = client.get(f"/evidence/{evidence.pk}/").content.decode()
    assert "Incidents this file belongs to" in page
    assert a.reference in page
    bad = client.post(f"/evidence/{evidence.pk}/links", {"incident": "SW-NOPE-0000", "reason": "Same CCTV"})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "There is a problem" in body
    assert "No incident &#x27;SW-NOPE-0000&#x27; that you can see." in body
    ok = client.post(f"/evidence/{evidence.pk}/links", {"incident": b.reference, "reason": "Same CCTV"})
    assert ok.status_code == 302
    page = client.get(f"/evidence/{evidence.pk}/").content.decode()
    assert b.reference in page
    assert "Take off " + b.reference in page
    missing_reason = client.post(f"/evidence/{evidence.pk}/links/{b.pk}/remove", {"reason": ""})
    assert missing_reason.status_code == 400
    assert "Say why the file does not belong" in missing_reason.content.decode()
    assert (
        client.post(f"/evidence/{evidence.pk}/links/{b.pk}/remove", {"reason": "Mistake"}).status_code == 302
    )
    assert not EvidenceLink.objects.exists()


def test_police_officer_links_on_the_page(world: World) -> None:
    a = _incident(world, "reporter", "nw-brighton")
    b = _incident(world, "reporter", "nw-brighton")
    evidence = _photo(world, a)
    client = Client()
    sign_in_verified(client, world.users["police_sussex"])
    ok = client.post(f"/evidence/{evidence.pk}/links", {"incident": b.reference, "reason": "Same CCTV"})
    assert ok.status_code == 302
    assert EvidenceLink.objects.filter(evidence=evidence, incident=b).exists()


# --- Retention: the longest period among the file's incidents ----------------------------------------------


def _set(world: World, category: str, days: int) -> None:
    retention_policy_set(
        viewer=world.viewer("partnership_manager"), partnership="brighton-bcrp", category=category, days=days
    )


def _age(evidence: EvidenceFile, days: int) -> None:
    when = timezone.now() - dt.timedelta(days=days)
    EvidenceFile.objects.filter(pk=evidence.pk).update(created_at=when)
    Incident.objects.filter(
        pk__in=[evidence.incident_id, *evidence.links.values_list("incident_id", flat=True)]
    ).update(occurred_at=when)


def test_a_linked_file_is_kept_for_the_longest_period_of_its_incidents(world: World) -> None:
    from shopwatch.policing.models import CrimeRecord

    _set(world, "no_crime", 30)
    _set(world, "crime_recorded", 365)
    a = _incident(world, "reporter", "nw-brighton")
    b = _incident(world, "reporter", "nw-brighton")
    evidence = _photo(world, a)
    linking.evidence_link(
        viewer=world.viewer("police_sussex"),
        evidence_id=evidence.pk,
        incident=b.reference,
        reason="Same CCTV",
    )
    CrimeRecord.objects.create(
        incident=b, force=world.orgs["sussex"], crime_reference="47/1/26", status="closed", outcome="18"
    )
    _age(evidence, 100)
    manager = world.viewer("partnership_manager")
    # Alone, incident A (no crime, 30 days) would have let the file go at 30 days; B keeps it for 365.
    assert retention_preview(viewer=manager, partnership="brighton-bcrp") == []
    later = timezone.now() + dt.timedelta(days=300)
    [decision] = retention_preview(viewer=manager, partnership="brighton-bcrp", at=later)
    assert decision.evidence.pk == evidence.pk
    assert (decision.category, decision.days) == ("crime_recorded", 365)
    assert b.reference in decision.reason
    assert "longest of 2 incidents" in decision.reason


def test_a_linked_file_is_kept_while_police_have_any_of_its_cases_open(world: World) -> None:
    from shopwatch.policing.models import CrimeRecord

    _set(world, "no_crime", 30)
    _set(world, "crime_recorded", 30)
    a = _incident(world, "reporter", "nw-brighton")
    b = _incident(world, "same_partnership_reporter", "corner-brighton")
    evidence = _photo(world, a)
    linking.evidence_link(
        viewer=world.viewer("police_sussex"),
        evidence_id=evidence.pk,
        incident=b.reference,
        reason="Same CCTV",
    )
    record = CrimeRecord.objects.create(
        incident=b, force=world.orgs["sussex"], crime_reference="47/2/26", status="under_investigation"
    )
    _age(evidence, 200)
    manager = world.viewer("partnership_manager")
    assert retention_preview(viewer=manager, partnership="brighton-bcrp") == []
    CrimeRecord.objects.filter(pk=record.pk).update(
        status="closed", outcome="18", outcome_at=timezone.now() - dt.timedelta(days=40)
    )
    deleted = retention_apply(viewer=manager, partnership="brighton-bcrp")
    assert [d.evidence.pk for d in deleted] == [evidence.pk]
    evidence.refresh_from_db()
    assert evidence.deleted_at is not None


# --- Case files: each file once, deleted files named not exported, custody records the export ------------


def test_a_case_file_exports_a_linked_file_once_skips_deleted_files_and_records_the_export(
    world: World,
) -> None:
    from shopwatch.policing.services import casefiles
    from shopwatch.policing.services.linking import series_create

    officer = world.viewer("police_sussex")
    a = _incident(world, "reporter", "nw-brighton", days_ago=3)
    b = _incident(world, "reporter", "nw-brighton", days_ago=2)
    shared = _photo(world, a, color=(200, 10, 10))
    gone = _photo(world, b, color=(10, 200, 10))
    linking.evidence_link(viewer=officer, evidence_id=shared.pk, incident=b.reference, reason="Same CCTV")
    EvidenceFile.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    series = series_create(
        viewer=officer, name="Chiller thefts", basis="person", incidents=[a, b], reason="Same man on CCTV"
    )
    case = casefiles.casefile_create(viewer=officer, kind="series", title="Chiller thefts", series=series)
    data = casefiles.casefile_export(viewer=officer, case_file=case)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    exhibits = [f for f in manifest["files"] if f["path"].startswith("exhibits/")]
    assert [(e["sha256"], e["incident"]) for e in exhibits] == [(shared.sha256, a.reference)]
    assert manifest["deleted_under_retention"][0]["sha256"] == gone.sha256
    exported = shared.custody.filter(action=CustodyAction.EXPORTED).get()
    assert exported.detail["case_file"] == case.pk
    assert exported.detail["exhibit"].endswith("/1")
    assert not gone.custody.filter(action=CustodyAction.EXPORTED).exists()
    assert evidence_verify().problems == []


def test_police_see_a_linked_file_on_the_queue_the_incident_page_and_the_hand_off(world: World) -> None:
    from shopwatch.policing.payload import build_payload
    from shopwatch.policing.selectors.queue import queue_page

    officer = world.viewer("police_sussex")
    a = _incident(world, "reporter", "nw-brighton")
    b = _incident(world, "reporter", "nw-brighton")
    shared = _photo(world, a, color=(1, 99, 1))
    gone = _photo(world, b, color=(99, 1, 1))
    linking.evidence_link(viewer=officer, evidence_id=shared.pk, incident=b.reference, reason="Same CCTV")
    EvidenceFile.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())

    rows, _ = queue_page(viewer=officer, after=None, limit=50)
    counts = {r.incident.pk: r.evidence_count for r in rows}
    assert counts[a.pk] == 1
    assert counts[b.pk] == 1  # the linked file counts; the deleted one does not
    assert [f["sha256"] for f in build_payload(b)["evidence"]] == [shared.sha256]
    client = Client()
    sign_in_verified(client, world.users["police_sussex"])
    page = client.get(f"/police/incidents/{b.pk}/").content.decode()
    assert f"/evidence/{shared.pk}/" in page
    assert f"/evidence/{gone.pk}/" not in page
