"""Partnership intelligence: galleries and their sharing, duplicates, exclusions and breaches, 3x5x2 grading
and source protection, retention with a controlled clock, and subject access."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.test import Client
from django.utils import timezone
from PIL import Image

from shopwatch.core.errors import Conflict, NotEntitled, ValidationFailed
from shopwatch.core.models import AuditEvent
from shopwatch.intelligence import selectors
from shopwatch.intelligence.models import (
    Breach,
    ExclusionStatus,
    GalleryEntry,
    GalleryStatus,
    IntelStatus,
    NetworkSharing,
)
from shopwatch.intelligence.services.exclusions import (
    Service,
    appeal_decide,
    appeal_lodge,
    exclusion_issue,
    exclusion_review_date,
    warning_issue,
)
from shopwatch.intelligence.services.galleries import gallery_add_person, person_merge
from shopwatch.intelligence.services.graded import intelligence_grade, intelligence_submit
from shopwatch.intelligence.services.retention import retention_plan, retention_run, settings_update
from shopwatch.reporting.services import OffenderInput
from shopwatch.subjects.models import Person, PersonTombstone
from shopwatch.subjects.services import person_photo_add
from tests.world import World


def _jpeg() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (60, 80), (120, 90, 60)).save(buf, "JPEG")
    buf.seek(0)
    buf.name = "face.jpg"
    return buf


def _list(world: World, name: str = "Kyle", family: str = "Marsh", **kw: Any) -> GalleryEntry:
    return gallery_add_person(
        viewer=world.viewer("partnership_manager"),
        partnership=world.orgs["brighton-bcrp"],
        given_name=name,
        family_name=family,
        date_of_birth=dt.date(1990, 5, 1),
        description="Tall, grey hoodie",
        reason="Repeated thefts of meat",
        **kw,
    )


def _titles(world: World, user: str, partnership: str) -> list[str]:
    cards, _ = selectors.gallery_cards(viewer=world.viewer(user), partnership=world.orgs[partnership])
    return [c.title for c in cards]


@pytest.mark.django_db
def test_gallery_visibility_across_partnerships_and_network_choice(world: World) -> None:
    _list(world)
    assert _titles(world, "reporter", "brighton-bcrp") == ["Kyle Marsh"]
    # Connected partnership: images only by default, so no name.
    assert _titles(world, "connected_reporter", "brighton-bcrp") == [
        f"Person {GalleryEntry.objects.get().pk}"
    ]
    assert _titles(world, "unconnected_reporter", "brighton-bcrp") == []
    pm = world.viewer("partnership_manager")
    settings_update(
        viewer=pm,
        partnership=world.orgs["brighton-bcrp"],
        gallery_months=12,
        delete_after_months=24,
        network_sharing=NetworkSharing.DETAILS,
    )
    assert _titles(world, "connected_reporter", "brighton-bcrp") == ["Kyle Marsh"]
    settings_update(
        viewer=pm,
        partnership=world.orgs["brighton-bcrp"],
        gallery_months=12,
        delete_after_months=24,
        network_sharing=NetworkSharing.NONE,
    )
    assert _titles(world, "connected_reporter", "brighton-bcrp") == []
    # Every gallery view is audited with the people shown.
    assert AuditEvent.objects.filter(
        object_type="gallery_entry", action="view", actor=world.users["reporter"]
    ).exists()


@pytest.mark.django_db
def test_duplicates_are_offered_for_merge_never_silently(world: World) -> None:
    first = _list(world)
    with pytest.raises(Conflict) as exc:
        _list(world)
    # The held person is described as a user knows them (name, year of birth, when listed), never by number.
    listed = f"{timezone.localtime(first.listed_at):%-d %b %Y}"
    assert f"already holds Kyle Marsh (born 1990, listed {listed})" in exc.value.errors[0].message
    assert "record" not in exc.value.errors[0].message
    second = _list(world, confirm_new=True)
    second_id = second.person.pk
    inc = world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=second.person.pk)])
    from shopwatch.evidence.people import evidence_person_add
    from shopwatch.evidence.services import evidence_add

    still = evidence_add(viewer=world.viewer("reporter"), incident=inc, fileobj=_jpeg(), filename="s.jpg")
    evidence_person_add(viewer=world.viewer("reporter"), evidence_id=still.pk, person_id=second_id)
    kept = person_merge(
        viewer=world.viewer("partnership_manager"), keep=first.person, remove=second.person, reason="Same man"
    )
    assert not Person.objects.filter(pk=second_id).exists()
    assert kept.incident_links.count() == 1
    # The still now shows the kept record, and its chain says so.
    assert list(kept.evidence_links.values_list("evidence_id", flat=True)) == [still.pk]
    assert still.custody.order_by("-seq").first().detail == {"person": kept.pk, "merged_from": second_id}  # type: ignore[union-attr]
    assert PersonTombstone.objects.filter(person_id=second_id).exists()


@pytest.mark.django_db
def test_gallery_renewed_by_new_incident_and_not_an_image_refused(world: World) -> None:
    entry = _list(world)
    GalleryEntry.objects.filter(pk=entry.pk).update(expires_at=timezone.now() + dt.timedelta(days=3))
    world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=entry.person.pk)])
    entry.refresh_from_db()
    assert entry.expires_at > timezone.now() + dt.timedelta(days=300)
    bad = io.BytesIO(b"%PDF-1.4 not an image")
    with pytest.raises(ValidationFailed):
        person_photo_add(
            viewer=world.viewer("partnership_manager"), person=entry.person, fileobj=bad, filename="x.jpg"
        )
    photo = person_photo_add(
        viewer=world.viewer("partnership_manager"), person=entry.person, fileobj=_jpeg(), filename="face.jpg"
    )
    assert photo.content_type == "image/jpeg"


def _service() -> Service:
    return Service(how="in_person", at=timezone.now() - dt.timedelta(hours=1), by="PCSO Jones")


@pytest.mark.django_db
def test_exclusion_lifecycle_breach_review_appeal(world: World) -> None:
    pm = world.viewer("partnership_manager")
    person = _list(world).person
    incident = world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=person.pk)])
    bcrp = world.orgs["brighton-bcrp"]
    with pytest.raises(ValidationFailed) as bad:
        exclusion_issue(
            viewer=pm,
            partnership=bcrp,
            person_id=person.pk,
            all_premises=False,
            store_ids=[world.stores["oxshop-oxford"].pk],
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() - dt.timedelta(days=1),
            conditions="",
            service=_service(),
            evidence_ids=[incident.pk],
        )
    fields = {e.field for e in bad.value.errors}
    assert {"ends_on", "stores"} <= fields
    notice = exclusion_issue(
        viewer=pm,
        partnership=bcrp,
        person_id=person.pk,
        all_premises=True,
        store_ids=[],
        starts_on=timezone.localdate(),
        ends_on=None,
        conditions="Not to enter any member store",
        service=_service(),
        evidence_ids=[incident.pk],
    )
    assert notice.ends_on == timezone.localdate() + relativedelta(months=12) - dt.timedelta(days=1)
    assert exclusion_review_date(notice) >= timezone.localdate() + relativedelta(months=6)
    with pytest.raises(NotEntitled):
        exclusion_issue(
            viewer=world.viewer("reporter"),
            partnership=bcrp,
            person_id=person.pk,
            all_premises=True,
            store_ids=[],
            starts_on=timezone.localdate(),
            ends_on=None,
            conditions="",
            service=_service(),
            evidence_ids=[incident.pk],
        )
    # Reported at a covered store: a breach, and the partnership's managers are told.
    mail.outbox.clear()
    from django.db import transaction

    with transaction.atomic():
        breach_incident = world.report(
            "same_partnership_reporter", "corner-brighton", offenders=[OffenderInput(person_id=person.pk)]
        )
    assert Breach.objects.filter(exclusion=notice, incident=breach_incident).exists()
    # Not a breach at a store outside the partnership.
    world.report("unconnected_reporter", "oxshop-oxford", offenders=[OffenderInput(description="Tall man")])
    assert Breach.objects.count() == 1
    appeal = appeal_lodge(viewer=pm, notice=notice, grounds="I was not there")
    appeal_decide(viewer=pm, appeal=appeal, decision="overturned", reason="CCTV unclear")
    notice.refresh_from_db()
    assert notice.status == ExclusionStatus.REVOKED


@pytest.mark.django_db
def test_breach_notification_email(world: World, django_capture_on_commit_callbacks: Any) -> None:
    pm = world.viewer("partnership_manager")
    person = _list(world).person
    first = world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=person.pk)])
    exclusion_issue(
        viewer=pm,
        partnership=world.orgs["brighton-bcrp"],
        person_id=person.pk,
        all_premises=True,
        store_ids=[],
        starts_on=timezone.localdate(),
        ends_on=None,
        conditions="",
        service=_service(),
        evidence_ids=[first.pk],
    )
    with django_capture_on_commit_callbacks(execute=True):
        world.report("other_store_reporter", "nw-hove", offenders=[OffenderInput(person_id=person.pk)])
    assert any(
        "Exclusion breach" in m.subject and "partnership_manager@example.org" in m.to for m in mail.outbox
    )


@pytest.mark.django_db
def test_grading_3x5x2_and_source_protection(world: World) -> None:
    person = _list(world).person
    report = intelligence_submit(
        viewer=world.viewer("reporter"),
        partnership=world.orgs["brighton-bcrp"],
        kind="person",
        person_id=person.pk,
        text="He sells stolen meat at the Sunday market on Upper Gardner Street",
        source_details="My cousin Dave Prior who runs the bacon stall",
    )
    with pytest.raises(NotEntitled):
        intelligence_grade(
            viewer=world.viewer("same_partnership_reporter"),
            report=report,
            source_evaluation="2",
            assessment="B",
            handling_code="P",
            sanitised_text="x",
        )
    pm = world.viewer("partnership_manager")
    with pytest.raises(ValidationFailed) as exc:
        intelligence_grade(
            viewer=pm,
            report=report,
            source_evaluation="2",
            assessment="B",
            handling_code="C",
            sanitised_text="Dave Prior says he sells meat",
        )
    fields = {e.field for e in exc.value.errors}
    assert {"handling_conditions", "sanitised_text"} <= fields
    intelligence_grade(
        viewer=pm,
        report=report,
        source_evaluation="2",
        assessment="B",
        handling_code="P",
        sanitised_text="Subject is believed to sell stolen meat at a weekend market.",
    )
    report.refresh_from_db()
    assert report.status == IntelStatus.GRADED
    assert report.grading == "2BP"
    shared = selectors.intelligence_shared(viewer=world.viewer("same_partnership_reporter"))
    assert [s["text"] for s in shared] == ["Subject is believed to sell stolen meat at a weekend market."]
    assert shared[0]["source_details"] is None
    assert selectors.intelligence_view(report, world.viewer("partnership_manager"))["source_details"]
    assert selectors.intelligence_shared(viewer=world.viewer("unconnected_reporter")) == []
    # Handling code C stays with the partnership's managers.
    second = intelligence_submit(
        viewer=world.viewer("reporter"),
        partnership=world.orgs["brighton-bcrp"],
        kind="place",
        place="Car park behind West St",
        text="Group meets here",
    )
    intelligence_grade(
        viewer=pm,
        report=second,
        source_evaluation="1",
        assessment="A",
        handling_code="C",
        handling_conditions="Police only, do not disclose",
        sanitised_text="Meeting point",
    )
    assert [s["report"].pk for s in selectors.intelligence_shared(viewer=world.viewer("reporter"))] == [
        report.pk
    ]
    # Submissions about records the member cannot see are refused.
    hidden = gallery_add_person(
        viewer=world.viewer("unconnected_partnership_manager"),
        partnership=world.orgs["oxford-bcrp"],
        given_name="A",
        family_name="B",
        date_of_birth=None,
        description="",
        reason="r",
    ).person
    with pytest.raises(ValidationFailed):
        intelligence_submit(
            viewer=world.viewer("reporter"),
            partnership=world.orgs["brighton-bcrp"],
            kind="person",
            person_id=hidden.pk,
            text="x",
        )


@pytest.mark.django_db
def test_retention_with_a_controlled_clock(world: World) -> None:
    pm = world.viewer("partnership_manager")
    bcrp = world.orgs["brighton-bcrp"]
    settings_update(
        viewer=pm,
        partnership=bcrp,
        gallery_months=3,
        delete_after_months=6,
        network_sharing=NetworkSharing.IMAGES,
    )
    old = _list(world, "Old", "Case")
    old_id = old.person.pk
    fresh = _list(world, "New", "Case")
    world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=fresh.person.pk)])
    Person.objects.filter(pk=old.person.pk).update(created_at=timezone.now() - relativedelta(months=8))
    GalleryEntry.objects.filter(pk=old.pk).update(
        listed_at=timezone.now() - relativedelta(months=4),
        expires_at=timezone.now() - relativedelta(months=1),
    )
    later = timezone.now() + relativedelta(months=1)
    plan = retention_plan(partnership=bcrp, now=later)
    assert {e.pk for e in plan.entries_to_expire} == {old.pk}  # fresh was renewed by its incident
    assert [p.pk for p in plan.persons_to_delete] == [old_id]
    totals = retention_run(now=later)
    assert totals == {"expired": 1, "deleted": 1}
    assert not Person.objects.filter(pk=old_id).exists()
    tomb = PersonTombstone.objects.get(person_id=old_id)
    assert "Retention" in tomb.reason
    assert GalleryEntry.objects.get(pk=fresh.pk).status == GalleryStatus.ACTIVE


@pytest.mark.django_db
def test_subject_access_archive_is_complete(world: World, client: Client) -> None:
    pm = world.viewer("partnership_manager")
    person = _list(world).person
    person_photo_add(viewer=pm, person=person, fileobj=_jpeg(), filename="face.jpg")
    inc = world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=person.pk)])
    letter = warning_issue(
        viewer=pm,
        partnership=world.orgs["brighton-bcrp"],
        person_id=person.pk,
        reason="Theft",
        incident_ids=[inc.pk],
        service=_service(),
    )
    notice = exclusion_issue(
        viewer=pm,
        partnership=world.orgs["brighton-bcrp"],
        person_id=person.pk,
        all_premises=True,
        store_ids=[],
        starts_on=timezone.localdate(),
        ends_on=None,
        conditions="",
        service=_service(),
        evidence_ids=[inc.pk],
    )
    selectors.gallery_cards(viewer=world.viewer("reporter"), partnership=world.orgs["brighton-bcrp"])
    from shopwatch.evidence.people import evidence_person_add
    from shopwatch.evidence.services import evidence_add

    still = evidence_add(
        viewer=world.viewer("reporter"), incident=inc, fileobj=_jpeg(), filename="till-still.jpg"
    )
    evidence_person_add(viewer=world.viewer("reporter"), evidence_id=still.pk, person_id=person.pk)
    from tests.core.support import sign_in_verified

    sign_in_verified(client, world.users["partnership_manager"])
    response = client.get(f"/intelligence/people/{person.pk}/subject-access.zip")
    assert response.status_code == 200
    z = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(z.namelist())
    assert {
        "person.json",
        "incidents.json",
        "gallery.json",
        "intelligence.json",
        "audit.json",
        "README.txt",
        f"notices/warning-{letter.pk}.pdf",
        f"notices/exclusion-{notice.pk}.pdf",
    } <= names
    assert any(n.startswith("images/") for n in names)
    assert json.loads(z.read("person.json"))["family_name"] == "Marsh"
    assert [i["reference"] for i in json.loads(z.read("incidents.json"))] == [inc.reference]
    [shown] = json.loads(z.read("evidence.json"))
    assert (shown["incident"], shown["sha256"]) == (inc.reference, still.sha256)
    assert hashlib.sha256(z.read(shown["path"])).hexdigest() == still.sha256
    who = {a["who"] for a in json.loads(z.read("audit.json"))}
    assert world.users["reporter"].full_name in who  # the gallery view by the reporter
    # A member who is not the partnership's manager cannot produce it.
    other = Client()
    other.force_login(world.users["reporter"])
    assert other.get(f"/intelligence/people/{person.pk}/subject-access.zip").status_code == 404


@pytest.mark.django_db
def test_gallery_pages_and_pdf_watermark(world: World, client: Client) -> None:
    entry = _list(world)
    person_photo_add(
        viewer=world.viewer("partnership_manager"), person=entry.person, fileobj=_jpeg(), filename="face.jpg"
    )
    client.force_login(world.users["reporter"])
    page = client.get("/intelligence/galleries/brighton-bcrp/")
    assert page.status_code == 200
    assert "Kyle Marsh" in page.content.decode()
    pdf = client.get("/intelligence/galleries/brighton-bcrp/print.pdf")
    assert pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "printed by Reporter" in text
    photo = client.get(f"/intelligence/photos/{entry.person.photos.get().pk}/")
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/jpeg"
    stranger = Client()
    stranger.force_login(world.users["unconnected_reporter"])
    assert stranger.get("/intelligence/galleries/brighton-bcrp/").status_code == 404
    assert stranger.get(f"/intelligence/photos/{entry.person.photos.get().pk}/").status_code == 404
    suggestion = client.post(
        f"/intelligence/gallery-entries/{entry.pk}/",
        {"text": "That is Kyle's brother Dean", "source_details": "Saw them together"},
    )
    assert suggestion.status_code == 302


@pytest.mark.django_db
def test_rectification_is_recorded_with_its_reason(world: World, client: Client) -> None:
    from shopwatch.subjects.models import Rectification
    from tests.core.support import sign_in_verified

    person = _list(world).person
    sign_in_verified(client, world.users["partnership_manager"])
    page = client.get(f"/intelligence/people/{person.pk}/rectify/")
    assert page.status_code == 200
    missing = client.post(f"/intelligence/people/{person.pk}/rectify/", {"family_name": "Marshe"})
    assert "This field is required." in missing.content.decode()
    ok = client.post(
        f"/intelligence/people/{person.pk}/rectify/",
        {
            "given_name": "Kyle",
            "family_name": "Marshe",
            "date_of_birth": "1990-05-01",
            "description": "Tall, grey hoodie",
            "reason": "Surname misspelt on the first report",
        },
    )
    assert ok.status_code == 302
    person.refresh_from_db()
    assert person.family_name == "Marshe"
    change = Rectification.objects.get(person=person)
    assert (change.field, change.old_value, change.new_value) == ("family_name", "Marsh", "Marshe")
    assert change.reason == "Surname misspelt on the first report"
    member = Client()
    member.force_login(world.users["reporter"])
    assert member.get(f"/intelligence/people/{person.pk}/rectify/").status_code == 404


@pytest.mark.django_db
def test_platform_admin_sees_every_gallery_on_the_index_and_a_member_only_theirs(world: World) -> None:
    from tests.core.support import sign_in_verified

    admin, member = Client(), Client()
    sign_in_verified(admin, world.users["admin"])  # the operator signs in with a second factor
    member.force_login(world.users["reporter"])
    slugs = ["brighton-bcrp", "crawley-bcrp", "oxford-bcrp"]

    def listed(client: Client) -> set[str]:
        html = client.get("/intelligence/galleries/").content.decode()
        return {s for s in slugs if f"/intelligence/galleries/{s}/" in html}

    assert listed(admin) == set(slugs)
    assert {p.slug for p in selectors.gallery_partnerships(viewer=world.viewer("admin"))} == set(slugs)
    # A member: their own partnership and the one connected through the county network, never Oxford.
    assert listed(member) == {"brighton-bcrp", "crawley-bcrp"}
    assert member.get("/intelligence/galleries/oxford-bcrp/").status_code == 404
    # Whatever the index lists opens.
    for slug in slugs:
        assert admin.get(f"/intelligence/galleries/{slug}/").status_code == 200
