"""Printable documents, laid out for print (`shopwatch.core.printing`): the staff-room gallery (watermarked
with who printed it), warning letters and exclusion notices (with the person's photo where the reader may see
it, and every premises the notice covers)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from shopwatch.core.audit import audit_record
from shopwatch.core.entitlements import Viewer
from shopwatch.core.models import AuditAction, Store
from shopwatch.core.printing import FONT, SIDE, PrintedDocument
from shopwatch.subjects.models import Person, PersonPhoto
from shopwatch.subjects.services import person_photo_thumbnail_ensure

from .models import ExclusionNotice, WarningLetter
from .selectors import GalleryCard, exclusion_notice_get, person_photo_visible, warning_letter_get

# Where the photo goes on a notice or letter: top right of the first page's body, in millimetres.
PHOTO_BOX = (147.0, 24.0, 45.0, 56.0)  # x, y, w, h


def _thumbnail(photo: PersonPhoto | None) -> bytes | None:
    # The thumbnail: upright, small whatever the phone took, and any image type it could render.
    name = person_photo_thumbnail_ensure(photo=photo) if photo is not None else None
    if name is None:
        return None
    with default_storage.open(name, "rb") as fh:
        data: bytes = fh.read()
    return data


def _latest_photo(person: Person) -> PersonPhoto | None:
    return person.photos.order_by("-created_at", "-id").first()


def _served(how: str, at: object, by: str) -> str:
    """e.g. "Served: handed over in person on 6 December 2026 at 14:05 by PC Jo Smith"."""
    when = timezone.localtime(at)  # type: ignore[arg-type]
    how = how[:1].lower() + how[1:]
    return f"Served: {how} on {when.day} {when:%B %Y} at {when:%H:%M} by {by}."


def gallery_pdf(*, partnership_name: str, cards: list[GalleryCard], printed_by: str) -> bytes:
    stamp = f"CONFIDENTIAL - printed by {printed_by} on {timezone.localtime():%d %b %Y %H:%M} - do not copy"
    pdf = PrintedDocument(
        title=f"{partnership_name}: people to look out for", marking="CONFIDENTIAL", watermark=stamp
    )
    pdf.add_page()
    pdf.para(f"{partnership_name}: people to look out for", size=16, bold=True, height=8)
    pdf.para(stamp, size=8, height=4)
    pdf.para(
        "Keep this in the staff room. Destroy it when a new one is printed. Do not photograph or share it."
    )
    pdf.ln(2)
    for card in cards:
        pdf.keep_space(40)
        top = pdf.get_y()
        if card.photo_id is not None:
            data = _thumbnail(card.person.photos.filter(pk=card.photo_id).first())
            if data is not None:
                pdf.image_box(data, x=pdf.l_margin, y=top, w=28, h=35)
        text_x = pdf.l_margin + 32
        pdf.set_xy(text_x, top)
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(0, 6, card.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, size=9)
        lines = [] if card.redacted else [f"Why listed: {card.entry.reason}"]  # images only: no details
        lines.append(f"Incidents in the last 90 days: {card.recent_incidents}")
        if card.excluded_until:
            lines.append(f"EXCLUDED from member premises until {card.excluded_until:%d %b %Y}")
        lines.append(f"If seen: {card.entry.advice}")
        for line in lines:
            pdf.set_x(text_x)
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), top + 36) + 3)
    return pdf.bytes()


def _addressee(pdf: PrintedDocument, person: Person, viewer: Viewer | None) -> bool:
    """The person's name, and their photo in the box at the top right where one exists and the reader may
    see it; the text beside it stays clear of the box."""
    data = None
    if viewer is not None and person_photo_visible(viewer=viewer, person_id=person.pk):
        data = _thumbnail(_latest_photo(person))
    if data is not None:
        x, y, w, h = PHOTO_BOX
        pdf.image_box(data, x=x, y=y, w=w, h=h)
        pdf.set_right_margin(210 - x + 4)
    pdf.field("To", person.display_name)
    return data is not None


def _wide(pdf: PrintedDocument, photo: bool) -> None:
    """Back to the full width, below the photo box where there is one."""
    pdf.set_right_margin(SIDE)
    if photo:
        _, y, _, h = PHOTO_BOX
        pdf.set_y(max(pdf.get_y(), y + h + 3))


def warning_pdf(letter: WarningLetter, *, viewer: Viewer | None = None) -> bytes:
    pdf = PrintedDocument(
        title=f"{letter.partnership.name} - warning letter {letter.pk}",
        marking="WARNING LETTER",
        watermark=f"{letter.partnership.name} - warning letter {letter.pk}",
    )
    pdf.add_page()
    pdf.para(letter.partnership.name, size=14, bold=True, height=7)
    pdf.para("WARNING LETTER", size=16, bold=True, height=8)
    photo = _addressee(pdf, letter.person, viewer)
    pdf.field("Date", f"{timezone.localtime(letter.issued_at):%d %B %Y}")
    _wide(pdf, photo)
    pdf.heading("Warning about your behaviour at member premises", size=12)
    pdf.para(letter.reason)
    incidents = list(letter.incidents.select_related("store").order_by("occurred_at"))
    if incidents:
        pdf.heading("This letter relates to", size=11)
        for i in incidents:
            pdf.para(
                f"- {timezone.localtime(i.occurred_at):%d %b %Y %H:%M}, {i.store.name}, {i.store.address}, "
                f"{i.store.town} (ref {i.reference})"
            )
    pdf.ln(2)
    pdf.para(
        "If there are further incidents, the partnership may exclude you from all member premises. "
        "You can ask the partnership what information it holds about you."
    )
    pdf.ln(4)
    pdf.para(_served(letter.get_served_how_display(), letter.served_at, letter.served_by), bold=True)
    return pdf.bytes()


def exclusion_premises(notice: ExclusionNotice) -> list[Store]:
    """Every store the notice covers: the partnership's member stores, or those it names."""
    qs = Store.objects.filter(partnerships=notice.partnership) if notice.all_premises else notice.stores.all()
    return list(qs.order_by("town", "name", "id").distinct())


