"""The capability matrix: every role against every relation to a record, for every action in the table.

The expected answers are written out by hand below (who may take each action on each record of the small
world), never read from ``shopwatch.core.capabilities``. Each (viewer, action) case checks the table
(``can``), the service that is the authority (tried inside a savepoint that is rolled back), and the web page
and API where the action has one. A case failing names the channels that disagree with the expectation.
"""

from __future__ import annotations

import datetime
import functools
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopwatch.alerts.services import alert_raise
from shopwatch.assessments import services as assessment_services
from shopwatch.assessments.models import Enrolment, Programme
from shopwatch.assessments.services import Enrolling
from shopwatch.core import services as core_services
from shopwatch.core.capabilities import CAPABILITIES, Action, can
from shopwatch.core.entitlements import Viewer, can_see
from shopwatch.core.errors import NotEntitled, ServiceError, ValidationFailed
from shopwatch.core.models import (
    Channel,
    Distribution,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from shopwatch.evidence import linking, people
from shopwatch.evidence.models import EvidenceFile
from shopwatch.evidence.services import evidence_add
from shopwatch.evidence.sharing import evidence_share_create
from shopwatch.faces.services import face_exclusion_set, face_search_run
from shopwatch.intelligence.models import IntelligenceReport
from shopwatch.intelligence.services import galleries as galleries_services
from shopwatch.intelligence.services import graded as intelligence_services
from shopwatch.marking import services as marking_services
from shopwatch.navigator import services as navigator_services
from shopwatch.navigator.models import NavigatorCase
from shopwatch.opendata.services import police_uk_import
from shopwatch.policing.services import triage
from shopwatch.reporting import services as reporting_services
from shopwatch.reporting.models import Incident
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create, person_rectify
from shopwatch.uploads.services.creation import upload_create
from shopwatch.uploads.services.uploaders import Uploader, upload_link_create
from tests.api.support import ApiClient, api_client_for
from tests.evidence.images import jpeg_bytes
from tests.world import PASSWORD, World, build_world

STORE_STAFF = {"reporter", "manager"}
SUSSEX_POLICE = {"police_sussex", "supervisor_sussex", "analyst_sussex"}

# --- The table, by hand: who may take each action on the world's records ------------------------------------
# Records: Brighton BCRP (a partnership in Sussex); an incident at Northway Brighton (a Brighton BCRP store in
# Sussex) sent to police, with a photo linked to a second incident at the same store.
MAY: dict[Action, frozenset[str]] = {
    # Its managers and the platform operator; no other partnership's manager, no member, no police.
    Action.MANAGE_PARTNERSHIP: frozenset({"partnership_manager", "admin"}),
    # The store's manager and the retailer's security manager; never a partnership manager or police.
    Action.GRANT_STORE_ROLE: frozenset({"manager", "security", "admin"}),
    # Who reports for the store (its staff, the estate's security manager, the managers of its partnership)
    # and police of its force area; not another store's staff, another force or a national analyst.
    Action.ADD_EVIDENCE: frozenset(
        {*STORE_STAFF, "security", "partnership_manager", *SUSSEX_POLICE, "admin"}
    ),
    # The file's owner: its store's staff and its retailer's organisation-wide staff.
    Action.SHARE_EVIDENCE_WIDER: frozenset({*STORE_STAFF, "security", "admin"}),
    # Who reports for the file's store, its owner, and police who see it (sent: Sussex and national police).
    Action.SHARE_EVIDENCE_WITH_POLICE: frozenset(
        {*STORE_STAFF, "security", "partnership_manager", *SUSSEX_POLICE, "national_analyst"}
    ),
    # Saying who the photo shows: who may add evidence to one of its incidents, and any police who see it (the
    # national unit's too, unlike adding evidence); not another force, which does not see the file.
    Action.PAIR_PERSON: frozenset(
        {*STORE_STAFF, "security", "partnership_manager", *SUSSEX_POLICE, "national_analyst", "admin"}
    ),
    # Police who see the incident, of the force or the national unit; nobody else, not the operator.
    Action.EXPORT_EVIDENCE_BUNDLE: frozenset({*SUSSEX_POLICE, "national_analyst"}),
    # Recording a person owned by Brighton BCRP: its organisation-wide staff (its managers), and the operator.
    Action.RECORD_PERSON: frozenset({"partnership_manager", "admin"}),
    # Submitting intelligence to Brighton BCRP: those taking part in it (its stores' staff, the retailers'
    # security managers, its managers), and the operator; not a connected partnership's members, not police.
    Action.SUBMIT_INTELLIGENCE: frozenset(
        {
            *STORE_STAFF,
            "other_store_reporter",
            "security",
            "same_partnership_reporter",
            "partnership_manager",
            "admin",
        }
    ),
    # A person kept by Brighton BCRP: its managers, and the operator.
    Action.MANAGE_PERSON: frozenset({"partnership_manager", "admin"}),
    # Merging a duplicate into the person kept by Brighton BCRP: its managers and the operator (who alone
    # merges records no partnership keeps); not the owner's other staff, not police.
    Action.MERGE_PERSONS: frozenset({"partnership_manager", "admin"}),
    # The partnership's managers and police of its force area.
    Action.GRADE_INTELLIGENCE: frozenset({"partnership_manager", *SUSSEX_POLICE, "admin"}),
    # Investigators and supervisors of the incident's force (not analysts, not the operator).
    Action.TRIAGE: frozenset({"police_sussex", "supervisor_sussex"}),
    Action.SUPERVISE: frozenset({"supervisor_sussex"}),
    # Alerting Northway Brighton's area: who reports for the store, police of its force area, the operator.
    Action.RAISE_ALERT: frozenset({*STORE_STAFF, "security", "partnership_manager", *SUSSEX_POLICE, "admin"}),
    # A resumable upload to the incident: only who reports for its store (police add evidence otherwise).
    Action.UPLOAD_EVIDENCE: frozenset({*STORE_STAFF, "security", "partnership_manager"}),
    # Asking the store for footage through an upload link: police who see the incident (force or national).
    Action.REQUEST_FOOTAGE: frozenset({*SUSSEX_POLICE, "national_analyst"}),
    # Marking kits, property and signage at Northway Brighton: who reports for the store, and the operator.
    Action.MARK_PROPERTY: frozenset({*STORE_STAFF, "security", "partnership_manager", "admin"}),
    # A self-assessment or enrolment for Northway Brighton: who reports for the store (not the operator).
    Action.TAKE_UP_PREVENTION: frozenset({*STORE_STAFF, "security", "partnership_manager"}),
    # Setting up a programme kept by Brighton BCRP: its managers, the PCC office of its force area (Sussex),
    # and the operator; not another partnership's managers.
    Action.SET_UP_PROGRAMME: frozenset({"partnership_manager", "pcc", "admin"}),
    # A programme kept by Brighton BCRP: its managers and the operator.
    Action.RUN_PROGRAMME: frozenset({"partnership_manager", "admin"}),
    # Enrolling Northway Brighton in that programme: who reports for the store or runs the programme, and the
    # operator (one action: it used to be decided by asking the two above in turn).
    Action.ENROL_IN_PROGRAMME: frozenset({*STORE_STAFF, "security", "partnership_manager", "admin"}),
    # A referral to the Navigator Trust: its navigators only (not PCC scrutiny, not the operator).
    Action.REFER_TO_NAVIGATOR: frozenset({"navigator"}),
    # Referring the person kept by Brighton BCRP to a diversion programme from their page: police
    # investigators and supervisors who see them (not analysts, not another force's), the keeping
    # partnership's managers; not retailers, navigators or the operator.
    Action.REFER_FOR_DIVERSION: frozenset({"police_sussex", "supervisor_sussex", "partnership_manager"}),
    # Casework on the Navigator Trust's case (special category data): its navigators only; not the police who
    # referred the person, not PCC scrutiny, not the operator.
    Action.WORK_CASE: frozenset({"navigator"}),
    # Face search: police investigators and supervisors of any force; no partnership here has a DPIA.
    Action.SEARCH_FACES: frozenset({"police_sussex", "supervisor_sussex", "police_tv"}),
    # Flagging the police-distributed person kept by Brighton BCRP vulnerable: police who see them (its force
    # area's and the national unit's; not another force's), the keeping partnership's managers, the operator.
    Action.FLAG_VULNERABLE: frozenset({"partnership_manager", *SUSSEX_POLICE, "national_analyst", "admin"}),
    # Importing data.police.uk files: the operator only (and its command line naming no user: below).
    Action.IMPORT_OPEN_DATA: frozenset({"admin"}),
    # Sending an incident not yet sent: who reports for its store, and the operator.
    Action.SEND_TO_POLICE: frozenset({*STORE_STAFF, "security", "partnership_manager", "admin"}),
    # Deleting an incident: organisation-wide staff of its owner (Northway's security manager), the operator.
    Action.DELETE_INCIDENT: frozenset({"security", "admin"}),
    # Linking: organisation-wide staff of any retailer, partnership or force, national analysts, the operator;
    # deciding a link: police (investigators, supervisors, analysts) only.
    Action.USE_LINKING: frozenset(
        {
            "security",
            "partnership_manager",
            "connected_partnership_manager",
            "unconnected_partnership_manager",
            *SUSSEX_POLICE,
            "police_tv",
            "national_analyst",
            "admin",
        }
    ),
    Action.DECIDE_LINK: frozenset({*SUSSEX_POLICE, "police_tv", "national_analyst"}),
}

VIEWERS = [
    "reporter",
    "manager",
    "other_store_reporter",
    "security",
    "same_partnership_reporter",
    "connected_reporter",
    "unconnected_reporter",
    "partnership_manager",
    "connected_partnership_manager",
    "unconnected_partnership_manager",
    "police_sussex",
    "supervisor_sussex",
    "analyst_sussex",
    "police_tv",
    "national_analyst",
    "pcc",
    "navigator",
    "admin",
]


@dataclass
class Capabilities:
    world: World
    partnership: Organisation
    incident: Incident
    second: Incident
    unsent: Incident
    evidence: EvidenceFile
    report: IntelligenceReport
    proposal: Membership
    person: Person
    enrolment: Enrolment
    case: NavigatorCase
    web: dict[str, Client]
    api: dict[str, ApiClient]

    def record(self, action: Action) -> Any:
        return {
            Action.MANAGE_PARTNERSHIP: self.partnership,
            Action.GRADE_INTELLIGENCE: self.partnership,
            Action.SUBMIT_INTELLIGENCE: self.partnership,
            Action.RECORD_PERSON: self.partnership,
            Action.GRANT_STORE_ROLE: self.world.stores["nw-brighton"],
            Action.SHARE_EVIDENCE_WIDER: self.evidence,
            Action.SHARE_EVIDENCE_WITH_POLICE: self.evidence,
            Action.MANAGE_PERSON: self.person,
            Action.MERGE_PERSONS: self.person,
            Action.PAIR_PERSON: self.evidence,
            Action.RAISE_ALERT: self.world.stores["nw-brighton"],
            Action.MARK_PROPERTY: self.world.stores["nw-brighton"],
            Action.REFER_TO_NAVIGATOR: self.world.orgs["navigators"],
            Action.REFER_FOR_DIVERSION: self.person,
            Action.WORK_CASE: self.case,
            Action.TAKE_UP_PREVENTION: self.world.stores["nw-brighton"],
            Action.RUN_PROGRAMME: self.enrolment.programme,
            Action.SET_UP_PROGRAMME: self.partnership,
            Action.ENROL_IN_PROGRAMME: Enrolling(
                store_id=self.world.stores["nw-brighton"].pk,
                partnership_id=self.enrolment.programme.partnership_id,
            ),
            Action.FLAG_VULNERABLE: self.person,
            Action.IMPORT_OPEN_DATA: None,
            Action.SEARCH_FACES: None,
            Action.USE_LINKING: None,
            Action.DECIDE_LINK: None,
            Action.SEND_TO_POLICE: self.unsent,
        }.get(action, self.incident)


def _web_client(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _build() -> Capabilities:
    world = build_world()
    opal = Organisation.objects.create(kind=OrganisationKind.NATIONAL_UNIT, slug="opal", name="Opal")
    national = User.objects.create_user(
        "national_analyst@example.org", PASSWORD, full_name="National Analyst"
    )
    Membership.objects.create(user=national, organisation=opal, role=Role.ANALYST)
    world.users["national_analyst"] = national
    kwargs: dict[str, Any] = {"distribution": Distribution.PARTNERSHIP, "report_to_police": True}
    incident = world.report("reporter", "nw-brighton", **kwargs)
    second = world.report("reporter", "nw-brighton", **kwargs)
    unsent = world.report("reporter", "nw-brighton", distribution=Distribution.PARTNERSHIP)
    evidence = evidence_add(
        viewer=world.viewer("reporter"),
        incident=incident,
        fileobj=io.BytesIO(jpeg_bytes((10, 120, 10))),
        filename="till.jpg",
    )
    linking.evidence_link(
        viewer=world.viewer("reporter"),
        evidence_id=evidence.pk,
        incident=second.reference,
        reason="Same CCTV",
    )
    partnership = world.orgs["brighton-bcrp"]
    report = intelligence_services.intelligence_submit(
        viewer=world.viewer("reporter"),
        partnership=partnership,
        kind="place",
        text="A blue van at night.",
        place="Car park",
    )
    proposal = core_services.membership_add(
        viewer=world.viewer("partnership_manager"),
        partnership=partnership,
        store_id=world.stores["nw-brighton"].pk,
        email="new.colleague@example.org",
        full_name="New Colleague",
        role=Role.STORE_REPORTER,
    ).membership
    assert proposal.awaiting_consent
    person = person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=partnership,
        given_name="Kit",
        family_name="Example",
        distribution=Distribution.POLICE,
    )
    store = world.stores["nw-brighton"]
    programme = Programme.objects.create(
        title="Shop security training",
        kind="training",
        funder=partnership,
        partnership=partnership,
        places=10,
        eligibility="Member stores",
        starts_on=datetime.date(2026, 1, 5),
    )
    enrolment = Enrolment.objects.create(programme=programme, organisation_id=store.retailer_id, store=store)
    case = navigator_services.case_refer(
        viewer=world.viewer("navigator"),
        organisation_id=world.orgs["navigators"].pk,
        person_id=person.pk,
        force_id=world.orgs["sussex"].pk,
        source="police",
        referred_by="PC Example",
        reason="Repeat thefts",
    )
    users = {name: User.objects.get(pk=world.users[name].pk) for name in VIEWERS}
    return Capabilities(
        world=world,
        partnership=partnership,
        incident=incident,
        second=second,
        unsent=unsent,
        evidence=evidence,
        report=report,
        proposal=proposal,
        person=person,
        enrolment=enrolment,
        case=case,
        web={name: _web_client(users[name]) for name in VIEWERS},
        api={name: api_client_for(world, name) for name in VIEWERS},
    )


@pytest.fixture(scope="module")
def world_caps(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[Capabilities]:
    from django.test import override_settings

    # override_settings (not an assignment to settings): it tells the file storage, which caches its location,
    # and puts the location back afterwards, so later tests on this worker store files where they expect.
    files = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("capability-files")))
    with files, django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


