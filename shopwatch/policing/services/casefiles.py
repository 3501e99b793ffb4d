"""Case files: MG5 summary, MG11 statements signed by the witness, MG12 exhibits with hashes, the Impact
Statement for Business, and for prolific offenders a Criminal Behaviour Order pack. Exported as PDF + ZIP."""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.errors import Conflict, FieldError, NotEntitled, ValidationFailed, clean_text
from shopwatch.core.models import STORE_ROLES, AuditAction, Membership, Role, User
from shopwatch.evidence.custody import custody_append
from shopwatch.evidence.models import CustodyAction, EvidenceFile, EvidenceLink
from shopwatch.evidence.selectors import evidence_for_incidents, on_incidents_q
from shopwatch.reporting.models import Incident
from shopwatch.subjects.models import Person
from shopwatch.subjects.selectors import person_queryset

from ..models import STATUTORY_DECLARATION, CaseFile, ImpactStatement, Series, WitnessStatement
from .common import force_incidents, require_investigator

MAX_TEXT = 20_000
CHARS_PER_PAGE = 3000


def _text(
    errors: list[FieldError], name: str, value: str, *, required: bool = False, limit: int = MAX_TEXT
) -> str:
    return clean_text(name, value, limit, errors, required=required)


@transaction.atomic
def casefile_create(
    *,
    viewer: Viewer,
    kind: str,
    title: str,
    incident: Incident | None = None,
    series: Series | None = None,
    person: Person | None = None,
    summary: str = "",
    offending_history: str = "",
    exclusion_zone: str = "",
) -> CaseFile:
    require_investigator(viewer)
    errors: list[FieldError] = []
    title = _text(errors, "title", title, required=True, limit=200)
    summary = _text(errors, "summary", summary)
    offending_history = _text(errors, "offending_history", offending_history)
    exclusion_zone = _text(errors, "exclusion_zone", exclusion_zone, limit=2000)
    force_id = min(viewer.police_force_ids) if viewer.police_force_ids else None
    if kind == CaseFile.Kind.INCIDENT:
        if incident is None or not force_incidents(viewer).filter(pk=incident.pk).exists():
            errors.append(FieldError("incident", "Choose an incident of your force."))
        else:
            force_id = incident.force_id
    elif kind == CaseFile.Kind.SERIES:
        if series is None or series.force_id not in viewer.police_force_ids:
            errors.append(FieldError("series", "Choose a series of your force."))
        else:
            force_id = series.force_id
    elif kind == CaseFile.Kind.OFFENDER:
        if person is None:
            errors.append(FieldError("person", "Choose the offender."))
        elif not (
            person_queryset(viewer).filter(pk=person.pk).exists()
            or force_incidents(viewer).filter(offenders__person=person).exists()
        ):
            # Police know an offender from the incidents sent to them, or from a record shared with them.
            errors.append(FieldError("person", "Choose an offender named in your force's incidents."))
    else:
        errors.append(FieldError("kind", "Choose one incident, a series or an offender."))
    if force_id is None:
        errors.append(FieldError("force", "You are not a member of a police force."))
    if errors or force_id is None:
        raise ValidationFailed(errors)
    case = CaseFile.objects.create(
        force_id=force_id,
        kind=kind,
        title=title,
        incident=incident,
        series=series,
        person=person,
        summary=summary,
        offending_history=offending_history,
        exclusion_zone=exclusion_zone,
        created_by_id=viewer.user_id,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="case_file",
        object_id=case.pk,
        organisation_id=force_id,
        summary=f"Case file '{title}'",
    )
    return case


def casefile_incidents(viewer: Viewer, case: CaseFile) -> QuerySet[Incident]:
    """The incidents a case file covers, as the viewer may see them, oldest first."""
    qs = force_incidents(viewer).filter(force_id=case.force_id)
    if case.kind == CaseFile.Kind.INCIDENT:
        qs = qs.filter(pk=case.incident_id or 0)
    elif case.kind == CaseFile.Kind.SERIES:
        qs = qs.filter(series_links__series_id=case.series_id or 0)
    else:
        qs = qs.filter(offenders__person_id=case.person_id or 0)
    return qs.select_related("store", "store__retailer").distinct().order_by("occurred_at", "id")


# --- MG11 witness statements ----------------------------------------------------------------------------


