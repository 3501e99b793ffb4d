"""The printed case file, checked page by page: rendered with pypdfium2, each page's text read as printed."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from shopwatch.evidence.models import EvidenceFile
from shopwatch.evidence.services import evidence_add
from shopwatch.policing.models import CaseFile
from shopwatch.policing.services import casefiles
from shopwatch.policing.services.records import crime_record_manual
from shopwatch.reporting.models import Incident
from shopwatch.reporting.services import GoodsInput, OffenderInput, VehicleInput
from shopwatch.subjects.services import person_create
from tests.evidence.images import jpeg_bytes
from tests.printing import PrintedPage, assert_laid_out_for_print, printed_pages, squash
from tests.world import World

NAME = ("Zoë", "Łukasiewicz-Nguyễn")
# A long, realistic account: several paragraphs, more than one page would hold beside the incident's facts.
ACCOUNT = (
    "At about quarter to six the male entered by the main doors and went straight to the meat chiller "
    "in aisle four, where he filled a blue holdall with steaks, lamb joints and two packs of salmon. A "
    "colleague on the tills watched him on the monitor and radioed the duty manager. When the duty manager "
    "approached and asked whether he intended to pay, the male said he would 'sort her out' if she "
    "followed him, and showed the handle of what looked like a knife in his waistband. "
) * 6


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def _incidents(world: World, person_id: int, n: int) -> list[Incident]:
    out = []
    for k in range(n):
        out.append(
            world.report(
                "reporter",
                "nw-brighton",
                type="threats_abuse" if k % 2 else "theft",
                flags=["violence", "weapon"] if k % 2 == 0 else [],
                report_to_police=True,
                occurred_at=timezone.now() - dt.timedelta(days=n - k),
                description=f"Incident {k + 1}. " + ACCOUNT,
                goods=[GoodsInput(description="Sirloin steak", quantity=6 + k, value=Decimal("8.50"))],
                offenders=[
                    OffenderInput(
                        person_id=person_id,
                        description="White male, about 30, 6ft, slim, grey hoodie with a red logo, "
                        "black tracksuit bottoms, scar through the left eyebrow",
                    )
                ],
                vehicles=[
                    VehicleInput(
                        registration=f"AB{k + 10}CDE", description="Waited outside with engine running"
                    )
                ],
            )
        )
    return out


def _evidence(world: World, incident: Incident, k: int) -> EvidenceFile:
    return evidence_add(
        viewer=world.viewer("reporter"),
        incident=incident,
        fileobj=io.BytesIO(jpeg_bytes(size=(48 + k, 32))),
        filename=f"cctv-till-{k}.jpg",
    )


def _export(world: World, case: CaseFile) -> bytes:
    data = casefiles.casefile_export(viewer=world.viewer("police_sussex"), case_file=case)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read("case-file.pdf")


def _page_of(pages: list[PrintedPage], text: str) -> PrintedPage:
    found = [p for p in pages if text in p.text]
    assert found, f"{text!r} is on no page"
    return found[0]


@pytest.mark.django_db
def test_offender_case_file_prints_every_field_page_by_page(world: World) -> None:
    officer = world.viewer("police_sussex")
    person = person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        given_name=NAME[0],
        family_name=NAME[1],
        distribution="police",  # shared with police: the officer may see who it is
    )
    incidents = _incidents(world, person.pk, 5)
    files = {i.pk: _evidence(world, i, k) for k, i in enumerate(incidents)}
    crime_record_manual(viewer=officer, incident=incidents[0], crime_reference="47/2026/0001234", status="")
    crime_record_manual(viewer=officer, incident=incidents[3], crime_reference="47/2026/0005678", status="")
    case = casefiles.casefile_create(
        viewer=officer,
        kind="offender",
        title=f"CBO: {' '.join(NAME)}",
        person=person,
        summary="Five incidents in a week across Brighton, two with a knife shown.",
        offending_history="Repeated theft of meat with threats.",
        exclusion_zone="Brighton city centre",
    )
    statement = casefiles.statement_create(
        viewer=officer,
        case_file=case,
        incident=incidents[2],
        witness_id=world.users["manager"].pk,
        occupation="Duty manager",
        text="I saw the man fill a holdall with steaks and leave without paying.",
    )
    casefiles.statement_sign(
        viewer=world.viewer("manager"), statement=statement, signed_name="Manager", declaration=True
    )

    pages = printed_pages(_export(world, case))

    assert_laid_out_for_print(pages, header=f"{case.reference} - {case.title}", marking="OFFICIAL-SENSITIVE")
    # Five incidents, each on pages of its own, after a cover and the summary: the file runs to many pages.
    assert len(pages) >= 5 + 2 + 3
    cover = pages[0]
    for expected in (
        "CASE FILE",
        case.reference,
        "Sussex",
        "47/2026/0001234",
        "47/2026/0005678",
        "Police Sussex",  # the officer in the case, by name
        *[i.reference for i in incidents],
    ):
        assert expected in cover.text, expected

    everything = squash(" ".join(p.text.removeprefix(p.header).removesuffix(p.footer) for p in pages))
    starts = [
        _page_of(pages, f"Incident {n} of 5: {inc.reference}").number for n, inc in enumerate(incidents, 1)
    ]
    ends = [*starts[1:], _page_of(pages, "MG11 Witness statement").number]
    for n, inc in enumerate(incidents, start=1):
        # The incident's own pages: from its heading to the next incident's.
        span = pages[starts[n - 1] - 1 : ends[n - 1] - 1]
        text = " ".join(p.text for p in span)
        store = inc.store
        for expected in (
            store.name,
            store.address,
            store.postcode,
            timezone.localtime(inc.occurred_at).strftime("%d %b %Y %H:%M"),
            "scar through the left eyebrow",  # the offender description
            f"Linked person: {' '.join(NAME)}",  # the unicode name, as written
            f"AB{n + 9}CDE",  # the vehicle
            "Repeat offender",
            f"£{inc.goods_value:,.2f}",
            files[inc.pk].sha256,  # its exhibit, with the SHA-256 taken on arrival
            "received by Reporter",  # and the chain of custody
        ):
            assert expected in text, (n, expected)
        if n % 2:
            assert "Violence" in text, n
            assert "Weapon" in text, n
        else:
            assert "Threats" in text, n
        # The long account is printed whole, wrapped over as many lines and pages as it needs.
        assert squash(inc.description) in everything, n
    assert "Duty manager" in " ".join(p.text for p in pages[starts[2] - 1 : ends[2] - 1])
    mg11 = _page_of(pages, "MG11 Witness statement")
    assert "true to the best of my knowledge" in mg11.text
    mg12 = _page_of(pages, "MG12 Exhibit list")
    assert all(f.sha256 in " ".join(p.text for p in pages[mg12.number - 1 :]) for f in files.values())
    assert "Criminal Behaviour Order pack" in " ".join(p.text for p in pages[-2:])


@pytest.mark.django_db
def test_case_file_names_only_persons_the_reader_may_see(world: World) -> None:
    """An offender linked to a person record the force may not see is described, never named: the store
    picked someone its partnership keeps for connected partnerships only, not for police."""
    hidden = person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        given_name="Hidden",
        family_name="Partnershiprecord",
        distribution="connected",
    )
    incident = world.report(
        "reporter",
        "nw-brighton",
        report_to_police=True,
        offenders=[OffenderInput(person_id=hidden.pk, description="Tall man in a green parka")],
    )
    officer = world.viewer("police_sussex")
    case = casefiles.casefile_create(viewer=officer, kind="incident", title="One theft", incident=incident)
    pages = printed_pages(_export(world, case))
    text = " ".join(p.text for p in pages)
    assert "Tall man in a green parka" in text
    assert "Partnershiprecord" not in text
    assert "held by another organisation" in text