class _Undo(Exception):
    pass


def _allowed(attempt: Callable[[], object]) -> bool:
    """Try a write inside a savepoint that is always rolled back: True when the service allowed it."""
    try:
        with transaction.atomic():
            attempt()
            raise _Undo
    except _Undo:
        return True
    except (NotEntitled, Http404):
        return False


def _refused_as_not_entitled_or_missing(attempt: Callable[[], object]) -> bool:
    """For probes built to fail validation once the action is allowed: True when it got past the check."""
    try:
        with transaction.atomic():
            attempt()
            raise _Undo
    except (_Undo, ServiceError) as exc:
        return not isinstance(exc, NotEntitled)
    except Http404:
        return False


def _allowed_unless_store_unknown(attempt: Callable[[], object]) -> bool:
    """A store the viewer cannot see reads as unknown (422 naming the store): refused, like a 404."""
    try:
        return _allowed(attempt)
    except ValidationFailed as exc:
        if [e.field for e in exc.errors] != ["store"]:
            raise
        return False


def _past_the_check(attempt: Callable[[], object]) -> bool:
    """For reporting's checks, which answer 422 naming the incident (not 403): True when past the check."""
    try:
        with transaction.atomic():
            attempt()
            raise _Undo
    except _Undo:
        return True
    except (NotEntitled, Http404):
        return False
    except ValidationFailed as exc:
        return [e.field for e in exc.errors] != ["incident"]


