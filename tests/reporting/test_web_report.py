"""The shop worker's report form, through Django's test client."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shopwatch.core.models import AuditEvent
from shopwatch.evidence.models import EvidenceFile
from shopwatch.reporting.models import Incident
from tests.evidence.images import jpeg_bytes
from tests.world import World

URL = "/incidents/new/"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def _client(world: World, user: str) -> Client:
    c = Client()
    c.force_login(world.users[user])
    return c


def _form(client: Client) -> dict[str, str]:
    """The fields the page sends by default (token, store, time), as a browser would."""
    html = client.get(URL).content.decode()
    fields: dict[str, str] = {}
    for name in ("token", "store"):
        m = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
        if m:
            fields[name] = m.group(1)
    m = re.search(r'name="occurred_at" value="([^"]+)"', html)
    assert m
    fields["occurred_at"] = m.group(1)
    return fields


def _stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_form_is_short_and_phone_friendly(world: World) -> None:
    response = _client(world, "reporter").get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert len(response.content) < 100_000
    assert re.search(r'<input type="file" name="photos"[^>]*accept="image/\*"', html)
    assert 'capture="environment"' in html
    assert " multiple" in html
    for value in (
        "theft",
        "violence",
        "threats_abuse",
        "antisocial_behaviour",
        "criminal_damage",
        "robbery",
        "burglary",
        "fraud",
        "other",
    ):
        assert f'type="radio" name="type" value="{value}"' in html
    # One store: no select to fill in, the store is shown and sent.
    assert '<select name="store"' not in html
    assert "Nw Brighton" in html
    assert 'name="token"' in html
    assert "<details" in html
    # Only type and description lack a default.
    required = set(re.findall(r'name="(\w+)"[^>]*required', html))
    assert required <= {"type", "description", "occurred_at", "token", "store"}


def test_minimal_report_is_filed_and_confirmed(world: World) -> None:
    client = _client(world, "reporter")
    data = _form(client) | {"type": "theft", "description": "Took two bottles of whisky and ran"}
    response = client.post(URL, data)
    assert response.status_code == 302
    inc = Incident.objects.get()
    assert response["Location"] == f"/incidents/{inc.pk}/submitted/"
    assert inc.store == world.stores["nw-brighton"]
    assert inc.channel == "web"
    assert inc.reported_by == world.users["reporter"]
    page = client.get(response["Location"]).content.decode()
    assert inc.reference in page
    assert inc.get_priority_display() in page
    assert "999" in page
    assert "Brighton BCRP" in page  # who now sees it


def test_full_report_with_flags_goods_person_vehicle_and_police(world: World) -> None:
    client = _client(world, "reporter")
    data = _form(client) | {
        "type": "violence",
        "description": "Pushed a colleague over when challenged",
        "flags": ["violence", "staff_injured", "offender_nearby"],
        "report_to_police": "on",
        "goods_description": "Razor blades",
        "goods_value": "84.50",
        "offender_description": "Tall, grey hoodie",
        "vehicle_registration": "ab12 cde",
    }
    response = client.post(URL, data)
    assert response.status_code == 302
    inc = Incident.objects.get()
    assert (inc.flag_violence, inc.flag_staff_injured, inc.flag_offender_nearby) == (True, True, True)
    assert not inc.flag_weapon
    assert inc.sent_to_police
    assert inc.priority == "P1"
    assert str(inc.goods_value) == "84.50"
    assert inc.goods.get().description == "Razor blades"
    assert inc.offenders.get().description == "Tall, grey hoodie"
    assert inc.vehicles.get().vehicle.registration == "AB12CDE"
    page = client.get(response["Location"]).content.decode()
    assert "Sussex Police" in page
    assert "call 999 now" in page


def test_missing_answers_get_summary_and_inline_errors(world: World) -> None:
    client = _client(world, "reporter")
    response = client.post(URL, _form(client))
    assert response.status_code == 422
    html = response.content.decode()
    assert "There is a problem" in html
    assert html.count("Choose what happened.") == 2  # in the summary and next to the field
    assert html.count("Describe what happened.") == 2
    assert 'href="#id_type_0"' in html
    assert not Incident.objects.exists()


def test_service_errors_land_next_to_their_fields(world: World) -> None:
    client = _client(world, "reporter")
    data = _form(client) | {
        "type": "theft",
        "description": "x",
        "vehicle_registration": "NOT A REG!!",
        "occurred_at": "2099-01-01T10:00",
    }
    html = client.post(URL, data).content.decode()
    assert re.search(r'id="id_vehicle_registration_error".*UK registration mark', html)
    assert re.search(r'id="id_occurred_at_error".*future', html)
    assert "<details open>" in html  # the section with the error is opened
    assert not Incident.objects.exists()


def test_store_the_worker_may_not_report_for_is_refused(world: World) -> None:
    client = _client(world, "reporter")
    data = _form(client) | {"type": "theft", "description": "x", "store": str(world.stores["nw-hove"].pk)}
    response = client.post(URL, data)
    assert response.status_code == 422
    assert not Incident.objects.exists()


def test_security_manager_chooses_among_their_stores(world: World) -> None:
    client = _client(world, "security")
    html = client.get(URL).content.decode()
    assert '<select name="store"' in html
    for store in ("Nw Brighton", "Nw Hove", "Nw Oxford"):
        assert store in html
    assert "Corner Brighton" not in html


def test_people_without_a_store_cannot_report(world: World) -> None:
    response = _client(world, "pcc").get(URL)
    assert response.status_code == 403
    assert "not linked to a store" in response.content.decode()


def test_photos_are_attached_in_the_same_transaction(world: World, media_root: Path) -> None:
    client = _client(world, "reporter")
    data = _form(client) | {
        "type": "theft",
        "description": "On camera",
        "photos": [
            SimpleUploadedFile("a.jpg", jpeg_bytes((1, 1, 1)), "image/jpeg"),
            SimpleUploadedFile("b.jpg", jpeg_bytes((250, 250, 250)), "image/jpeg"),
        ],
    }
    assert client.post(URL, data).status_code == 302
    inc = Incident.objects.get()
    assert sorted(e.original_filename for e in EvidenceFile.objects.filter(incident=inc)) == [
        "a.jpg",
        "b.jpg",
    ]
    assert len(_stored_files(media_root)) == 2


def test_a_bad_photo_saves_nothing_and_names_the_file(world: World, media_root: Path) -> None:
    client = _client(world, "reporter")
    data = _form(client) | {
        "type": "theft",
        "description": "On camera",
        "photos": [
            SimpleUploadedFile("good.jpg", jpeg_bytes(), "image/jpeg"),
            SimpleUploadedFile("notes.jpg", b"%PDF-1.4 pretending", "image/jpeg"),
        ],
    }
    response = client.post(URL, data)
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'id="id_photos_error".*notes\.jpg.*not a photo', html)
    assert not Incident.objects.exists()
    assert not EvidenceFile.objects.exists()
    assert not AuditEvent.objects.filter(action="create").exists()
    assert _stored_files(media_root) == []


def test_double_tap_files_one_incident(world: World) -> None:
    client = _client(world, "reporter")
    data = _form(client) | {
        "type": "theft",
        "description": "Double tapped",
        "photos": [SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg")],
    }
    first = client.post(URL, data)
    data["photos"] = [SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg")]
    second = client.post(URL, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Incident.objects.count() == 1
    assert EvidenceFile.objects.count() == 1


def test_a_reused_token_with_different_answers_files_nothing_and_offers_a_fresh_form(world: World) -> None:
    client = _client(world, "reporter")
    data = _form(client) | {"type": "theft", "description": "First"}
    client.post(URL, data)
    response = client.post(URL, data | {"description": "Something else entirely"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "already sent" in html
    new_token = re.search(r'name="token" value="([^"]+)"', html)
    assert new_token is not None
    assert new_token.group(1) != data["token"]
    assert Incident.objects.count() == 1
    assert (
        client.post(URL, data | {"description": "Something else", "token": new_token.group(1)}).status_code
        == 302
    )
    assert Incident.objects.count() == 2


def test_confirmation_is_not_shown_to_strangers(world: World) -> None:
    client = _client(world, "reporter")
    client.post(URL, _form(client) | {"type": "theft", "description": "x"})
    inc = Incident.objects.get()
    assert _client(world, "unconnected_reporter").get(f"/incidents/{inc.pk}/submitted/").status_code == 404


def test_an_empty_photo_is_refused_with_a_specific_message(world: World) -> None:
    client = _client(world, "reporter")
    data = _form(client) | {
        "type": "theft",
        "description": "x",
        "photos": [SimpleUploadedFile("empty.jpg", b"", "image/jpeg")],
    }
    response = client.post(URL, data)
    assert response.status_code == 422
    assert re.search(r'id="id_photos_error".*empty', response.content.decode())
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("service_field", "form_field"),
    [
        ("store", "store"),
        ("occurred_at", "occurred_at"),
        ("flags[2]", "flags"),
        ("goods[0].description", "goods_description"),
        ("goods[0].value", "goods_value"),
        ("goods_value", "goods_value"),
        ("goods", "goods_value"),
        ("offenders[0].person", "known_person"),
        ("offenders[0]", "offender_description"),
        ("offenders[0].description", "offender_description"),
        ("vehicles[0].registration", "vehicle_registration"),
        ("photos", "photos"),
        ("distribution", None),
    ],
)
def test_service_field_names_map_to_form_fields(service_field: str, form_field: str | None) -> None:
    from shopwatch.reporting.forms import form_field_for

    assert form_field_for(service_field) == form_field
