"""Who may do what: the one capability table.

Reads are decided by the entitlement mechanism (``entitlements.py``: who may *see* a record). Actions are
decided here: each :class:`Action` lists the (role, relation to the record) pairs that may take it. Services
are the authority (:func:`require` raises the project's :class:`~shopwatch.core.errors.NotEntitled`); views
and templates ask the same table (:func:`can`, the ``{% can %}`` tag in ``core/templatetags/capabilities.py``)
only to show or hide a button, so a page can never offer what the service would refuse.

A record is any object with the usual attributes (``store_id``, ``force_id``, ``owner_org_id``,
``retailer_id``, ``kind``): a store, an incident, an evidence file (judged by its home incident's store and
its owner), a partnership. ``can(viewer, action)`` without a record answers whether the viewer holds the
action anywhere (a role row whose relation they can have), for pages that offer a form before the record
is chosen; the service then decides for the record.

The rules are in ``docs/decisions/0007-capability-table.md``, proven by ``tests/test_capability_matrix.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from enum import StrEnum
from typing import Any

from .entitlements import Viewer
from .errors import FieldError, NotEntitled
from .models import Channel, Membership, Organisation, OrganisationKind, Role, Store


class Action(StrEnum):
    MANAGE_PARTNERSHIP = "manage_partnership"
    """Members, stores, galleries, notices, retention and subject access of a partnership (record: it)."""
    GRANT_STORE_ROLE = "grant_store_role"
    """Give someone a store role at a store (record: the store). Needs the retailer's consent."""
    ADD_EVIDENCE = "add_evidence"
    """Put evidence on an incident, link a file to it or take a linked file off it (record: the incident)."""
    SHARE_EVIDENCE_WIDER = "share_evidence_wider"
    """Let a file follow a linked incident's whole audience (record: the file). Otherwise a link shares a
    file only with those who could already see it."""
    SHARE_EVIDENCE_WITH_POLICE = "share_evidence_with_police"
    """Share a file with a force or an investigator until an expiry (record: the file)."""
    PAIR_PERSON = "pair_person"
    """Say who an evidence file shows, or that it does not show them after all, and take a still as the
    person's photo (record: each of the file's incidents, its home one and those it is linked to; asked
    with :func:`can_any`)."""
    EXPORT_EVIDENCE_BUNDLE = "export_evidence_bundle"
    """Export an incident's evidence as an MG12 bundle (record: the incident, which the viewer sees)."""
    RECORD_PERSON = "record_person"
    """Record a person owned by an organisation (record: the organisation)."""
    MANAGE_PERSON = "manage_person"
    """Correct, rectify or erase a person record (record: the person)."""
    MERGE_PERSONS = "merge_persons"
    """Merge a duplicate person record into another (record: each of the two persons): the partnership that
    keeps it, or the platform operator for a record no partnership keeps."""
    SUBMIT_INTELLIGENCE = "submit_intelligence"
    """Submit intelligence to a partnership for grading (record: the partnership)."""
    GRADE_INTELLIGENCE = "grade_intelligence"
    """Grade, sanitise and disseminate a partnership's intelligence (record: the partnership)."""
    TRIAGE = "triage"
    """Work a force's triage queue: decide, take, hand off, record crimes, case files (record: incident)."""
    SUPERVISE = "supervise"
    """Reassign others' work, configure the force's hand-off, clear dead letters (record: an incident)."""
    RAISE_ALERT = "raise_alert"
    """Alert a store's area by hand (record: the store)."""
    UPLOAD_EVIDENCE = "upload_evidence"
    """Start a resumable (tus) upload of evidence to an incident (record: the incident)."""
    REQUEST_FOOTAGE = "request_footage"
    """Make a single-use upload link asking a store for footage of an incident (record: the incident)."""
    MARK_PROPERTY = "mark_property"
    """Register a store's forensic-marking kits, marked property and signage, and log a kit's use (record:
    the store)."""
    TAKE_UP_PREVENTION = "take_up_prevention"
    """Complete a crime-prevention self-assessment for a store, or enrol it in a programme (record: the
    store)."""
    SET_UP_PROGRAMME = "set_up_programme"
    """Set up a funded prevention programme kept by a partnership (record: the partnership)."""
    RUN_PROGRAMME = "run_programme"
    """Record a prevention programme's enrolments and attendance (record: the programme, kept by a
    partnership)."""
    ENROL_IN_PROGRAMME = "enrol_in_programme"
    """Enrol a store in a prevention programme (record: the enrolment, naming the store and the programme's
    partnership): those who report for the store, or who run the programme."""
    REFER_TO_NAVIGATOR = "refer_to_navigator"
    """Record a person's referral to a navigator (diversion) organisation (record: the organisation)."""
    REFER_FOR_DIVERSION = "refer_for_diversion"
    """Refer a person one sees to a diversion programme, from their page (record: the person)."""
    WORK_CASE = "work_case"
    """Diversion casework on a navigator organisation's case: consent, needs, contacts, onward referrals,
    goals, sharing with police, closure, and the organisation's retention setting (record: the case, or the
    organisation)."""
    SEND_TO_POLICE = "send_to_police"
    """Send an incident to the police force whose area its store is in (record: the incident)."""
    DELETE_INCIDENT = "delete_incident"
    """Delete an incident, leaving a tombstone (record: the incident)."""
    USE_LINKING = "use_linking"
    """Open the linking queue of proposed same-person links (no record)."""
    DECIDE_LINK = "decide_link"
    """Decide a proposed link between two person records (no record: both must be seen first)."""
    SEARCH_FACES = "search_faces"
    """Run, review and decide retrospective face searches (no record: the viewer's own standing)."""
    FLAG_VULNERABLE = "flag_vulnerable"
    """Flag a person vulnerable, so never searchable by face (record: the person)."""
    IMPORT_OPEN_DATA = "import_open_data"
    """Import data.police.uk street-level and outcome files (no record)."""