def _service(c: Capabilities, name: str, action: Action) -> bool | None:
    viewer = c.world.viewer(name)
    w = c.world
    if action is Action.MANAGE_PARTNERSHIP:
        # Switching off a membership nobody holds: refused (403) before, "not a member" (422) once allowed.
        return _refused_as_not_entitled_or_missing(
            lambda: core_services.membership_deactivate(
                viewer=viewer, partnership=c.partnership, membership_id=0
            )
        )
    if action is Action.GRANT_STORE_ROLE:
        # Consenting to a store role the partnership manager proposed at Northway Brighton.
        return _allowed(
            lambda: core_services.membership_consent(viewer=viewer, membership_id=c.proposal.pk, consent=True)
        )
    if action is Action.ADD_EVIDENCE:
        return _allowed(
            lambda: linking.evidence_unlink(
                viewer=viewer, evidence_id=c.evidence.pk, incident_id=c.second.pk, reason="Not the same"
            )
        )
    if action is Action.SUBMIT_INTELLIGENCE:
        # No text: refused (403) before, 422 on the text once allowed.
        return _refused_as_not_entitled_or_missing(
            lambda: intelligence_services.intelligence_submit(
                viewer=viewer, partnership=c.partnership, kind="place", text="", place="Car park"
            )
        )
    if action is Action.RECORD_PERSON:
        # No name: a 422 naming the owner too before (as it always answered), only the name once allowed.
        try:
            with transaction.atomic():
                person_create(viewer=viewer, owner_org=c.partnership, given_name="", family_name="")
        except ValidationFailed as exc:
            return "owner_org" not in [e.field for e in exc.errors]
        raise AssertionError("a person without a name was recorded")
    if action is Action.GRADE_INTELLIGENCE:
        return _allowed(
            lambda: intelligence_services.intelligence_grade(
                viewer=viewer,
                report=IntelligenceReport.objects.get(pk=c.report.pk),
                source_evaluation="1",
                assessment="A",
                handling_code="P",
                sanitised_text="A blue van at night.",
            )
        )
    if action is Action.TRIAGE:
        return _allowed(
            lambda: triage.triage_take(viewer=viewer, incident=Incident.objects.get(pk=c.incident.pk))
        )
    if action is Action.SUPERVISE:
        supervisor = w.users["supervisor_sussex"].pk
        return _allowed(
            lambda: triage.triage_assign(
                viewer=viewer, incident=Incident.objects.get(pk=c.incident.pk), assignee_id=supervisor
            )
        )
    if action is Action.SHARE_EVIDENCE_WITH_POLICE:
        return _allowed(
            lambda: evidence_share_create(
                viewer=viewer, evidence_id=c.evidence.pk, force="sussex", days=7, reason="Investigation"
            )
        )
    if action is Action.MANAGE_PERSON:
        return _allowed(
            lambda: person_rectify(
                viewer=viewer,
                person=Person.objects.get(pk=c.person.pk),
                changes={"given_name": "Kitt"},
                reason="Spelling",
            )
        )
    if action is Action.PAIR_PERSON:
        # No person: refused (403) or missing (404) before, 422 naming the person once allowed.
        return _refused_as_not_entitled_or_missing(
            lambda: people.evidence_person_add(viewer=viewer, evidence_id=c.evidence.pk, person_id=None)
        )
    if action is Action.MERGE_PERSONS:
        # The record with itself: refused (403) before, 422 on "two different records" once allowed.
        def merge() -> None:
            person = Person.objects.get(pk=c.person.pk)
            galleries_services.person_merge(viewer=viewer, keep=person, remove=person, reason="Duplicate")

        return _refused_as_not_entitled_or_missing(merge)
    if action is Action.RAISE_ALERT:
        store_id = w.stores["nw-brighton"].pk
        return _allowed_unless_store_unknown(
            lambda: alert_raise(viewer=viewer, store_id=store_id, message="A blue van in the car park.")
        )
    if action is Action.UPLOAD_EVIDENCE:
        # No Upload-Length: refused (403) or missing (404) before, "required" (422) once allowed.
        return _refused_as_not_entitled_or_missing(
            lambda: upload_create(
                uploader=Uploader(viewer=viewer),
                length=None,
                metadata={"incident": str(c.incident.pk), "filename": "till.jpg"},
            )
        )
    if action is Action.REQUEST_FOOTAGE:
        # A link for no time at all: refused (403) or missing (404) before, 422 on the hours once allowed.
        return _refused_as_not_entitled_or_missing(
            lambda: upload_link_create(viewer=viewer, incident_id=c.incident.pk, hours=0)
        )
    if action is Action.MARK_PROPERTY:
        # No product: refused (403) before, 422 on the product once allowed.
        store_id = w.stores["nw-brighton"].pk
        return _refused_as_not_entitled_or_missing(
            lambda: marking_services.signage_set(viewer=viewer, store_id=store_id, product="", displayed=True)
        )
    if action is Action.TAKE_UP_PREVENTION:
        # No such self-assessment: refused (403) before, 422 on the question set once allowed.
        store_id = w.stores["nw-brighton"].pk
        return _refused_as_not_entitled_or_missing(
            lambda: assessment_services.assessment_submit(
                viewer=viewer, question_set_id=0, store_id=store_id, answers={}
            )
        )
    if action is Action.SET_UP_PROGRAMME:
        # No title: refused (403) before, 422 on the title once allowed.
        return _refused_as_not_entitled_or_missing(
            lambda: assessment_services.programme_create(
                viewer=viewer,
                title="",
                kind="training",
                funder_id=c.partnership.pk,
                partnership_id=c.partnership.pk,
                places=10,
                eligibility="Member stores",
                starts_on=datetime.date(2026, 1, 5),
            )
        )
    if action is Action.RUN_PROGRAMME:
        # Impossible sessions: refused (403) before, 422 on the sessions once allowed.
        return _refused_as_not_entitled_or_missing(
            lambda: assessment_services.enrolment_attendance(
                viewer=viewer, enrolment_id=c.enrolment.pk, sessions=-1, completed=False
            )
        )
    if action is Action.ENROL_IN_PROGRAMME:
        # Northway Brighton is enrolled already: refused (403) before, 409 once allowed.
        programme_id, store_id = c.enrolment.programme_id, w.stores["nw-brighton"].pk
        return _refused_as_not_entitled_or_missing(
            lambda: assessment_services.enrolment_create(
                viewer=viewer, programme_id=programme_id, store_id=store_id
            )
        )
    if action is Action.FLAG_VULNERABLE:
        # No note: missing (404) before, 422 on the note once allowed.
        person_id = c.person.pk
        return _refused_as_not_entitled_or_missing(
            lambda: face_exclusion_set(viewer=viewer, person_id=person_id, note="")
        )
    if action is Action.IMPORT_OPEN_DATA:
        return _allowed(lambda: police_uk_import(viewer=viewer, paths=[]))
    if action is Action.REFER_TO_NAVIGATOR:
        # No source: refused (403) before, 422 on the source once allowed.
        trust, sussex = w.orgs["navigators"].pk, w.orgs["sussex"].pk
        return _refused_as_not_entitled_or_missing(
            lambda: navigator_services.case_refer(
                viewer=viewer,
                organisation_id=trust,
                person_id=c.person.pk,
                force_id=sussex,
                source="",
                referred_by="PC Example",
                reason="Repeat thefts",
            )
        )
    if action is Action.REFER_FOR_DIVERSION:
        # No reason: missing (404) or refused (403) before, 422 on the reason once allowed.
        trust = w.orgs["navigators"].pk
        return _refused_as_not_entitled_or_missing(
            lambda: navigator_services.case_refer_from_person(
                viewer=viewer, person_id=c.person.pk, organisation_id=trust, reason=""
            )
        )
    if action is Action.WORK_CASE:
        # No consent given: missing (404) or refused (403) before, 422 on the consent once allowed.
        case_id = c.case.pk
        return _refused_as_not_entitled_or_missing(
            lambda: navigator_services.case_consent_record(
                viewer=viewer, case_id=case_id, consent="", on=timezone.localdate()
            )
        )
    if action is Action.SEARCH_FACES:
        # No purpose and no file: refused (403) before, a 422 about the fields once allowed.
        return _refused_as_not_entitled_or_missing(
            lambda: face_search_run(viewer=viewer, evidence_id=0, purpose="", top_k=0)
        )
    if action is Action.SEND_TO_POLICE:
        return _past_the_check(
            lambda: reporting_services.incident_send_to_police(
                viewer=viewer, incident=Incident.objects.get(pk=c.unsent.pk)
            )
        )
    if action is Action.DELETE_INCIDENT:
        # No reason: "only the owning organisation" (422 on incident) before, 422 on the reason once allowed.
        return _past_the_check(
            lambda: reporting_services.incident_delete(
                viewer=viewer, incident=Incident.objects.get(pk=c.incident.pk), reason=""
            )
        )
    return None  # SHARE_EVIDENCE_WIDER: proven through linking in the permission matrix's evidence cases


