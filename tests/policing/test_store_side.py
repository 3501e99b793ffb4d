"""The store's side of an incident with the police: victim contact details shared with the force (audited when
they name a person), and answering a CCTV request from the store's incident page through the tus endpoint,
after which police see the files with their hashes and chain of custody."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from shopwatch.core.models import AuditEvent
from shopwatch.policing.models import StoreContact, Triage, TriageEvent
from shopwatch.policing.services.triage import triage_record_attendance, triage_request_cctv, triage_take
from shopwatch.reporting.models import Incident
from tests.world import World


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def _sent(world: World, **kw: object) -> Incident:
    return world.report("reporter", "nw-brighton", report_to_police=True, **kw)


CONTACT = {
    "phone": "01273 000111",
    "contact_name": "Priya Shah",
    "contact_role": "Store manager",
    "contact_phone": "07700 900123",
    "opening_hours": "Mon to Sat 7:00 to 22:00",
}


def test_the_store_manager_shares_contact_details_and_police_see_them_audited(
    world: World, web: Callable[[str], Client]
) -> None:
    inc = _sent(world)
    store = world.stores["nw-brighton"]
    url = f"/police/stores/{store.pk}/contact/"
    # Before: the police page says nothing was shared.
    page = web("police_sussex").get(f"/police/incidents/{inc.pk}/").content.decode()
    assert "has not shared contact details" in page

    # Only whoever decides the store's roles decides whom it names; everyone else gets the same 404.
    assert web("reporter").get(url).status_code == 404
    assert web("other_store_reporter").get(url).status_code == 404
    assert web("police_sussex").get(url).status_code == 404
    bad = web("manager").post(url, {**CONTACT, "contact_role": "", "phone": "call the shop"})
    assert bad.status_code == 422
    assert "Enter a phone number" in bad.content.decode()
    assert "Say the contact" in bad.content.decode()
    saved = web("manager").post(url, CONTACT)
    assert saved.status_code == 302
    contact = StoreContact.objects.get(store=store)
    assert contact.contact_name == "Priya Shah"

    before = AuditEvent.objects.filter(object_type="store_contact", action="view").count()
    page = web("police_sussex").get(f"/police/incidents/{inc.pk}/").content.decode()
    for value in CONTACT.values():
        assert value in page
    views = AuditEvent.objects.filter(object_type="store_contact", action="view")
    assert views.count() == before + 1
    assert views.latest("id").actor_id == world.users["police_sussex"].pk

    # A store phone alone names nobody: shown, and not audited as personal data.
    web("manager").post(url, {"phone": "01273 000111"})
    web("police_sussex").get(f"/police/incidents/{inc.pk}/")
    assert views.count() == before + 1


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 40, 40)).save(out, "JPEG", quality=80)
    return out.getvalue()


def _tus_send(client: Client, incident: Incident, data: bytes, filename: str) -> Any:
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in {"incident": str(incident.pk), "filename": filename}.items()
    )
    created = client.post(
        "/api/v1/uploads",
        HTTP_TUS_RESUMABLE="1.0.0",
        HTTP_UPLOAD_LENGTH=str(len(data)),
        HTTP_UPLOAD_METADATA=meta,
    )
    assert created.status_code == 201, created.content
    return client.patch(
        created["Location"],
        data=data,
        content_type="application/offset+octet-stream",
        HTTP_TUS_RESUMABLE="1.0.0",
        HTTP_UPLOAD_OFFSET="0",
    )


def test_the_store_answers_a_cctv_request_from_its_incident_page(
    world: World, web: Callable[[str], Client]
) -> None:
    inc = _sent(world, description="Took a crate of spirits", goods_value="300.00")
    officer = world.viewer("police_sussex")
    triage_take(viewer=officer, incident=inc)
    triage_record_attendance(viewer=officer, incident=inc, note="PC spoke to the duty manager at the door")
    triage_request_cctv(viewer=officer, incident=inc, reason="Entrance camera 14:00 to 14:30, and a still")
    manager = web("manager")

    page = manager.get(f"/incidents/{inc.pk}/").content.decode()
    assert "Sussex Police asks for CCTV" in page
    assert "Entrance camera 14:00 to 14:30, and a still" in page
    assert 'id="send-form"' in page  # the tus send form, on the same page
    assert "Tell the police it is sent" in page
    # Police-only fields stay with the police: the officer, the attendance note.
    assert "Police Sussex" not in page
    assert "PC spoke to the duty manager" not in page

    # Telling the police before sending anything is refused, with the reason.
    answered = manager.post(f"/police/incidents/{inc.pk}/answer/", {"note": ""}, follow=True)
    assert "Send the footage first" in answered.content.decode()
    assert not TriageEvent.objects.filter(incident=inc, action="store_answered").exists()

    photo = _jpeg()
    sent = _tus_send(manager, inc, photo, "entrance-still.jpg")
    assert sent.status_code == 204, sent.content
    page = manager.post(
        f"/police/incidents/{inc.pk}/answer/", {"note": "Camera 2 export to follow"}, follow=True
    ).content.decode()
    assert "have been told" in page
    assert "answered" in page
    assert "Tell the police it is sent" not in page  # the request is no longer open
    triage = Triage.objects.get(incident=inc)
    assert triage.state == "assigned"  # no longer waiting for the store

    police = web("police_sussex").get(f"/police/incidents/{inc.pk}/").content.decode()
    assert "entrance-still.jpg" in police
    assert hashlib.sha256(photo).hexdigest() in police
    assert "Chain of custody" in police
    assert "Camera 2 export to follow" in police
    cases = web("police_sussex").get("/police/cases/").content.decode()
    assert "Review what the store sent" in cases


def test_another_store_cannot_answer_and_a_closed_request_cannot_be_answered(
    world: World, web: Callable[[str], Client]
) -> None:
    inc = _sent(world)
    assert web("manager").post(f"/police/incidents/{inc.pk}/answer/", follow=True).status_code == 200
    assert not TriageEvent.objects.filter(incident=inc, action="store_answered").exists()
    triage_request_cctv(viewer=world.viewer("police_sussex"), incident=inc, reason="The till camera")
    # Another store of the same retailer sees the incident but does not report for its store.
    refused = web("other_store_reporter").post(f"/police/incidents/{inc.pk}/answer/", follow=True)
    assert "Only people who report for this store" in refused.content.decode()
    assert web("unconnected_reporter").post(f"/police/incidents/{inc.pk}/answer/").status_code == 404
    assert not TriageEvent.objects.filter(incident=inc, action="store_answered").exists()


def test_the_police_panel_shows_on_a_store_incident_without_goods_lines(
    world: World, web: Callable[[str], Client]
) -> None:
    inc = _sent(world, type="threats_abuse", description="Shouted threats at the till")
    assert not inc.goods.exists()
    page = web("reporter").get(f"/incidents/{inc.pk}/").content.decode()
    assert 'id="police-feedback-title"' in page  # hidden before whenever the report listed no goods
    assert "Waiting for the police to review it" in page