class Relation(StrEnum):
    ANYWHERE = "anywhere"
    """Whatever the record (the platform operator)."""
    ROLE_ALONE = "by role"
    """The role alone decides (an action with no record of its own, taken on records the viewer sees)."""
    OWN_STORE = "own store"
    """Staff of the record's store (for a file: its home incident's store)."""
    MANAGES_STORE = "manages the store"
    """The record's store's manager."""
    OWN_ESTATE = "own estate"
    """Organisation-wide staff of the retailer that owns the record's store (its security manager)."""
    OWNING_ORGANISATION = "owning organisation"
    """Organisation-wide staff of the organisation that owns the record."""
    ORGANISATION_STAFF = "staff of the organisation"
    """Organisation-wide staff of the record (an organisation)."""
    TAKES_PART = "takes part in the partnership"
    """Takes part in the record (a partnership): staff of its stores, security managers of its retailers, its
    managers."""
    MANAGED_PARTNERSHIP = "managed partnership"
    """Manager of the record (a partnership)."""
    PARTNERSHIP_STORE = "store of a managed partnership"
    """Manager of a partnership the record's store is in."""
    FORCE_AREA = "force area"
    """Police of the force whose area the record is in."""
    POLICE = "police"
    """Police of any force or of a national unit, whatever the record (which they must first see)."""
    KEEPING_PARTNERSHIP = "keeping partnership"
    """Manager of the partnership that keeps the record (a person)."""
    REPORTS_FOR_STORE = "reports for the store"
    """Reports for the record's store: its staff, its retailer's security manager, its partnerships'
    managers."""
    SCRUTINISES_FORCE_AREA = "scrutinises the force area"
    """Of the force whose area the record is in, as its Police and Crime Commissioner's office is."""
    NAVIGATES_FOR = "navigates for the organisation"
    """A navigator of the record (a support organisation)."""
    FACE_SEARCH_PARTNERSHIP = "manages a partnership searching faces"
    """Manager of a partnership that has recorded a DPIA and switched face search on (a condition the faces
    app registers, see :func:`register_condition`)."""