def _web(c: Capabilities, name: str, action: Action) -> bool | None:
    client = c.web[name]
    if action is Action.MANAGE_PARTNERSHIP:
        response = client.get(f"/partnerships/{c.partnership.slug}/")
        assert response.status_code in (200, 404), response.status_code
        return response.status_code == 200
    if action is Action.GRANT_STORE_ROLE:
        response = client.get("/account/store-roles/")
        assert response.status_code in (200, 404), response.status_code
        return (
            response.status_code == 200 and "Confirm new.colleague@example.org" in response.content.decode()
        )
    if action is Action.ADD_EVIDENCE:
        # The "take off" button of the linked incident shows exactly where the service would allow it.
        response = client.get(f"/evidence/{c.evidence.pk}/")
        assert response.status_code in (200, 404), response.status_code
        return response.status_code == 200 and f"Take off {c.second.reference}" in response.content.decode()
    if action is Action.USE_LINKING:
        response = client.get("/links/")
        assert response.status_code in (200, 404), response.status_code
        return response.status_code == 200
    if action is Action.SEND_TO_POLICE:
        response = client.get(f"/incidents/{c.unsent.pk}/")
        assert response.status_code in (200, 404), response.status_code
        return response.status_code == 200 and f"/incidents/{c.unsent.pk}/send-to-police/" in (
            response.content.decode()
        )
    if action is Action.SUPERVISE:
        response = client.get(f"/police/incidents/{c.incident.pk}/")
        assert response.status_code in (200, 404), response.status_code
        return (
            response.status_code == 200
            and '<button type="submit">Assign</button>' in response.content.decode()
        )
    return None