@transaction.atomic
def statement_create(
    *,
    viewer: Viewer,
    case_file: CaseFile,
    incident: Incident,
    witness_id: int,
    text: str,
    occupation: str = "",
) -> WitnessStatement:
    """The investigator writes up a store colleague's account; the colleague then signs it on their phone."""
    require_investigator(viewer)
    errors: list[FieldError] = []
    text = _text(errors, "text", text, required=True)
    occupation = _text(errors, "occupation", occupation, limit=100)
    if not casefile_incidents(viewer, case_file).filter(pk=incident.pk).exists():
        errors.append(FieldError("incident", "Choose an incident in this case file."))
    witness = User.objects.filter(
        pk=witness_id,
        is_active=True,
        memberships__active=True,
        memberships__store_id=incident.store_id,
        memberships__role__in=STORE_ROLES,
    ).first()
    if witness is None:
        errors.append(FieldError("witness", "Choose a colleague at the store where it happened."))
    if errors:
        raise ValidationFailed(errors)
    assert witness is not None
    statement = WitnessStatement.objects.create(
        case_file=case_file,
        incident=incident,
        witness=witness,
        occupation=occupation,
        text=text,
        taken_by_id=viewer.user_id,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="witness_statement",
        object_id=statement.pk,
        store_id=incident.store_id,
        organisation_id=case_file.force_id,
        summary=f"MG11 from {witness.full_name} for {incident.reference}",
    )
    from .notifications import notification_create_for_store

    notification_create_for_store(
        incident=incident,
        subject=f"{incident.reference}: a statement to sign",
        body=f"{witness.full_name}: please read and sign your witness statement at "
        f"/police/statements/{statement.pk}/sign/",
    )
    return statement


def statement_pages(text: str) -> int:
    return max(1, math.ceil(len(text) / CHARS_PER_PAGE))


def declaration_for(statement: WitnessStatement) -> str:
    return STATUTORY_DECLARATION.format(pages=statement_pages(statement.text))


def statement_for_witness(*, viewer: Viewer, statement_id: int) -> WitnessStatement:
    """A statement for its witness to read and sign; anyone else gets the same 404 as a missing one."""
    from django.http import Http404

    try:
        return WitnessStatement.objects.select_related("incident", "incident__store", "witness").get(
            pk=statement_id, witness_id=viewer.user_id
        )
    except WitnessStatement.DoesNotExist as exc:
        raise Http404("Not found.") from exc


@transaction.atomic
def statement_sign(
    *, viewer: Viewer, statement: WitnessStatement, signed_name: str, declaration: bool
) -> WitnessStatement:
    """The witness signs their own statement, with the statutory declaration, on their own device."""
    if viewer.user_id != statement.witness_id:
        raise NotEntitled([FieldError("statement", "Only the witness can sign their statement.")])
    if statement.signed_at is not None:
        raise Conflict([FieldError("statement", "This statement is already signed.")], title="Already signed")
    errors: list[FieldError] = []
    name = _text(errors, "signed_name", signed_name, required=True, limit=200)
    if not errors and name.casefold() != statement.witness.full_name.strip().casefold():
        errors.append(FieldError("signed_name", f"Type your full name as {statement.witness.full_name}."))
    if not declaration:
        errors.append(FieldError("declaration", "Tick the box to confirm the declaration."))
    if errors:
        raise ValidationFailed(errors)
    statement.signed_name = name
    statement.signed_at = timezone.now()
    statement.declaration = declaration_for(statement)
    statement.signed_text_sha256 = hashlib.sha256(statement.text.encode()).hexdigest()
    statement.save(update_fields=["signed_name", "signed_at", "declaration", "signed_text_sha256"])
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="witness_statement",
        object_id=statement.pk,
        store_id=statement.incident.store_id,
        summary="MG11 signed by the witness",
    )
    return statement


# --- Impact Statement for Business ----------------------------------------------------------------------


@transaction.atomic
def impact_statement_add(*, viewer: Viewer, case_file: CaseFile, text: str, position: str) -> ImpactStatement:
    """Given by a person the retailer authorises: its retail security manager or a store manager."""
    if viewer.user_id is None:
        raise NotEntitled([FieldError("author", "Sign in to give an Impact Statement for Business.")])
    incidents = Incident.objects.filter(pk__in=_case_incident_ids(case_file))
    retailer_ids = set(incidents.values_list("owner_org_id", flat=True))
    mine = set(
        Membership.objects.filter(
            user_id=viewer.user_id,
            active=True,
            organisation_id__in=retailer_ids,
            role__in=[Role.RETAIL_SECURITY_MANAGER, Role.STORE_MANAGER],
        ).values_list("organisation_id", flat=True)
    )
    if not mine:
        raise NotEntitled([FieldError("author", "Only a manager authorised by the retailer can give this.")])
    errors: list[FieldError] = []
    text = _text(errors, "text", text, required=True)
    position = _text(errors, "position", position, required=True, limit=100)
    if errors:
        raise ValidationFailed(errors)
    assert viewer.user_id is not None
    isb = ImpactStatement.objects.create(
        case_file=case_file,
        retailer_id=min(mine),
        author_id=viewer.user_id,
        author_position=position,
        text=text,
    )
    audit_record(
        viewer=viewer,
        action=AuditAction.CREATE,
        object_type="impact_statement",
        object_id=isb.pk,
        organisation_id=min(mine),
        summary=f"Impact Statement for Business for case {case_file.pk}",
    )
    return isb


