"""Exclusion notices and warning letters as printed, checked page by page: rendered with pypdfium2, each
page's text read as printed, the photo looked for where it goes and every mark kept inside the page."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from PIL import Image

from shopwatch.core.models import AuditEvent
from shopwatch.intelligence.models import ExclusionNotice
from shopwatch.intelligence.pdfs import PHOTO_BOX, exclusion_pdf, warning_pdf
from shopwatch.intelligence.services.exclusions import Service, exclusion_issue, warning_issue
from shopwatch.reporting.services import OffenderInput
from shopwatch.subjects.models import Person
from shopwatch.subjects.services import person_create, person_photo_add
from tests.core.support import sign_in_verified
from tests.printing import PrintedPage, assert_laid_out_for_print, printed_pages
from tests.world import World

CONDITIONS = (
    "Not to enter any member store, its car park or its loading bay, nor to wait within 50 metres of "
    "an entrance; not to ask another person to enter on your behalf. "
) * 4


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    cache.clear()


def _face() -> io.BytesIO:
    """A photo with many colours (a gradient), as a camera would give, not a flat block."""
    img = Image.new("RGB", (240, 300))
    img.putdata([(x, (y * 255) // 300, 255 - x) for y in range(300) for x in range(240)])
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    buf.seek(0)
    return buf


def _person(world: World, photo: bool) -> Person:
    person = person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        given_name="Siobhán",
        family_name="Ó Súilleabháin-Wójcik",
        distribution="partnership",
    )
    if photo:
        person_photo_add(
            viewer=world.viewer("partnership_manager"), person=person, fileobj=_face(), filename="face.jpg"
        )
    return person


def _service() -> Service:
    return Service(
        how="in_person", at=timezone.now() - dt.timedelta(hours=2), by="PCSO Jones (Brighton & Hove BCRP)"
    )


def _notice(world: World, person: Person, *, all_premises: bool = True) -> ExclusionNotice:
    incident = world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=person.pk)])
    return exclusion_issue(
        viewer=world.viewer("partnership_manager"),
        partnership=world.orgs["brighton-bcrp"],
        person_id=person.pk,
        all_premises=all_premises,
        store_ids=[] if all_premises else [world.stores["corner-brighton"].pk],
        starts_on=timezone.localdate(),
        ends_on=None,
        conditions=CONDITIONS,
        service=_service(),
        evidence_ids=[incident.pk],
    )


def _photo_region(page: PrintedPage) -> tuple[int, int]:
    x, y, w, h = PHOTO_BOX
    return page.region_ink(x, y, w, h)


@pytest.mark.django_db
def test_exclusion_notice_prints_photo_premises_period_conditions_and_service(world: World) -> None:
    person = _person(world, photo=True)
    notice = _notice(world, person)
    client = Client()
    sign_in_verified(client, world.users["partnership_manager"])
    response = client.get(f"/intelligence/exclusions/{notice.pk}/notice.pdf")
    assert response.status_code == 200
    printed = AuditEvent.objects.get(object_type="exclusion_notice", object_id=str(notice.pk))
    assert printed.action == "export"
    assert printed.detail == {"person": person.pk, "photo": True}  # the face left the system: recorded
    pages = printed_pages(response.content)

    assert_laid_out_for_print(
        pages, header=f"Brighton BCRP - exclusion notice {notice.pk}", marking="EXCLUSION NOTICE"
    )
    first = pages[0]
    text = " ".join(p.text for p in pages)
    assert "To Siobhán Ó Súilleabháin-Wójcik" in first.text
    start, end = notice.starts_on, notice.ends_on
    assert f"from {start.day} {start:%B %Y} to {end.day} {end:%B %Y} inclusive" in first.text
    # Every member store of the partnership, by name and address; none of another partnership's.
    assert "Premises covered (3)" in text
    for key in ("nw-brighton", "nw-hove", "corner-brighton"):
        store = world.stores[key]
        assert f"{store.name}, {store.address}, {store.town} {store.postcode}" in text, key
    assert world.stores["kiosk-crawley"].name not in text
    assert CONDITIONS.strip()[-60:] in text  # the whole of the conditions, wrapped
    served = timezone.localtime(notice.served_at)
    assert (
        f"Served: handed over in person on {served.day} {served:%B %Y} at {served:%H:%M} "
        "by PCSO Jones (Brighton & Hove BCRP)." in text
    )
    assert "Served handed over" not in text
    # The photo: a many-coloured image fills the box at the top right of the first page.
    _, _, w, h = PHOTO_BOX
    area = w * h * (first.image.size[0] / first.width_mm) ** 2
    assert _photo_region(first)[0] > 0.5 * area


@pytest.mark.django_db
def test_exclusion_notice_without_a_photo_or_a_reader_who_may_see_it_leaves_the_box_empty(
    world: World,
) -> None:
    without = _notice(world, _person(world, photo=False), all_premises=False)
    pages = printed_pages(exclusion_pdf(without, viewer=world.viewer("partnership_manager")))
    assert _photo_region(pages[0])[0] == 0
    text = " ".join(p.text for p in pages)
    assert "Premises covered (1)" in text
    assert world.stores["corner-brighton"].address in text
    assert world.stores["nw-hove"].name not in text

    with_photo = _notice(world, _person(world, photo=True))
    # A reader outside the partnership that keeps the record gets the notice without the face.
    other = printed_pages(exclusion_pdf(with_photo, viewer=world.viewer("unconnected_partnership_manager")))
    assert _photo_region(other[0])[0] == 0


@pytest.mark.django_db
def test_warning_letter_prints_photo_incidents_and_service_inside_the_page(world: World) -> None:
    person = _person(world, photo=True)
    incidents = [
        world.report(
            "reporter",
            "nw-brighton",
            offenders=[OffenderInput(person_id=person.pk)],
            occurred_at=timezone.now() - dt.timedelta(days=d),
        )
        for d in range(1, 31)
    ]
    letter = warning_issue(
        viewer=world.viewer("partnership_manager"),
        partnership=world.orgs["brighton-bcrp"],
        person_id=person.pk,
        reason="Thirty thefts of meat in a month, with abuse towards staff when challenged. " * 5,
        incident_ids=[i.pk for i in incidents],
        service=Service(how="post", at=timezone.now() - dt.timedelta(hours=1), by="Partnership office"),
    )
    pages = printed_pages(warning_pdf(letter, viewer=world.viewer("partnership_manager")))
    assert len(pages) >= 2  # thirty incidents spill onto a second page
    assert_laid_out_for_print(
        pages, header=f"Brighton BCRP - warning letter {letter.pk}", marking="WARNING LETTER"
    )
    text = " ".join(p.text for p in pages)
    for incident in incidents:
        assert incident.reference in text
    assert "Served: by post on" in pages[-1].text
    assert _photo_region(pages[0])[0] > 1000