def _api(c: Capabilities, name: str, action: Action) -> bool | None:
    api = c.api[name]
    if action is Action.ADD_EVIDENCE:

        def unlink() -> None:
            response = api.client.delete(
                f"/api/v1/evidence/{c.evidence.pk}/links/{c.second.pk}?reason=Not+the+same",
                headers={"Authorization": f"Bearer {api.secret}"},
            )
            assert response.status_code in (204, 403, 404), response.content
            if response.status_code != 204:
                raise Http404

        return _allowed(unlink)
    if action is Action.EXPORT_EVIDENCE_BUNDLE:

        def export() -> None:
            response = api.get(f"/api/v1/incidents/{c.incident.pk}/evidence/bundle")
            assert response.status_code in (200, 403, 404), response.content
            if response.status_code != 200:
                raise Http404
            b"".join(response.streaming_content)

        return _allowed(export)
    if action is Action.SUPERVISE:

        def assign() -> None:
            response = api.post(
                f"/api/v1/incidents/{c.incident.pk}/assign",
                {"assignee": c.world.users["supervisor_sussex"].pk},
            )
            assert response.status_code in (200, 403, 404), response.content
            if response.status_code != 200:
                raise Http404

        return _allowed(assign)
    return None


CASES = [(action, name) for action in Action for name in VIEWERS]