def exclusion_pdf(notice: ExclusionNotice, *, viewer: Viewer | None = None) -> bytes:
    """The notice: to whom (with their photo where `viewer` may see it), the period, every premises it
    covers, the conditions, the incidents relied on, their rights and how it was served."""
    pdf = PrintedDocument(
        title=f"{notice.partnership.name} - exclusion notice {notice.pk}",
        marking="EXCLUSION NOTICE",
        watermark=f"{notice.partnership.name} - exclusion notice {notice.pk}",
    )
    pdf.add_page()
    pdf.para(notice.partnership.name, size=14, bold=True, height=7)
    pdf.para("EXCLUSION NOTICE", size=16, bold=True, height=8)
    photo = _addressee(pdf, notice.person, viewer)
    pdf.field(
        "Period",
        f"from {notice.starts_on.day} {notice.starts_on:%B %Y} "
        f"to {notice.ends_on.day} {notice.ends_on:%B %Y} inclusive",
    )
    pdf.field("Issued", f"{timezone.localtime(notice.issued_at):%d %B %Y}")
    _wide(pdf, photo)
    premises = exclusion_premises(notice)
    where = (
        "every member premises of the partnership"
        if notice.all_premises
        else f"the {len(premises)} premises listed below"
    )
    pdf.para(
        f"You are excluded from {where}, from {notice.starts_on:%d %B %Y} "
        f"to {notice.ends_on:%d %B %Y} inclusive."
    )
    pdf.heading(f"Premises covered ({len(premises)})", size=11)
    for store in premises:
        pdf.para(f"- {store.name}, {store.address}, {store.town} {store.postcode}", height=4.8)
    if not premises:
        pdf.para("The partnership has no member premises recorded.")
    pdf.heading("Conditions", size=11)
    pdf.para(notice.conditions or "No conditions beyond the exclusion itself.")
    pdf.heading("Incidents relied on", size=11)
    relied = list(notice.evidence.select_related("store").order_by("occurred_at"))
    for i in relied:
        pdf.para(
            f"- {timezone.localtime(i.occurred_at):%d %b %Y %H:%M}, {i.store.name}: "
            f"{i.get_type_display()} (ref {i.reference})"
        )
    if not relied:
        pdf.para("None named.")
    pdf.ln(2)
    pdf.para(
        "Entering covered premises while excluded may be treated as trespass, and a court may treat it as "
        "aggravating. You may appeal to the partnership board, and ask for a review after six months "
        "without incidents."
    )
    pdf.ln(4)
    pdf.para(_served(notice.get_served_how_display(), notice.served_at, notice.served_by), bold=True)
    return pdf.bytes()


def _audit_print(
    viewer: Viewer, kind: str, pk: int, partnership_id: int, person: Person, photo: bool
) -> None:
    audit_record(
        viewer=viewer,
        action=AuditAction.EXPORT,
        object_type=kind,
        object_id=pk,
        partnership_id=partnership_id,
        summary=f"{kind.replace('_', ' ').capitalize()} printed"
        + (" with the person's photo" if photo else ""),
        detail={"person": person.pk, "photo": photo},
    )


@transaction.atomic
def exclusion_notice_print(*, viewer: Viewer, notice_id: int) -> bytes:
    """The notice as printed for one of the partnership's managers (else the 404), audited as an export of
    the person's details (and photo)."""
    notice = exclusion_notice_get(viewer=viewer, notice_id=notice_id)
    photo = person_photo_visible(viewer=viewer, person_id=notice.person_id) and notice.person.photos.exists()
    _audit_print(viewer, "exclusion_notice", notice.pk, notice.partnership_id, notice.person, photo)
    return exclusion_pdf(notice, viewer=viewer)


@transaction.atomic
def warning_letter_print(*, viewer: Viewer, letter_id: int) -> bytes:
    """The letter as printed for one of the partnership's managers (else the 404), audited likewise."""
    letter = warning_letter_get(viewer=viewer, letter_id=letter_id)
    photo = person_photo_visible(viewer=viewer, person_id=letter.person_id) and letter.person.photos.exists()
    _audit_print(viewer, "warning_letter", letter.pk, letter.partnership_id, letter.person, photo)
    return warning_pdf(letter, viewer=viewer)
