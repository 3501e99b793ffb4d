"""The permission matrix for partnership intelligence and live alerts: every person in the test world
against galleries, gallery entries, the printable gallery, warnings and exclusions, graded intelligence and
its source, alerts, subject access and erasure.

The expected answers are written out by hand in the tables below, never computed by the code under test.
Pages are fetched through Django's test client, signed in the way each person signs in (partnership managers,
police and the platform admin with a two-factor code); where no page exists, the services and selectors are
called.

The world (tests/world.py): Brighton BCRP and Crawley BCRP are connected through the Sussex network, Oxford
BCRP is connected to neither. Northway has stores in Brighton BCRP and Oxford BCRP, so its security manager
takes part in both.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from shopwatch.alerts.models import Alert
from shopwatch.alerts.selectors import alert_recipient_ids
from shopwatch.alerts.services import alert_raise
from shopwatch.core.apikeys import apikey_create
from shopwatch.core.errors import NotEntitled, ServiceError, ValidationFailed
from shopwatch.core.models import TWO_FACTOR_ROLES, Store
from shopwatch.intelligence import selectors
from shopwatch.intelligence.models import (
    ExclusionNotice,
    GalleryEntry,
    IntelligenceReport,
    NetworkSharing,
    WarningLetter,
)
from shopwatch.intelligence.services.exclusions import Service, exclusion_issue, warning_issue
from shopwatch.intelligence.services.galleries import gallery_add_person
from shopwatch.intelligence.services.graded import intelligence_grade, intelligence_submit
from shopwatch.intelligence.services.retention import settings_update
from shopwatch.reporting.models import Incident
from shopwatch.reporting.services import OffenderInput
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_photo_add
from tests.core.support import sign_in_verified
from tests.matrix_support import EVERYONE
from tests.world import World

PARTNERSHIPS = ["brighton-bcrp", "crawley-bcrp", "oxford-bcrp"]
BRIGHTON, CRAWLEY, OXFORD = PARTNERSHIPS

# --- Galleries ------------------------------------------------------------------------------------------
# The partnerships each person takes part in (their gallery: names and details), and the ones connected to
# them through the county network (what they see of those depends on the owning partnership's choice).
OWN: dict[str, set[str]] = {
    "reporter": {BRIGHTON},
    "manager": {BRIGHTON},
    "other_store_reporter": {BRIGHTON},
    "security": {BRIGHTON, OXFORD},
    "same_partnership_reporter": {BRIGHTON},
    "connected_reporter": {CRAWLEY},
    "unconnected_reporter": {OXFORD},
    "partnership_manager": {BRIGHTON},
    "connected_partnership_manager": {CRAWLEY},
    "unconnected_partnership_manager": {OXFORD},
}
CONNECTED: dict[str, set[str]] = {
    "reporter": {CRAWLEY},
    "manager": {CRAWLEY},
    "other_store_reporter": {CRAWLEY},
    "security": {CRAWLEY},
    "same_partnership_reporter": {CRAWLEY},
    "connected_reporter": {BRIGHTON},
    "connected_partnership_manager": {BRIGHTON},
    "partnership_manager": {CRAWLEY},
}
# Police, the PCC office and navigators have no gallery. The platform admin (the operator) opens every gallery
# and every entry, with names.
ADMIN = "admin"

# What a connected partnership's member sees of a gallery, by the owner's network-sharing choice.
NAMES, IMAGES, NOTHING, NOT_FOUND = "names", "images only", "nobody listed", "404"
CONNECTED_SEES: dict[str, str] = {
    NetworkSharing.DETAILS: NAMES,
    NetworkSharing.IMAGES: IMAGES,
    NetworkSharing.NONE: NOTHING,
}

LISTED = {  # partnership -> (name, reason) of the person its manager lists
    BRIGHTON: ("Kyle Marsh", "Repeated thefts of steak from the chillers"),
    CRAWLEY: ("Dana Quill", "Threatened staff with a bottle"),
    OXFORD: ("Olly Vance", "Takes razor blades to order"),
}
MANAGER_OF = {
    BRIGHTON: "partnership_manager",
    CRAWLEY: "connected_partnership_manager",
    OXFORD: "unconnected_partnership_manager",
}


def expected_gallery(user: str, partnership: str, sharing: str) -> str:
    if partnership in OWN.get(user, set()):
        return NAMES
    if partnership in CONNECTED.get(user, set()):
        return CONNECTED_SEES[sharing]
    return NOT_FOUND


def client_for(world: World, user: str) -> Client:
    """Signed in as the person would be: with a two-factor code where their role needs one."""
    client = Client()
    account = world.users[user]
    if world.viewer(user).roles & TWO_FACTOR_ROLES:
        sign_in_verified(client, account)
    else:
        client.force_login(account)
    return client


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def _jpeg() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (60, 80), (120, 90, 60)).save(buf, "JPEG")
    buf.seek(0)
    return buf


def _list(world: World, partnership: str, *, photo: bool = True) -> GalleryEntry:
    name, reason = LISTED[partnership]
    given, family = name.split()
    pm = world.viewer(MANAGER_OF[partnership])
    entry = gallery_add_person(
        viewer=pm,
        partnership=world.orgs[partnership],
        given_name=given,
        family_name=family,
        date_of_birth=dt.date(1991, 3, 4),
        description="Grey hoodie, walks with a limp",
        reason=reason,
    )
    if photo:
        person_photo_add(viewer=pm, person=entry.person, fileobj=_jpeg(), filename="face.jpg")
    return entry


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.django_db
@pytest.mark.parametrize("partnership", PARTNERSHIPS)
@pytest.mark.parametrize("user", EVERYONE)
def test_gallery_pages_entries_print_and_photos(world: World, user: str, partnership: str) -> None:
    entry = _list(world, partnership)
    photo_id = entry.person.photos.get().pk
    name, reason = LISTED[partnership]
    client = client_for(world, user)
    problems: list[str] = []
    for sharing in (NetworkSharing.IMAGES, NetworkSharing.DETAILS, NetworkSharing.NONE):
        settings_update(
            viewer=world.viewer(MANAGER_OF[partnership]),
            partnership=world.orgs[partnership],
            gallery_months=12,
            delete_after_months=24,
            network_sharing=sharing,
        )
        expected = expected_gallery(user, partnership, sharing)
        page = client.get(f"/intelligence/galleries/{partnership}/")
        pdf = client.get(f"/intelligence/galleries/{partnership}/print.pdf")
        detail = client.get(f"/intelligence/gallery-entries/{entry.pk}/")
        image = client.get(f"/intelligence/photos/{photo_id}/")
        html = page.content.decode() if page.status_code == 200 else ""
        text = _pdf_text(pdf.content) if pdf.status_code == 200 else ""
        body = detail.content.decode() if detail.status_code == 200 else ""
        seen = {
            "gallery page": page.status_code,
            "printed gallery": pdf.status_code,
            "entry page": detail.status_code,
            "photo": image.status_code,
            "name on gallery": name in html,
            "reason on gallery": reason in html,
            "name printed": name in text,
            "reason printed": reason in text,
            "name on entry": name in body,
            "reason on entry": reason in body,
            "description on entry": "walks with a limp" in body,
        }
        if user == ADMIN:
            want: dict[str, Any] = {
                "gallery page": 200,
                "printed gallery": 200,
                "entry page": 200,
                "photo": 200,
                "name on entry": True,
                "reason on entry": True,
                "description on entry": True,
            }
        elif expected == NOT_FOUND:
            want = {"gallery page": 404, "printed gallery": 404, "entry page": 404, "photo": 404}
        elif expected == NOTHING:
            want = {
                "gallery page": 200,
                "printed gallery": 200,
                "entry page": 404,
                "photo": 404,
                "name on gallery": False,
                "reason on gallery": False,
                "name printed": False,
                "reason printed": False,
            }
        else:
            shown = expected == NAMES
            want = {"gallery page": 200, "printed gallery": 200, "entry page": 200, "photo": 200}
            want |= {k: shown for k in seen if k.startswith(("name", "reason", "description"))}
        for key, value in want.items():
            if seen[key] != value:
                problems.append(f"{sharing}: {key} is {seen[key]!r}, expected {value!r} ({expected})")
        if expected == IMAGES and (f"Person {entry.pk}" not in html or f"Person {entry.pk}" not in body):
            problems.append(f"{sharing}: the images-only card is not titled 'Person {entry.pk}'")
    assert not problems, f"{user} on the {partnership} gallery:\n" + "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("user", EVERYONE)
def test_gallery_index_lists_exactly_the_galleries_a_person_may_open(world: World, user: str) -> None:
    page = client_for(world, user).get("/intelligence/galleries/")
    assert page.status_code == 200
    html = page.content.decode()
    listed = {p for p in PARTNERSHIPS if f"/intelligence/galleries/{p}/" in html}
    expected = set(PARTNERSHIPS) if user == ADMIN else OWN.get(user, set()) | CONNECTED.get(user, set())
    assert listed == expected


# Help-identify suggestions from a gallery entry: only from members of the partnership whose gallery it is.
SUGGESTS_ON_BRIGHTON = {
    "reporter",
    "manager",
    "other_store_reporter",
    "security",
    "same_partnership_reporter",
    "partnership_manager",
}


@pytest.mark.django_db
@pytest.mark.parametrize("sharing", [NetworkSharing.IMAGES, NetworkSharing.DETAILS])
@pytest.mark.parametrize("user", EVERYONE)
def test_help_identify_only_from_the_galleries_own_members(world: World, user: str, sharing: str) -> None:
    entry = _list(world, BRIGHTON, photo=False)
    settings_update(
        viewer=world.viewer("partnership_manager"),
        partnership=world.orgs[BRIGHTON],
        gallery_months=12,
        delete_after_months=24,
        network_sharing=sharing,
    )
    client = client_for(world, user)
    page = client.get(f"/intelligence/gallery-entries/{entry.pk}/").content.decode()
    assert ("Do you know who this is?" in page) is (user in SUGGESTS_ON_BRIGHTON)
    client.post(f"/intelligence/gallery-entries/{entry.pk}/", {"text": "That is Dean Marsh, his brother"})
    sent = list(IntelligenceReport.objects.values_list("submitted_by_id", "partnership_id", "kind"))
    expected = [(world.users[user].pk, world.orgs[BRIGHTON].pk, "identification")]
    assert sent == (expected if user in SUGGESTS_ON_BRIGHTON else [])


# --- Partnership managers' pages: warnings, exclusions, adding people, data protection -------------------
# Only the issuing partnership's managers (and the platform operator) reach these; everyone else gets the same
# 404 a missing page gets. The platform admin reaches every one of these pages and documents.
BRIGHTON_MANAGERS = {"partnership_manager"}


@dataclass
class Notices:
    person: Person
    incident: Incident
    letter: WarningLetter
    notice: ExclusionNotice


def _service() -> Service:
    return Service(how="in_person", at=timezone.now() - dt.timedelta(hours=2), by="PCSO Jones")


def _notices(world: World) -> Notices:
    pm = world.viewer("partnership_manager")
    person = _list(world, BRIGHTON, photo=False).person
    inc = world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=person.pk)])
    letter = warning_issue(
        viewer=pm,
        partnership=world.orgs[BRIGHTON],
        person_id=person.pk,
        reason="Theft of steak",
        incident_ids=[inc.pk],
        service=_service(),
    )
    notice = exclusion_issue(
        viewer=pm,
        partnership=world.orgs[BRIGHTON],
        person_id=person.pk,
        all_premises=True,
        store_ids=[],
        starts_on=timezone.localdate(),
        ends_on=None,
        conditions="Not to enter any member store",
        service=_service(),
        evidence_ids=[inc.pk],
    )
    return Notices(person=person, incident=inc, letter=letter, notice=notice)


@pytest.mark.django_db
@pytest.mark.parametrize("user", EVERYONE)
def test_warnings_exclusions_and_manager_pages(world: World, user: str) -> None:
    n = _notices(world)
    client = client_for(world, user)
    manager = user in BRIGHTON_MANAGERS
    seen = {
        "exclusions page": client.get(f"/intelligence/partnerships/{BRIGHTON}/exclusions/").status_code,
        "exclusion notice": client.get(f"/intelligence/exclusions/{n.notice.pk}/").status_code,
        "exclusion PDF": client.get(f"/intelligence/exclusions/{n.notice.pk}/notice.pdf").status_code,
        "warning letter PDF": client.get(f"/intelligence/warnings/{n.letter.pk}/letter.pdf").status_code,
        "add a person": client.get(f"/intelligence/galleries/{BRIGHTON}/add/").status_code,
        "data protection": client.get(f"/intelligence/partnerships/{BRIGHTON}/data-protection/").status_code,
    }
    ok = 200 if manager or user == ADMIN else 404
    want = dict.fromkeys(seen, ok)
    assert seen == want
    # Issuing through the page: refused with a 404 for everyone else, and nothing is written.
    form = {
        "form": "exclusion",
        "x-person": n.person.pk,
        "x-all_premises": "on",
        "x-starts_on": timezone.localdate().isoformat(),
        "x-served_how": "post",
        "x-served_at": (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "x-served_by": "PCSO Jones",
        "x-incidents": "",
    }
    posted = client.post(f"/intelligence/partnerships/{BRIGHTON}/exclusions/", form)
    if manager or user == ADMIN:
        assert posted.status_code in (200, 302)
    else:
        assert posted.status_code == 404
        assert ExclusionNotice.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("user", EVERYONE)
def test_only_the_partnerships_managers_issue_warnings_and_exclusions(world: World, user: str) -> None:
    n = _notices(world)
    viewer = world.viewer(user)
    may = user in BRIGHTON_MANAGERS or user == ADMIN
    outcomes = []
    for issue in (
        lambda: warning_issue(
            viewer=viewer,
            partnership=world.orgs[BRIGHTON],
            person_id=n.person.pk,
            reason="Abusive to staff",
            incident_ids=[],
            service=_service(),
        ),
        lambda: exclusion_issue(
            viewer=viewer,
            partnership=world.orgs[BRIGHTON],
            person_id=n.person.pk,
            all_premises=True,
            store_ids=[],
            starts_on=timezone.localdate(),
            ends_on=None,
            conditions="",
            service=_service(),
            evidence_ids=[n.incident.pk],
        ),
    ):
        try:
            issue()
            outcomes.append("issued")
        except NotEntitled:
            outcomes.append("not entitled")
    assert outcomes == (["issued", "issued"] if may else ["not entitled", "not entitled"])
    assert WarningLetter.objects.count() == (2 if may else 1)


# --- Intelligence -----------------------------------------------------------------------------------------
# Who may submit to Brighton BCRP: those taking part in it.
SUBMITS_TO_BRIGHTON = {
    "reporter",
    "manager",
    "other_store_reporter",
    "security",
    "same_partnership_reporter",
    "partnership_manager",
    "admin",
}
# Who may grade Brighton BCRP's intelligence: its managers and police of its force (Sussex).
GRADES_BRIGHTON = {"partnership_manager", "police_sussex", "supervisor_sussex", "analyst_sussex", "admin"}
# Who a graded P report reaches, by the grader's choice of audience.
BRIGHTON_MEMBERS = {
    "reporter",
    "manager",
    "other_store_reporter",
    "security",
    "same_partnership_reporter",
    "partnership_manager",
    "admin",
}
SHARED_P = {
    "partnership": BRIGHTON_MEMBERS,
    "connected": BRIGHTON_MEMBERS | {"connected_reporter", "connected_partnership_manager"},
    # "Partnerships and police" is the widest level: every partnership, and police of Brighton's force.
    "police": BRIGHTON_MEMBERS
    | {
        "connected_reporter",
        "connected_partnership_manager",
        "unconnected_reporter",
        "unconnected_partnership_manager",
        "police_sussex",
        "supervisor_sussex",
        "analyst_sussex",
    },
}
# Graded C: kept with the partnership's managers.
SHARED_C = {"partnership_manager", "admin"}

ORIGINAL = "Kyle sells stolen steak from a van at the Sunday car boot on Preston Road"
SOURCE = "My neighbour Bernadette Okafor who buys from him every week"
SANITISED = "Subject is believed to sell stolen meat at a weekend market."


def _submitted(world: World, person: Person | None = None) -> IntelligenceReport:
    if person is None:
        return intelligence_submit(
            viewer=world.viewer("reporter"),
            partnership=world.orgs[BRIGHTON],
            kind="place",
            place="Preston Road car boot",
            text=ORIGINAL,
            source_details=SOURCE,
        )
    return intelligence_submit(
        viewer=world.viewer("reporter"),
        partnership=world.orgs[BRIGHTON],
        kind="person",
        person_id=person.pk,
        text=ORIGINAL,
        source_details=SOURCE,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("user", EVERYONE)
def test_submitting_intelligence_only_to_own_partnerships(world: World, user: str) -> None:
    viewer = world.viewer(user)
    try:
        intelligence_submit(
            viewer=viewer,
            partnership=world.orgs[BRIGHTON],
            kind="place",
            place="West Street",
            text="A group meets here before going into the shops",
        )
        outcome = "submitted"
    except NotEntitled:
        outcome = "not entitled"
    assert outcome == ("submitted" if user in SUBMITS_TO_BRIGHTON else "not entitled")
    # The page offers exactly the partnerships the person takes part in.
    page = client_for(world, user).get("/intelligence/")
    assert page.status_code == 200
    html = page.content.decode()
    offered = {p for p in PARTNERSHIPS if f">{world.orgs[p].name}</option>" in html}
    if user == ADMIN:
        assert offered == set()  # the operator is not a partnership member; the service lets them act
    else:
        assert offered == OWN.get(user, set())


@pytest.mark.django_db
@pytest.mark.parametrize("user", EVERYONE)
def test_grading_only_by_the_partnerships_managers_or_local_police(world: World, user: str) -> None:
    report = _submitted(world)
    client = client_for(world, user)
    grades = user in GRADES_BRIGHTON
    page = client.get(f"/intelligence/grading/{report.pk}/")
    assert page.status_code == (200 if grades else 404)
    queue = client.get("/intelligence/grading/").content.decode()
    assert (f"/intelligence/grading/{report.pk}/" in queue) is grades
    if grades:
        # Whoever may grade it sees what was submitted and how the source knows, to judge it.
        assert ORIGINAL in page.content.decode()
        assert SOURCE in page.content.decode()
    else:
        assert ORIGINAL not in queue
        assert SOURCE not in queue
    posted = client.post(
        f"/intelligence/grading/{report.pk}/",
        {
            "source_evaluation": "2",
            "assessment": "B",
            "handling_code": "P",
            "handling_conditions": "",
            "sanitised_text": SANITISED,
            "share_with": "partnership",
        },
    )
    report.refresh_from_db()
    if grades:
        assert posted.status_code == 302
        assert report.grading == "2BP"
        assert report.graded_by_id == world.users[user].pk
    else:
        assert posted.status_code == 404
        assert report.grading == ""
        with pytest.raises(NotEntitled):
            intelligence_grade(
                viewer=world.viewer(user),
                report=report,
                source_evaluation="2",
                assessment="B",
                handling_code="P",
                sanitised_text=SANITISED,
            )


def _grade(world: World, report: IntelligenceReport, code: str, share_with: str) -> IntelligenceReport:
    return intelligence_grade(
        viewer=world.viewer("partnership_manager"),
        report=report,
        source_evaluation="2",
        assessment="B",
        handling_code=code,
        handling_conditions="Do not disclose outside the partnership" if code == "C" else "",
        sanitised_text=SANITISED,
        share_with=share_with,
    )


CASES = [("P", "partnership"), ("P", "connected"), ("P", "police"), ("C", "police")]


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "share_with"), CASES, ids=[f"{c}-{s}" for c, s in CASES])
@pytest.mark.parametrize("user", EVERYONE)
def test_graded_intelligence_reaches_its_audience_sanitised(
    world: World, user: str, code: str, share_with: str
) -> None:
    report = _grade(world, _submitted(world), code, share_with)
    audience = SHARED_C if code == "C" else SHARED_P[share_with]
    shared = selectors.intelligence_shared(viewer=world.viewer(user))
    assert [s["report"].pk for s in shared] == ([report.pk] if user in audience else [])
    view = selectors.intelligence_view(report, world.viewer(user))
    submitter_or_grader = user in ("reporter", "partnership_manager")
    assert (view["source_details"] == SOURCE) is submitter_or_grader
    if not submitter_or_grader:
        assert view["source_details"] is None
        assert view["text"] == SANITISED
    # On the pages: the shared list shows only the sanitised text; the source shows nowhere at all.
    client = client_for(world, user)
    for path in ("/intelligence/", "/intelligence/grading/", f"/intelligence/grading/{report.pk}/"):
        response = client.get(path)
        html = response.content.decode() if response.status_code == 200 else ""
        grade_page_of_grader = path.endswith(f"/{report.pk}/") and user == "partnership_manager"
        assert (SOURCE in html) is grade_page_of_grader, path
        if path == "/intelligence/":
            # The submitter and the grader read what was submitted; everyone else the sanitised text.
            shown = ORIGINAL if submitter_or_grader else SANITISED
            assert (shown in html) is (user in audience)
            if not submitter_or_grader:
                assert ORIGINAL not in html


@pytest.mark.django_db
def test_source_never_reaches_any_list_export_or_the_subject_access_archive(world: World) -> None:
    person = _list(world, BRIGHTON).person
    report = _grade(world, _submitted(world, person), "P", "police")
    # A help-identify suggestion from the gallery entry page, with its own source.
    reporter = client_for(world, "reporter")
    entry = person.gallery_entries.get()
    reporter.post(
        f"/intelligence/gallery-entries/{entry.pk}/",
        {"text": "I think he is Kyle's cousin Dean", "source_details": "Heard it from Marjorie Tuttle"},
    )
    suggestion = IntelligenceReport.objects.exclude(pk=report.pk).get()
    assert suggestion.kind == "identification"
    assert suggestion.source_details == "Heard it from Marjorie Tuttle"
    pm = client_for(world, "partnership_manager")
    archive = pm.get(f"/intelligence/people/{person.pk}/subject-access.zip")
    assert archive.status_code == 200
    z = zipfile.ZipFile(io.BytesIO(archive.content))
    everything = b"".join(z.read(name) for name in z.namelist())
    assert SANITISED.encode() in everything
    for secret in (SOURCE, ORIGINAL, "Marjorie Tuttle", "Bernadette"):
        assert secret.encode() not in everything, secret
    # Nor any page a member or manager lists, exports or prints.
    for user in EVERYONE:
        client = (
            reporter
            if user == "reporter"
            else pm
            if user == "partnership_manager"
            else client_for(world, user)
        )
        for path in (
            "/intelligence/",
            "/intelligence/grading/",
            f"/intelligence/galleries/{BRIGHTON}/",
            f"/intelligence/gallery-entries/{entry.pk}/",
            f"/intelligence/galleries/{BRIGHTON}/print.pdf",
            f"/intelligence/partnerships/{BRIGHTON}/data-protection/",
            "/api/v1/persons",
            "/alerts/",
        ):
            response = client.get(path)
            content = response.content if response.status_code == 200 else b""
            if path.endswith(".pdf") and content:
                content = _pdf_text(content).encode()
            for secret in (SOURCE, "Marjorie Tuttle"):
                assert secret.encode() not in content, (user, path, secret)


# --- Alerts ------------------------------------------------------------------------------------------------
# Who may raise an alert for Northway Brighton's area: its staff, its retailer's security manager, its
# partnership's managers and police of its force. Someone who can see the store but may not alert its area is
# told so (403); someone who cannot see it gets the answer a store that does not exist gets.
MAY_ALERT = {
    "reporter",
    "manager",
    "security",
    "partnership_manager",
    "police_sussex",
    "supervisor_sussex",
    "analyst_sussex",
    "admin",
}
SEES_STORE_ONLY = {
    "other_store_reporter",
    "same_partnership_reporter",
    "connected_reporter",
    "connected_partnership_manager",
}
# Who an alert at Northway Brighton reaches: every member of Brighton BCRP, never anyone else.
AREA_MEMBERS = {
    "reporter",
    "manager",
    "other_store_reporter",
    "security",
    "same_partnership_reporter",
    "partnership_manager",
}
# Who may open an alert raised by Sussex police at Northway Brighton: the members it reached, the force that
# raised it, and the platform operator.
OPENS_POLICE_ALERT = AREA_MEMBERS | {"police_sussex", "supervisor_sussex", "analyst_sussex", "admin"}


@pytest.mark.django_db
@pytest.mark.parametrize("user", EVERYONE)
def test_who_may_raise_an_alert_for_a_store(world: World, user: str) -> None:
    store = world.stores["nw-brighton"].pk
    missing = Store.objects.order_by("-pk").first().pk + 1000  # type: ignore[union-attr]
    api = Client()
    key = apikey_create(viewer=world.viewer(user), user=world.users[user], name="matrix")
    headers = {"Authorization": f"Bearer {key.secret}"}

    def post(store_id: int) -> Any:
        return api.post(
            "/api/v1/alerts",
            {"store": store_id, "message": "Two men with a holdall, heading north"},
            content_type="application/json",
            headers=headers,
        )

    response = post(store)
    if user in MAY_ALERT:
        assert response.status_code == 201, response.content
        assert Alert.objects.get().raised_by_id == world.users[user].pk
    elif user in SEES_STORE_ONLY:
        assert response.status_code == 403, response.content
        assert response.json()["errors"][0]["field"] == "store"
        with pytest.raises(NotEntitled):
            alert_raise(viewer=world.viewer(user), store_id=store, message="x")
    else:
        unknown = post(missing)
        assert (response.status_code, response.json()) == (unknown.status_code, unknown.json())
        assert response.status_code in (404, 422)
        with pytest.raises(ValidationFailed):
            alert_raise(viewer=world.viewer(user), store_id=store, message="x")
    assert Alert.objects.count() == (1 if user in MAY_ALERT else 0)


@pytest.mark.django_db
@pytest.mark.parametrize("user", EVERYONE)
def test_who_receives_and_may_open_an_alert(world: World, user: str) -> None:
    manual = alert_raise(
        viewer=world.viewer("police_sussex"),
        store_id=world.stores["nw-brighton"].pk,
        message="Man with a knife seen in the Lanes",
    )
    urgent = world.report("reporter", "nw-brighton", flags=["violence"])
    incident_alert = Alert.objects.get(incident=urgent)
    uid = world.users[user].pk
    assert (uid in alert_recipient_ids(manual)) is (user in AREA_MEMBERS)
    # The reporter raised the urgent incident's alert, so it does not come back to them.
    assert (uid in alert_recipient_ids(incident_alert)) is (user in AREA_MEMBERS - {"reporter"})
    client = client_for(world, user)
    assert client.get(f"/alerts/{manual.pk}/").status_code == (200 if user in OPENS_POLICE_ALERT else 404)
    listed = client.get("/alerts/").content.decode()
    assert ("Man with a knife seen in the Lanes" in listed) is (user in OPENS_POLICE_ALERT)


# --- Subject access and erasure -----------------------------------------------------------------------
# Only the partnership that keeps the record (its managers, and the platform operator) may produce the archive
# or erase the record. Members who can see the record are refused without anything happening; everyone else
# gets the 404 a missing record gets.
KEEPERS = {"partnership_manager", "admin"}
SEES_RECORD = BRIGHTON_MEMBERS - KEEPERS


@pytest.mark.django_db
@pytest.mark.parametrize("user", EVERYONE)
def test_subject_access_and_erasure_only_by_the_keeping_partnership(world: World, user: str) -> None:
    person = _list(world, BRIGHTON).person
    client = client_for(world, user)
    archive = client.get(f"/intelligence/people/{person.pk}/subject-access.zip")
    assert archive.status_code == (200 if user in KEEPERS else 404)
    if user not in KEEPERS:
        with pytest.raises((NotEntitled, ServiceError)):
            selectors.subject_access_archive(viewer=world.viewer(user), person=person)
    erased = client.post(f"/intelligence/people/{person.pk}/erase/", {"reason": "Subject's erasure request"})
    still_there = Person.objects.filter(pk=person.pk).exists()
    if user in KEEPERS:
        assert erased.status_code == 302
        assert not still_there
    elif user in SEES_RECORD:
        assert erased.status_code == 302
        assert still_there
    else:
        assert erased.status_code == 404
        assert still_there