@pytest.mark.parametrize(("action", "viewer"), CASES, ids=[f"{a.value}-{v}" for a, v in CASES])
def test_capability(world_caps: Capabilities, db: None, action: Action, viewer: str) -> None:
    expected = viewer in MAY[action]
    record = world_caps.record(action)
    who = world_caps.world.viewer(viewer)
    # A viewer acts only on a record they see (the entitlement mechanism) that the table lets them act on.
    sees = can_see(who, record) if hasattr(type(record), "audience") else True
    seen: dict[str, bool | None] = {
        "table": sees and can(who, action, record),
        "service": _service(world_caps, viewer, action),
        "web": _web(world_caps, viewer, action),
        "api": _api(world_caps, viewer, action),
    }
    wrong = {channel: got for channel, got in seen.items() if got is not None and got != expected}
    assert not wrong, f"{viewer} and {action.value}: expected {'allowed' if expected else 'refused'}: {wrong}"


def test_the_table_names_every_action_and_only_real_roles() -> None:
    assert set(CAPABILITIES) == set(Action) == set(MAY)
    for rows in CAPABILITIES.values():
        assert {role for role, _relation in rows} <= set(Role.values)


def test_the_evidence_page_and_the_service_state_one_rule_for_linking(
    world_caps: Capabilities, db: None
) -> None:
    """The page used to offer the link form to every police officer and anyone reporting anywhere, while the
    service allowed only police of the incident's force and those reporting for its store: the stricter rule
    wins. A national analyst sees the file but may add evidence to no incident, so gets no form."""
    page = world_caps.web["national_analyst"].get(f"/evidence/{world_caps.evidence.pk}/")
    assert page.status_code == 200
    assert "Link to another incident" not in page.content.decode()
    assert not can(world_caps.world.viewer("national_analyst"), Action.ADD_EVIDENCE)
    with pytest.raises(NotEntitled):
        linking.evidence_link(
            viewer=world_caps.world.viewer("national_analyst"),
            evidence_id=world_caps.evidence.pk,
            incident=world_caps.incident.reference,
            reason="Same van",
        )
    page = world_caps.web["police_sussex"].get(f"/evidence/{world_caps.evidence.pk}/")
    assert "Link to another incident" in page.content.decode()


