"""The case file as a PDF, laid out for print (`shopwatch.core.printing`): a cover with the case reference,
force, crime numbers and officer; the MG5 summary; each incident on pages of its own (what happened, the
offender description, vehicles, flags, value, witnesses, exhibits with their hashes and chain of custody,
linked persons the reader may see); MG11 statements, the MG12 exhibit list, Impact Statements for Business,
and for an offender the Criminal Behaviour Order pack with a location map."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from shopwatch.core.printing import FONT, PrintedDocument
from shopwatch.evidence.models import CustodyEntry
from shopwatch.reporting.models import IncidentOffender, IncidentType, IncidentVehicle

if TYPE_CHECKING:
    from shopwatch.reporting.models import Incident

    from .models import CaseFile, ImpactStatement, WitnessStatement
    from .services.casefiles import Exhibit


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%d %b %Y %H:%M") if value else "-"


@dataclass
class _IncidentFacts:
    offenders: list[IncidentOffender] = field(default_factory=list)
    vehicles: list[IncidentVehicle] = field(default_factory=list)
    exhibits: list[Exhibit] = field(default_factory=list)
    statements: list[WitnessStatement] = field(default_factory=list)


def incident_flags(incident: Incident, repeat: bool) -> list[str]:
    """The flags a reader of a case file looks for first: violence, weapon, threats, repeat offender, then
    the rest the report carried."""
    flags = []
    if incident.flag_violence or incident.type in (IncidentType.VIOLENCE, IncidentType.ROBBERY):
        flags.append("Violence")
    if incident.flag_weapon:
        flags.append("Weapon")
    if incident.type == IncidentType.THREATS_ABUSE:
        flags.append("Threats")
    if repeat:
        flags.append("Repeat offender")
    for attr, label in (
        ("flag_staff_injured", "Staff injured"),
        ("flag_hate", "Hate-related"),
        ("flag_offender_detained", "Offender detained"),
        ("flag_offender_nearby", "Offender still nearby"),
    ):
        if getattr(incident, attr):
            flags.append(label)
    return flags


def _map(pdf: PrintedDocument, incidents: list[Incident]) -> None:
    """A schematic map: each store where the offender offended, placed by its coordinates."""
    points: dict[int, tuple[float, float, str, int]] = {}
    for inc in incidents:
        s = inc.store
        lat, lon, name, n = points.get(s.pk, (s.latitude, s.longitude, s.name, 0))
        points[s.pk] = (lat, lon, name, n + 1)
    if not points:
        return
    h = 90.0
    pdf.keep_space(h + 12)
    x0, y0, w = pdf.l_margin, pdf.get_y(), pdf.epw
    pdf.rect(x0, y0, w, h)
    lats = [p[0] for p in points.values()]
    lons = [p[1] for p in points.values()]
    pad = 0.005
    lat_min, lat_max = min(lats) - pad, max(lats) + pad
    lon_min, lon_max = min(lons) - pad, max(lons) + pad
    pdf.set_font(FONT, size=7)
    for lat, lon, name, n in points.values():
        x = x0 + 5 + (lon - lon_min) / (lon_max - lon_min) * (w - 60)
        y = y0 + 5 + (lat_max - lat) / (lat_max - lat_min) * (h - 10)
        pdf.circle(x=x, y=y, radius=1.5 + min(n, 10) * 0.3, style="F")
        pdf.text(x + 3, y + 1, f"{name[:40]} ({n})")
    pdf.set_y(y0 + h + 3)
    pdf.para(
        f"Stores by position (latitude {lat_min:.4f} to {lat_max:.4f}, longitude "
        f"{lon_min:.4f} to {lon_max:.4f}); the number is incidents at each.",
        size=8,
        height=4,
    )


def _facts(
    incidents: list[Incident], exhibits: list[Exhibit], statements: list[WitnessStatement]
) -> tuple[dict[int, _IncidentFacts], set[int]]:
    facts = {i.pk: _IncidentFacts() for i in incidents}
    for o in (
        IncidentOffender.objects.filter(incident_id__in=list(facts)).select_related("person").order_by("id")
    ):
        facts[o.incident_id].offenders.append(o)
    for v in (
        IncidentVehicle.objects.filter(incident_id__in=list(facts)).select_related("vehicle").order_by("id")
    ):
        facts[v.incident_id].vehicles.append(v)
    for ex in exhibits:
        facts[ex.incident.pk].exhibits.append(ex)
    for s in statements:
        if s.incident_id in facts:
            facts[s.incident_id].statements.append(s)
    person_ids = {o.person_id for f in facts.values() for o in f.offenders if o.person_id}
    counts: dict[int, int] = defaultdict(int)
    for pid in IncidentOffender.objects.filter(person_id__in=person_ids).values_list("person_id", flat=True):
        counts[pid] += 1
    repeaters = {pid for pid, n in counts.items() if n > 1}
    return facts, repeaters


def _cover(pdf: PrintedDocument, case: CaseFile, incidents: list[Incident], exhibits: list[Exhibit]) -> None:
    pdf.add_page()
    pdf.ln(20)
    pdf.para("CASE FILE", size=24, bold=True, height=11)
    pdf.para(case.title, size=16, bold=True, height=8)
    pdf.ln(6)
    crime_numbers = sorted({i.crime_reference for i in incidents if i.crime_reference})
    officer = case.created_by.full_name if case.created_by else "-"
    pdf.field("Case reference", case.reference, label_w=50, size=11)
    pdf.field("Kind", case.get_kind_display(), label_w=50, size=11)
    pdf.field("Force", case.force.name, label_w=50, size=11)
    pdf.field("Crime number(s)", ", ".join(crime_numbers) or "None recorded yet", label_w=50, size=11)
    pdf.field("Officer in the case", f"{officer}, {case.force.name}", label_w=50, size=11)
    pdf.field("Prepared", _when(case.created_at), label_w=50, size=11)
    pdf.field("Printed", _when(timezone.now()), label_w=50, size=11)
    pdf.field(
        "Contents",
        f"{len(incidents)} incident(s), {len(exhibits)} exhibit(s)",
        label_w=50,
        size=11,
    )
    pdf.ln(6)
    pdf.para("Incidents in this file", bold=True)
    for n, inc in enumerate(incidents, start=1):
        pdf.para(
            f"{n}. {inc.reference} - {_when(inc.occurred_at)} - {inc.store.name}"
            + (f" - crime number {inc.crime_reference}" if inc.crime_reference else ""),
            size=9,
            height=4.5,
        )


def _incident(
    pdf: PrintedDocument,
    n: int,
    total: int,
    inc: Incident,
    facts: _IncidentFacts,
    repeaters: set[int],
    visible_person_ids: set[int],
    custody: dict[int, list[CustodyEntry]],
) -> None:
    pdf.add_page()
    pdf.heading(f"Incident {n} of {total}: {inc.reference}")
    store = inc.store
    pdf.field("Reference", inc.reference)
    pdf.field("Crime number", inc.crime_reference or "Not yet recorded")
    pdf.field("When", _when(inc.occurred_at))
    pdf.field("Store", store.name)
    pdf.field("Address", f"{store.address}, {store.town} {store.postcode}")
    if inc.location_detail:
        pdf.field("Where in the store", inc.location_detail)
    pdf.field("Type", inc.get_type_display())
    repeat = any(o.person_id in repeaters for o in facts.offenders)
    pdf.field("Flags", ", ".join(incident_flags(inc, repeat)) or "None")
    pdf.field("Value", f"£{inc.goods_value:,.2f}")
    pdf.heading("What happened", size=11)
    pdf.para(inc.description)

    pdf.heading("Offender description", size=11)
    if not facts.offenders:
        pdf.para("No offender described.")
    for k, o in enumerate(facts.offenders, start=1):
        parts = [o.description] if o.description else []
        if o.person_id and o.person_id in visible_person_ids and o.person is not None:
            parts.append(f"Linked person: {o.person.display_name}")
        elif o.person_id:
            parts.append("Linked to a person record held by another organisation.")
        pdf.field(f"Offender {k}", "\n".join(parts) or "No description given.")

    pdf.heading("Vehicles", size=11)
    if not facts.vehicles:
        pdf.para("No vehicle reported.")
    for v in facts.vehicles:
        car = v.vehicle
        what = " ".join(x for x in (car.colour, car.make, car.model) if x)
        pdf.field(car.registration, "; ".join(x for x in (what, v.description) if x) or "-")

    pdf.heading("Witnesses and statements", size=11)
    if not facts.statements:
        pdf.para("No statement taken for this incident.")
    for s in facts.statements:
        signed = f"signed {_when(s.signed_at)}" if s.signed_at else "not yet signed"
        pdf.field("MG11", f"{s.witness.full_name}, {s.occupation or '-'} ({signed})")

    pdf.heading("Evidence", size=11)
    if not facts.exhibits:
        pdf.para("No evidence files.")
    for ex in facts.exhibits:
        f = ex.evidence
        pdf.keep_space(30)
        pdf.field(ex.ref, f"{f.original_filename} ({f.content_type}, {f.size:,} bytes)")
        pdf.field("SHA-256", f.sha256, size=8)
        chain = custody.get(f.pk, [])
        lines = [
            f"{e.seq}. {_when(e.at)} {e.get_action_display().lower()} by {e.actor_label} ({e.channel})"
            for e in chain
        ]
        pdf.field("Custody", "\n".join(lines) or "No entries.", size=8)


def casefile_pdf(
    *,
    case: CaseFile,
    incidents: list[Incident],
    exhibits: list[Exhibit],
    statements: list[WitnessStatement],
    impacts: list[ImpactStatement],
    visible_person_ids: set[int],
) -> bytes:
    """The printed case file. `incidents` and `exhibits` are those the reader may see; persons are named only
    where their id is in `visible_person_ids`."""
    from .services.casefiles import declaration_for

    pdf = PrintedDocument(title=f"{case.reference} - {case.title}")
    facts, repeaters = _facts(incidents, exhibits, statements)
    custody: dict[int, list[CustodyEntry]] = defaultdict(list)
    for entry in CustodyEntry.objects.filter(evidence_id__in=[e.evidence.pk for e in exhibits]).order_by(
        "evidence_id", "seq"
    ):
        custody[entry.evidence_id].append(entry)

    _cover(pdf, case, incidents, exhibits)
    pdf.add_page()
    pdf.heading("MG5 Case summary")
    pdf.para(case.summary or "No summary written yet.")

    for n, inc in enumerate(incidents, start=1):
        _incident(pdf, n, len(incidents), inc, facts[inc.pk], repeaters, visible_person_ids, custody)

    for s in statements:
        pdf.add_page()
        pdf.heading("MG11 Witness statement")
        pdf.field("Statement of", s.witness.full_name)
        pdf.field("Occupation", s.occupation or "-")
        pdf.field("Incident", s.incident.reference)
        pdf.para(declaration_for(s) if not s.declaration else s.declaration, size=9)
        pdf.para(s.text)
        if s.signed_at:
            pdf.para(f"Signed: {s.signed_name}, {_when(s.signed_at)} (on the witness's own device).")
            pdf.field("SHA-256 of the signed text", s.signed_text_sha256, label_w=55, size=8)
        else:
            pdf.para("NOT YET SIGNED BY THE WITNESS.", bold=True)

    pdf.add_page()
    pdf.heading("MG12 Exhibit list")
    for ex in exhibits:
        pdf.keep_space(14)
        pdf.field(
            ex.ref,
            f"{ex.evidence.original_filename} ({ex.evidence.content_type}, {ex.evidence.size:,} bytes) - "
            f"{ex.incident.reference}"
            + ("" if ex.matches else " - DOES NOT MATCH THE HASH TAKEN ON ARRIVAL"),
            size=9,
        )
        pdf.field("SHA-256", ex.sha256 or ex.evidence.sha256, size=8)
    if not exhibits:
        pdf.para("No exhibits.")

    for isb in impacts:
        pdf.add_page()
        pdf.heading("Impact Statement for Business")
        pdf.para(
            f"{isb.retailer.name}. Given by {isb.author.full_name}, {isb.author_position}, "
            f"on {_when(isb.created_at)}."
        )
        pdf.para(isb.text)

    if case.kind == "offender":
        pdf.add_page()
        person = case.person
        pdf.heading(f"Criminal Behaviour Order pack: {person.display_name if person else '-'}")
        pdf.heading("Lead officer's summary of offending history", size=11)
        pdf.para(case.offending_history or "Not written yet.")
        pdf.heading("Proposed exclusion zone", size=11)
        pdf.para(case.exclusion_zone or "None proposed.")
        _map(pdf, incidents)
    return pdf.bytes()