def _case_incident_ids(case: CaseFile) -> list[int]:
    if case.kind == CaseFile.Kind.INCIDENT:
        return [case.incident_id] if case.incident_id else []
    if case.kind == CaseFile.Kind.SERIES:
        return list(
            Incident.objects.filter(series_links__series_id=case.series_id or 0).values_list("pk", flat=True)
        )
    return list(
        Incident.objects.filter(
            force_id=case.force_id, sent_to_police=True, offenders__person_id=case.person_id or 0
        ).values_list("pk", flat=True)
    )


# --- Export ------------------------------------------------------------------------------------------------


@dataclass
class Exhibit:
    ref: str
    evidence: EvidenceFile
    incident: Incident
    zip_name: str
    sha256: str = ""
    matches: bool = False


def _exhibits(viewer: Viewer, case: CaseFile, incidents: list[Incident]) -> list[Exhibit]:
    """The case's exhibits: each file of its incidents once (a file linked to several of them is one
    exhibit, listed under the earliest), only what the investigator may see and what still exists."""
    by_id = {i.pk: i for i in incidents}
    files = evidence_for_incidents(viewer=viewer, incident_ids=list(by_id))
    links: dict[int, list[int]] = {}
    for evidence_id, incident_id in EvidenceLink.objects.filter(
        evidence_id__in=[f.pk for f in files], incident_id__in=list(by_id)
    ).values_list("evidence_id", "incident_id"):
        links.setdefault(evidence_id, []).append(incident_id)

    def home(f: EvidenceFile) -> Incident:
        ids = ([f.incident_id] if f.incident_id in by_id else []) + links.get(f.pk, [])
        return min((by_id[i] for i in ids), key=lambda i: (i.occurred_at, i.pk))

    placed = sorted(
        ((home(f), f) for f in files), key=lambda p: (p[0].occurred_at, p[0].pk, p[1].created_at, p[1].pk)
    )
    initials = (
        "".join(w[0] for w in (case.created_by.full_name.split() if case.created_by else []) if w)[:3] or "EX"
    )
    out = []
    for n, (incident, f) in enumerate(placed, start=1):
        ref = f"{initials.upper()}/{n}"
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in f.original_filename)[:100]
        out.append(Exhibit(ref=ref, evidence=f, incident=incident, zip_name=f"exhibits/{n:04d}-{safe}"))
    return out


def _deleted_under_retention(incidents: list[Incident]) -> list[dict[str, object]]:
    """Files of the case's incidents that retention deleted: named in the manifest, not exported."""
    ids = [i.pk for i in incidents]
    return [
        {
            "incident": f.incident.reference,
            "original_filename": f.original_filename,
            "sha256": f.sha256,
            "deleted_at": f.deleted_at.isoformat() if f.deleted_at else None,
        }
        for f in EvidenceFile.objects.filter(on_incidents_q(ids), deleted_at__isnull=False)
        .select_related("incident")
        .order_by("id")
    ]