_STORE_STAFF = (Role.STORE_REPORTER, Role.STORE_MANAGER)
_FORCE_POLICE = (Role.POLICE_INVESTIGATOR, Role.POLICE_SUPERVISOR, Role.ANALYST)
_ORGANISATION_WIDE = (Role.RETAIL_SECURITY_MANAGER, Role.PARTNERSHIP_MANAGER, *_FORCE_POLICE)
_REPORTERS = (*_STORE_STAFF, Role.RETAIL_SECURITY_MANAGER, Role.PARTNERSHIP_MANAGER)


def _rows(*pairs: tuple[tuple[str, ...] | str, Relation]) -> frozenset[tuple[str, Relation]]:
    out: set[tuple[str, Relation]] = set()
    for roles, relation in pairs:
        for role in (roles,) if isinstance(roles, str) else roles:
            out.add((str(role), relation))
    return frozenset(out)


# --- The table: action -> the (role, relation to the record) pairs that may take it ---------------------
CAPABILITIES: dict[Action, frozenset[tuple[str, Relation]]] = {
    Action.MANAGE_PARTNERSHIP: _rows(
        (Role.PARTNERSHIP_MANAGER, Relation.MANAGED_PARTNERSHIP),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.GRANT_STORE_ROLE: _rows(
        (Role.STORE_MANAGER, Relation.MANAGES_STORE),
        (Role.RETAIL_SECURITY_MANAGER, Relation.OWN_ESTATE),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.ADD_EVIDENCE: _rows(
        (_STORE_STAFF, Relation.OWN_STORE),
        (Role.RETAIL_SECURITY_MANAGER, Relation.OWN_ESTATE),
        (Role.PARTNERSHIP_MANAGER, Relation.PARTNERSHIP_STORE),
        (_FORCE_POLICE, Relation.FORCE_AREA),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.SHARE_EVIDENCE_WIDER: _rows(
        (_STORE_STAFF, Relation.OWN_STORE),
        ((Role.RETAIL_SECURITY_MANAGER, Role.PARTNERSHIP_MANAGER), Relation.OWNING_ORGANISATION),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.SHARE_EVIDENCE_WITH_POLICE: _rows(
        (_STORE_STAFF, Relation.OWN_STORE),
        (Role.RETAIL_SECURITY_MANAGER, Relation.OWN_ESTATE),
        ((Role.RETAIL_SECURITY_MANAGER, Role.PARTNERSHIP_MANAGER), Relation.OWNING_ORGANISATION),
        (Role.PARTNERSHIP_MANAGER, Relation.PARTNERSHIP_STORE),
        (_FORCE_POLICE, Relation.POLICE),
    ),
    Action.PAIR_PERSON: _rows(
        (_STORE_STAFF, Relation.OWN_STORE),
        (Role.RETAIL_SECURITY_MANAGER, Relation.OWN_ESTATE),
        (Role.PARTNERSHIP_MANAGER, Relation.PARTNERSHIP_STORE),
        (_FORCE_POLICE, Relation.POLICE),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.EXPORT_EVIDENCE_BUNDLE: _rows(
        (_FORCE_POLICE, Relation.POLICE),
    ),
    Action.RECORD_PERSON: _rows(
        (_ORGANISATION_WIDE, Relation.ORGANISATION_STAFF),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.MANAGE_PERSON: _rows(
        (_ORGANISATION_WIDE, Relation.OWNING_ORGANISATION),
        (Role.PARTNERSHIP_MANAGER, Relation.KEEPING_PARTNERSHIP),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.MERGE_PERSONS: _rows(
        (Role.PARTNERSHIP_MANAGER, Relation.KEEPING_PARTNERSHIP),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.SUBMIT_INTELLIGENCE: _rows(
        (_REPORTERS, Relation.TAKES_PART),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.GRADE_INTELLIGENCE: _rows(
        (Role.PARTNERSHIP_MANAGER, Relation.MANAGED_PARTNERSHIP),
        (_FORCE_POLICE, Relation.FORCE_AREA),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.TRIAGE: _rows(
        ((Role.POLICE_INVESTIGATOR, Role.POLICE_SUPERVISOR), Relation.FORCE_AREA),
    ),
    Action.SUPERVISE: _rows(
        (Role.POLICE_SUPERVISOR, Relation.FORCE_AREA),
    ),
    Action.RAISE_ALERT: _rows(
        (_REPORTERS, Relation.REPORTS_FOR_STORE),
        (_FORCE_POLICE, Relation.FORCE_AREA),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.UPLOAD_EVIDENCE: _rows(
        (_REPORTERS, Relation.REPORTS_FOR_STORE),
    ),
    Action.REQUEST_FOOTAGE: _rows(
        (_FORCE_POLICE, Relation.POLICE),
    ),
    Action.MARK_PROPERTY: _rows(
        (_REPORTERS, Relation.REPORTS_FOR_STORE),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.TAKE_UP_PREVENTION: _rows(
        (_REPORTERS, Relation.REPORTS_FOR_STORE),
    ),
    Action.SET_UP_PROGRAMME: _rows(
        (Role.PARTNERSHIP_MANAGER, Relation.MANAGED_PARTNERSHIP),
        (Role.PCC_SCRUTINY, Relation.SCRUTINISES_FORCE_AREA),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.RUN_PROGRAMME: _rows(
        (Role.PARTNERSHIP_MANAGER, Relation.KEEPING_PARTNERSHIP),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.ENROL_IN_PROGRAMME: _rows(
        (_REPORTERS, Relation.REPORTS_FOR_STORE),
        (Role.PARTNERSHIP_MANAGER, Relation.KEEPING_PARTNERSHIP),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.REFER_TO_NAVIGATOR: _rows(
        (Role.NAVIGATOR, Relation.NAVIGATES_FOR),
    ),
    Action.REFER_FOR_DIVERSION: _rows(
        ((Role.POLICE_INVESTIGATOR, Role.POLICE_SUPERVISOR), Relation.POLICE),
        (Role.PARTNERSHIP_MANAGER, Relation.KEEPING_PARTNERSHIP),
    ),
    # Special category data: the organisation's own navigators only (not the operator, not PCC scrutiny).
    Action.WORK_CASE: _rows(
        (Role.NAVIGATOR, Relation.NAVIGATES_FOR),
    ),
    Action.SEND_TO_POLICE: _rows(
        (_REPORTERS, Relation.REPORTS_FOR_STORE),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.DELETE_INCIDENT: _rows(
        (_ORGANISATION_WIDE, Relation.OWNING_ORGANISATION),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.USE_LINKING: _rows(
        (_ORGANISATION_WIDE, Relation.ROLE_ALONE),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.DECIDE_LINK: _rows(
        (_FORCE_POLICE, Relation.ROLE_ALONE),
    ),
    Action.SEARCH_FACES: _rows(
        ((Role.POLICE_INVESTIGATOR, Role.POLICE_SUPERVISOR), Relation.POLICE),
        (Role.PARTNERSHIP_MANAGER, Relation.FACE_SEARCH_PARTNERSHIP),
    ),
    Action.FLAG_VULNERABLE: _rows(
        (_FORCE_POLICE, Relation.POLICE),
        (Role.PARTNERSHIP_MANAGER, Relation.KEEPING_PARTNERSHIP),
        (_ORGANISATION_WIDE, Relation.OWNING_ORGANISATION),
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
    Action.IMPORT_OPEN_DATA: _rows(
        (Role.PLATFORM_ADMIN, Relation.ANYWHERE),
    ),
}

# What the platform's own jobs may do without a user (and so without a role), and on which channels: scheduled
# work such as retention (the system channel), and the operator's command line where it names no user. Any
# other viewer without a user may do nothing.
SYSTEM_JOBS: dict[Action, frozenset[str]] = {
    Action.DELETE_INCIDENT: frozenset({Channel.SYSTEM}),
    Action.IMPORT_OPEN_DATA: frozenset({Channel.SYSTEM, Channel.CLI}),
}

# Actions whose record is a partnership (anything else is refused, whoever asks).
_ON_A_PARTNERSHIP = frozenset(
    {
        Action.MANAGE_PARTNERSHIP,
        Action.SUBMIT_INTELLIGENCE,
        Action.GRADE_INTELLIGENCE,
        Action.SET_UP_PROGRAMME,
    }
)

# What a refusal says when the service gives no message of its own: (field, message).
REFUSALS: dict[Action, tuple[str, str]] = {
    Action.MANAGE_PARTNERSHIP: ("partnership", "Only this partnership's managers can do that."),
    Action.GRANT_STORE_ROLE: (
        "store",
        "Only the store's manager or the retailer's security manager can give a role at this store.",
    ),
    Action.ADD_EVIDENCE: (
        "incident",
        "Only police of the force, or people who report for the store, add evidence to this incident.",
    ),
    Action.SHARE_EVIDENCE_WIDER: ("evidence", "Only the file's owner can share it more widely."),
    Action.SHARE_EVIDENCE_WITH_POLICE: (
        "evidence",
        "Only police, and people who report for the store, share its evidence.",
    ),
    Action.PAIR_PERSON: (
        "person",
        "Only police, and people who report for the store, say who a file shows.",
    ),
    Action.EXPORT_EVIDENCE_BUNDLE: ("incident", "Only police investigators export evidence bundles."),
    Action.RECORD_PERSON: ("owner_org", "You may not create records for this organisation."),
    Action.SUBMIT_INTELLIGENCE: ("partnership", "You can submit intelligence only to your own partnerships."),
    Action.MANAGE_PERSON: ("person", "Only the person's owner or keeping partnership can change the record."),
    Action.MERGE_PERSONS: ("person", "Only the partnership that keeps both records may merge."),
    Action.GRADE_INTELLIGENCE: (
        "partnership",
        "Only the partnership's managers or police of its force area grade its intelligence.",
    ),
    Action.TRIAGE: ("role", "Only police investigators and supervisors can do this."),
    Action.SUPERVISE: ("role", "Only a police supervisor can do this."),
    Action.RAISE_ALERT: (
        "store",
        "You may not raise alerts for this store's area: only its staff, "
        "its retailer, its partnerships and local police may.",
    ),
    Action.UPLOAD_EVIDENCE: ("incident", "Only people who report for this store can add evidence to it."),
    Action.REQUEST_FOOTAGE: ("incident", "Only police investigators can ask a store for footage."),
    Action.MARK_PROPERTY: ("store", "You can register marking only for stores you report for."),
    Action.TAKE_UP_PREVENTION: ("store", "You can complete an assessment only for a store you work for."),
    Action.SET_UP_PROGRAMME: (
        "partnership",
        "You can set up programmes only for your partnerships.",
    ),
    Action.RUN_PROGRAMME: ("programme", "Only the programme's partnership managers record this."),
    Action.ENROL_IN_PROGRAMME: ("store", "You can enrol only a store you work for."),
    Action.REFER_TO_NAVIGATOR: ("organisation", "Only the organisation's navigators record referrals."),
    Action.REFER_FOR_DIVERSION: (
        "person",
        "Only police, or the managers of the partnership keeping the person, refer them to a programme.",
    ),
    Action.WORK_CASE: ("case", "Only the organisation's navigators work on its cases."),
    Action.SEND_TO_POLICE: ("incident", "Only the store, its retailer or its partnership can send this."),
    Action.DELETE_INCIDENT: ("incident", "Only the owning organisation may delete this incident."),
    Action.USE_LINKING: ("viewer", "Linking is for security and partnership managers and police."),
    Action.DECIDE_LINK: ("viewer", "Only a named investigator or analyst decides a link."),
    Action.SEARCH_FACES: (
        "viewer",
        "Face search is for police investigators, and for partnership managers where the "
        "partnership has recorded a DPIA and switched it on.",
    ),
    Action.IMPORT_OPEN_DATA: ("viewer", "Only a platform admin may import data.police.uk files."),
    Action.FLAG_VULNERABLE: (
        "person",
        "Only police, the person's keeping partnership or owning organisation flag a person vulnerable.",
    ),
}

# Conditions that need another app's records (the faces app's DPIA switch), registered by that app at
# start-up so that core names no app above it: relation -> (viewer, record or None) -> bool.
_CONDITIONS: dict[Relation, Callable[[Viewer, Any], bool]] = {}


def register_condition(relation: Relation, condition: Callable[[Viewer, Any], bool]) -> None:
    """An app states when a viewer stands in one of its relations (called from its ``AppConfig.ready``)."""
    _CONDITIONS[relation] = condition


# --- Relations -------------------------------------------------------------------------------------------


def _place(record: Any) -> Any:
    """Where a record sits: itself, or (for an evidence file) its home incident."""
    if hasattr(record, "store_id") or hasattr(record, "retailer_id") or hasattr(record, "kind"):
        return record
    return getattr(record, "incident", record)


def _store_id(record: Any) -> int | None:
    place = _place(record)
    if hasattr(place, "retailer_id"):  # a store
        return int(place.pk)
    value = getattr(place, "store_id", None)
    return int(value) if value is not None else None


def _retailer_id(record: Any) -> int | None:
    place = _place(record)
    if hasattr(place, "retailer_id"):
        return int(place.retailer_id)
    store = getattr(place, "store", None) if getattr(place, "store_id", None) is not None else None
    return int(store.retailer_id) if store is not None else None


def _force_id(record: Any) -> int | None:
    place = _place(record)
    value = getattr(place, "force_id", None)
    return int(value) if value is not None else None


def _holds(viewer: Viewer, relation: Relation, record: Any) -> bool:
    """Whether the viewer stands in this relation to the record (None: to some record)."""
    if relation in (Relation.ANYWHERE, Relation.ROLE_ALONE):
        return True
    if relation in _CONDITIONS:
        return _CONDITIONS[relation](viewer, record)
    if relation is Relation.FACE_SEARCH_PARTNERSHIP:
        return False  # the faces app is not installed
    if record is None:
        return {
            Relation.OWN_STORE: bool(viewer.store_ids),
            Relation.MANAGES_STORE: bool(viewer.store_ids),
            Relation.OWN_ESTATE: bool(viewer.org_wide_ids),
            Relation.OWNING_ORGANISATION: bool(viewer.org_wide_ids),
            Relation.ORGANISATION_STAFF: bool(viewer.org_wide_ids),
            Relation.TAKES_PART: bool(viewer.partnership_ids),
            Relation.MANAGED_PARTNERSHIP: bool(viewer.managed_partnership_ids),
            Relation.PARTNERSHIP_STORE: bool(viewer.managed_partnership_ids),
            Relation.FORCE_AREA: bool(viewer.police_force_ids),
            Relation.POLICE: viewer.is_police,
            Relation.KEEPING_PARTNERSHIP: bool(viewer.managed_partnership_ids),
            Relation.REPORTS_FOR_STORE: bool(viewer.reportable_store_ids),
            Relation.SCRUTINISES_FORCE_AREA: viewer.force_id is not None,
            Relation.NAVIGATES_FOR: Role.NAVIGATOR in viewer.roles,
        }[relation]
    if relation is Relation.OWN_STORE:
        return _store_id(record) in viewer.store_ids
    if relation is Relation.MANAGES_STORE:
        store_id = _store_id(record)
        return (
            store_id is not None
            and viewer.user_id is not None
            and store_id in viewer.store_ids
            and Membership.objects.filter(
                user_id=viewer.user_id, role=Role.STORE_MANAGER, store_id=store_id, active=True
            ).exists()
        )
    if relation is Relation.OWN_ESTATE:
        return _retailer_id(record) in viewer.org_wide_ids
    if relation is Relation.OWNING_ORGANISATION:
        return getattr(record, "owner_org_id", None) in viewer.org_wide_ids
    if relation is Relation.ORGANISATION_STAFF:
        return hasattr(record, "kind") and record.pk in viewer.org_wide_ids
    if relation is Relation.TAKES_PART:
        return getattr(record, "kind", None) == OrganisationKind.PARTNERSHIP and (
            record.pk in viewer.partnership_ids
        )
    if relation is Relation.MANAGED_PARTNERSHIP:
        return getattr(record, "kind", None) == OrganisationKind.PARTNERSHIP and (
            record.pk in viewer.managed_partnership_ids
        )
    if relation is Relation.PARTNERSHIP_STORE:
        # A partnership manager reports for the stores of the partnerships they manage.
        store_id = _store_id(record)
        return (
            store_id is not None
            and bool(viewer.managed_partnership_ids)
            and Store.partnerships.through.objects.filter(
                store_id=store_id, organisation_id__in=viewer.managed_partnership_ids
            ).exists()
        )
    if relation is Relation.FORCE_AREA:
        return _force_id(record) in viewer.police_force_ids
    if relation is Relation.POLICE:
        return viewer.is_police
    if relation is Relation.KEEPING_PARTNERSHIP:
        return getattr(record, "partnership_id", None) in viewer.managed_partnership_ids
    if relation is Relation.REPORTS_FOR_STORE:
        store_id = _store_id(record)
        return store_id is not None and viewer.can_report_for(store_id)
    if relation is Relation.SCRUTINISES_FORCE_AREA:
        return viewer.force_id is not None and _force_id(record) == viewer.force_id
    if relation is Relation.NAVIGATES_FOR:
        # The record is the navigator organisation, or one of its cases.
        organisation_id = record.pk if isinstance(record, Organisation) else record.organisation_id
        return (
            viewer.user_id is not None
            and Membership.objects.filter(
                user_id=viewer.user_id, role=Role.NAVIGATOR, organisation_id=organisation_id, active=True
            ).exists()
        )
    raise AssertionError(relation)


def relations(viewer: Viewer, record: Any) -> set[Relation]:
    """Every relation the viewer stands in to the record (for tests and explanations)."""
    return {relation for relation in Relation if _holds(viewer, relation, record)}


def can(viewer: Viewer, action: Action | str, record: Any = None) -> bool:
    """Whether the viewer may take the action (on the record; without one: on some record)."""
    action = Action(action)
    if viewer.user_id is None and viewer.channel in SYSTEM_JOBS.get(action, ()):
        return True
    if viewer.user_id is None and not viewer.platform_admin:
        return False
    if (
        record is not None
        and action in _ON_A_PARTNERSHIP
        and getattr(record, "kind", None) != (OrganisationKind.PARTNERSHIP)
    ):
        return False
    rows = CAPABILITIES[action]
    roles = set(viewer.roles)
    if viewer.platform_admin:
        roles.add(Role.PLATFORM_ADMIN)
    return any(role in roles and _holds(viewer, relation, record) for role, relation in rows)


def can_any(viewer: Viewer, action: Action | str, records: Iterable[Any]) -> bool:
    """Whether the viewer may take the action on at least one of the records (an action on something that
    sits in several places, such as an evidence file on each incident it is linked to)."""
    return any(can(viewer, action, record) for record in records)


def require_any(
    viewer: Viewer, action: Action | str, records: Iterable[Any], *, field: str = "", message: str = ""
) -> None:
    """Raise :class:`NotEntitled` (403, naming the field) unless the viewer may take the action on at least
    one of the records."""
    if can_any(viewer, action, records):
        return
    default_field, default_message = REFUSALS[Action(action)]
    raise NotEntitled([FieldError(field or default_field, message or default_message)])


def require(
    viewer: Viewer, action: Action | str, record: Any = None, *, field: str = "", message: str = ""
) -> None:
    """Raise :class:`NotEntitled` (403, naming the field) unless the viewer may take the action."""
    if can(viewer, action, record):
        return
    default_field, default_message = REFUSALS[Action(action)]
    raise NotEntitled([FieldError(field or default_field, message or default_message)])


class Abilities(Mapping[str, bool]):
    """What a viewer may do somewhere, by action name, asked of the table only when a page reads it: the
    templates' ``can.<action>`` (``core.context_processors.viewer``), for menus and buttons shown before a
    record is chosen. An unknown name is missing (a template reads it as false)."""

    def __init__(self, viewer: Viewer) -> None:
        self._viewer = viewer
        self._known: dict[Action, bool] = {}

    def __getitem__(self, name: str) -> bool:
        try:
            action = Action(name)
        except ValueError:
            raise KeyError(name) from None
        if action not in self._known:
            self._known[action] = can(self._viewer, action)
        return self._known[action]

    def __iter__(self) -> Iterator[str]:
        return iter(action.value for action in Action)

    def __len__(self) -> int:
        return len(Action)