@pytest.mark.parametrize("viewer", VIEWERS)
def test_store_roles_to_confirm_is_in_the_menu_of_those_who_can_confirm(
    world_caps: Capabilities, db: None, viewer: str
) -> None:
    """The menu offers "Store roles to confirm" exactly to those the table lets grant a store role."""
    page = world_caps.web[viewer].get("/incidents/")
    assert page.status_code == 200
    shown = 'href="/account/store-roles/">Store roles to confirm</a>' in page.content.decode()
    assert shown == (viewer in {"manager", "security", "admin"})


def test_face_search_follows_the_partnerships_dpia_switch(world_caps: Capabilities, db: None) -> None:
    """A partnership manager may search faces only while their partnership has a DPIA recorded and face
    search switched on: a relation in the table, so the service, the table and the menu agree."""
    from shopwatch.faces.models import FaceSettings

    manager = "partnership_manager"
    with transaction.atomic():
        settings_row = FaceSettings.objects.create(
            partnership=world_caps.partnership, enabled=True, dpia_reference="DPIA-7"
        )
        assert not can(world_caps.world.viewer(manager), Action.SEARCH_FACES)  # no approval date yet
        settings_row.dpia_approved_on = datetime.date(2026, 1, 5)
        settings_row.save()
        assert can(world_caps.world.viewer(manager), Action.SEARCH_FACES)
        assert can(world_caps.world.viewer(manager), Action.SEARCH_FACES, world_caps.partnership)
        assert _service(world_caps, manager, Action.SEARCH_FACES) is True
        page = world_caps.web[manager].get("/incidents/")
        assert 'href="/faces/"' in page.content.decode()
        assert not can(world_caps.world.viewer("connected_partnership_manager"), Action.SEARCH_FACES)
        settings_row.enabled = False
        settings_row.save()
        assert not can(world_caps.world.viewer(manager), Action.SEARCH_FACES, world_caps.partnership)
        assert _service(world_caps, manager, Action.SEARCH_FACES) is False
        transaction.set_rollback(True)