def casefile_export(*, viewer: Viewer, case_file: CaseFile) -> bytes:
    """The ZIP: case-file.pdf, every exhibit's original bytes, and manifest.json with each file's SHA-256.

    Each exhibit is hashed as it is copied; the manifest says whether it matches the hash taken on arrival.
    Files deleted under retention are named in the manifest, not exported. Each exported file's chain of
    custody records the export (case file and exhibit reference), in the same transaction as the audit.
    """
    require_investigator(viewer)
    from ..pdf import casefile_pdf

    incidents = list(casefile_incidents(viewer, case_file))
    exhibits = _exhibits(viewer, case_file, incidents)
    statements = list(
        WitnessStatement.objects.filter(case_file=case_file)
        .select_related("witness", "incident")
        .order_by("created_at", "id")
    )
    impacts = list(ImpactStatement.objects.filter(case_file=case_file).select_related("author", "retailer"))
    buffer = io.BytesIO()
    manifest_files = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for ex in exhibits:
            digest = hashlib.sha256()
            size = 0
            # Photos and video are compressed already: store them as they are (much faster, same size).
            info = zipfile.ZipInfo(
                ex.zip_name, date_time=timezone.localtime(ex.evidence.created_at).timetuple()[:6]
            )
            info.compress_type = zipfile.ZIP_STORED
            with ex.evidence.file.open("rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                for chunk in iter(lambda: src.read(1024 * 1024), b""):
                    digest.update(chunk)
                    size += len(chunk)
                    dst.write(chunk)
            ex.sha256 = digest.hexdigest()
            ex.matches = ex.sha256 == ex.evidence.sha256
            manifest_files.append(
                {
                    "path": ex.zip_name,
                    "sha256": ex.sha256,
                    "size": size,
                    "exhibit": ex.ref,
                    "incident": ex.incident.reference,
                    "original_filename": ex.evidence.original_filename,
                    "sha256_on_arrival": ex.evidence.sha256,
                    "matches_arrival_hash": ex.matches,
                }
            )
        pdf = casefile_pdf(
            case=case_file,
            incidents=incidents,
            exhibits=exhibits,
            statements=statements,
            impacts=impacts,
            visible_person_ids=set(
                person_queryset(viewer)
                .filter(incident_links__incident__in=incidents)
                .values_list("pk", flat=True)
            ),
        )
        zf.writestr("case-file.pdf", pdf)
        manifest_files.insert(
            0, {"path": "case-file.pdf", "sha256": hashlib.sha256(pdf).hexdigest(), "size": len(pdf)}
        )
        manifest = {
            "case_file": case_file.pk,
            "title": case_file.title,
            "kind": case_file.kind,
            "force": case_file.force.name,
            "generated_at": timezone.now().isoformat(),
            "incidents": [i.reference for i in incidents],
            "statements": [
                {
                    "witness": s.witness.full_name,
                    "incident": s.incident.reference,
                    "signed_at": s.signed_at.isoformat() if s.signed_at else None,
                    "text_sha256": hashlib.sha256(s.text.encode()).hexdigest(),
                    "signed_text_sha256": s.signed_text_sha256,
                }
                for s in statements
            ],
            "files": manifest_files,
            "all_exhibits_match": all(e.matches for e in exhibits),
            "deleted_under_retention": _deleted_under_retention(incidents),
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
    with transaction.atomic():
        for ex in exhibits:
            custody_append(
                evidence=ex.evidence,
                action=CustodyAction.EXPORTED,
                viewer=viewer,
                detail={
                    "case_file": case_file.pk,
                    "exhibit": ex.ref,
                    "incident": ex.incident.reference,
                    "sha256_exported": ex.sha256,
                },
            )
        _audit_export(viewer, case_file, incidents, exhibits)
    return buffer.getvalue()


def _audit_export(
    viewer: Viewer, case_file: CaseFile, incidents: list[Incident], exhibits: list[Exhibit]
) -> None:
    audit_record(
        viewer=viewer,
        action=AuditAction.EXPORT,
        object_type="case_file",
        object_id=case_file.pk,
        organisation_id=case_file.force_id,
        summary=f"Case file '{case_file.title}' exported: {len(incidents)} incidents, "
        f"{len(exhibits)} exhibits",
        detail={"incidents": [i.pk for i in incidents], "evidence": [e.evidence.pk for e in exhibits]},
    )


@transaction.atomic
def impact_statement_request(*, viewer: Viewer, case_file: CaseFile) -> int:
    """Ask the retailer(s) in a case for an Impact Statement for Business; their store managers are told."""
    require_investigator(viewer)
    from .notifications import notification_create_for_store

    incidents = list(casefile_incidents(viewer, case_file))
    told = 0
    seen_stores: set[int] = set()
    for incident in incidents:
        if incident.store_id in seen_stores:
            continue
        seen_stores.add(incident.store_id)
        told += len(
            notification_create_for_store(
                incident=incident,
                subject=f"{incident.reference}: an Impact Statement for Business is asked for",
                body=f"The police ask for an Impact Statement for Business for '{case_file.title}'. "
                "A store manager or the retailer's security manager can give it at "
                f"/police/case-files/{case_file.pk}/impact/",
            )
        )
    audit_record(
        viewer=viewer,
        action=AuditAction.CHANGE,
        object_type="case_file",
        object_id=case_file.pk,
        organisation_id=case_file.force_id,
        summary="Impact Statement for Business requested",
    )
    return told


def impact_case_for_retailer(*, viewer: Viewer, case_file_id: int) -> CaseFile:
    """A case file, for a manager of a retailer with an incident in it (to give their statement); else 404."""
    from django.http import Http404

    try:
        case = CaseFile.objects.select_related("force").get(pk=case_file_id)
    except CaseFile.DoesNotExist as exc:
        raise Http404("Not found.") from exc
    retailers = set(
        Incident.objects.filter(pk__in=_case_incident_ids(case)).values_list("owner_org_id", flat=True)
    )
    allowed = Membership.objects.filter(
        user_id=viewer.user_id or 0,
        active=True,
        organisation_id__in=retailers,
        role__in=[Role.RETAIL_SECURITY_MANAGER, Role.STORE_MANAGER],
    ).exists()
    if not allowed:
        raise Http404("Not found.")
    return case