def test_only_the_platforms_own_jobs_act_without_a_user(world_caps: Capabilities, db: None) -> None:
    """Scheduled work (the system channel, no user) may delete an incident (retention) and import open data,
    the command line naming no user may import open data, as the table says (``SYSTEM_JOBS``), and nothing
    else; a viewer without a user on any other channel may do nothing."""
    system = Viewer(user_id=None, channel=Channel.SYSTEM)
    allowed = {action for action in Action if can(system, action, world_caps.record(action))}
    assert allowed == {Action.DELETE_INCIDENT, Action.IMPORT_OPEN_DATA}
    incident = Incident.objects.get(pk=world_caps.incident.pk)
    assert _past_the_check(
        lambda: reporting_services.incident_delete(viewer=system, incident=incident, reason="")
    )
    cli = Viewer(user_id=None, channel=Channel.CLI)
    allowed = {action for action in Action if can(cli, action, world_caps.record(action))}
    assert allowed == {Action.IMPORT_OPEN_DATA}
    assert _allowed(lambda: police_uk_import(viewer=cli, paths=[]))
    assert not _past_the_check(
        lambda: reporting_services.incident_delete(viewer=cli, incident=incident, reason="")
    )
    for channel in (Channel.API, Channel.WEB):
        nobody = Viewer(user_id=None, channel=channel)
        assert not any(can(nobody, action, world_caps.record(action)) for action in Action)
        assert not _past_the_check(
            functools.partial(reporting_services.incident_delete, viewer=nobody, incident=incident, reason="")
        )


MENU = {
    Action.TRIAGE: 'href="/police/queue/">Queue</a>',
    Action.USE_LINKING: 'href="/links/">Links</a>',
    Action.SEARCH_FACES: 'href="/faces/">Faces</a>',
    Action.GRANT_STORE_ROLE: 'href="/account/store-roles/">Store roles to confirm</a>',
    Action.WORK_CASE: 'href="/navigator/">Caseload</a>',
}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_menu_offers_an_action_exactly_to_those_the_table_lets_take_it(
    world_caps: Capabilities, db: None, viewer: str
) -> None:
    """The menu's entries for actions ask the table (``can.<action>``), so each shows exactly to those who
    hold the action somewhere; self-assessments show to who may take one (and a PCC office, which reads
    the uptake)."""
    page = world_caps.web[viewer].get("/incidents/")
    assert page.status_code == 200
    html = page.content.decode()
    who = world_caps.world.viewer(viewer)
    shown = {action for action, link in MENU.items() if link in html}
    assert shown == {action for action in MENU if can(who, action)}
    prevention = 'href="/assessments/">Prevention</a>' in html
    assert prevention == (can(who, Action.TAKE_UP_PREVENTION) or viewer == "pcc")
