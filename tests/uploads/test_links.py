"""Single-use, expiring upload links: an investigator asks a store for footage; no account is needed."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.models import AuditEvent, User
from shopwatch.evidence.models import EvidenceFile
from shopwatch.reporting.models import Incident
from shopwatch.uploads.models import Upload, UploadLink
from tests.evidence.images import jpeg_bytes
from tests.uploads.support import encode_metadata, mp4_bytes
from tests.world import World


def api_post(world: World, name: str, path: str, body: dict[str, Any]) -> Any:
    user = User.objects.get(pk=world.users[name].pk)
    secret = apikey_create(viewer=world.viewer(name), user=user, name="t").secret
    return Client().post(
        path, json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {secret}"}
    )


def police_incident(world: World) -> Incident:
    return world.report("reporter", "nw-brighton", report_to_police=True)


def make_link(world: World, incident: Incident, **body: Any) -> str:
    response = api_post(world, "police_sussex", f"/api/v1/incidents/{incident.pk}/upload-links", body)
    assert response.status_code == 201, response.content
    return str(response.json()["url"])


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def link_tus(base: str, url: str) -> TusClient:
    return TusClient(f"{base}/api/v1/uploads", headers={"Authorization": f"Bearer {token_of(url)}"})


@pytest.mark.usefixtures("transactional_db")
def test_a_store_worker_sends_footage_through_the_link_and_the_investigator_is_told(
    world: World, live_server: Any
) -> None:
    incident = police_incident(world)
    url = make_link(world, incident, hours=48, note="Entrance camera 14:00-14:30")
    page = Client().get(url.replace("http://testserver", ""))
    assert page.status_code == 200
    assert b"Entrance camera 14:00-14:30" in page.content
    assert b'<label for="files">' in page.content

    data = mp4_bytes(1_500_000)
    up = link_tus(live_server.url, url).uploader(
        file_stream=io.BytesIO(data),
        chunk_size=500_000,
        metadata={"filename": "entrance.mp4", "filetype": "video/mp4"},
    )
    up.upload(stop_at=500_000)  # the shop's connection drops part-way ...
    up.upload()  # ... and the same link carries on from where it stopped

    evidence = EvidenceFile.objects.get(incident=incident)
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert evidence.uploaded_by_id is None
    link = UploadLink.objects.get()
    assert link.used_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["police_sussex@example.org"]
    assert incident.reference in mail.outbox[0].subject
    assert evidence.sha256 in mail.outbox[0].body
    event = AuditEvent.objects.get(object_type="evidence", object_id=str(evidence.pk))
    assert event.detail["upload_link"] == link.pk
    assert event.detail["requested_by"] == world.users["police_sussex"].pk


@pytest.mark.usefixtures("transactional_db")
def test_a_used_link_gives_a_clear_message_not_an_upload(world: World, live_server: Any) -> None:
    incident = police_incident(world)
    url = make_link(world, incident)
    link_tus(live_server.url, url).uploader(
        file_stream=io.BytesIO(jpeg_bytes()), metadata={"filename": "still.jpg"}
    ).upload()

    with pytest.raises(TusCommunicationError) as caught:
        link_tus(live_server.url, url).uploader(
            file_stream=io.BytesIO(jpeg_bytes((1, 2, 3))), metadata={"filename": "more.jpg"}
        ).upload()
    assert caught.value.status_code == 410
    assert "Each link works once" in json.loads(caught.value.response_content)["errors"][0]["message"]
    page = Client().get(url.replace("http://testserver", ""))
    assert page.status_code == 410
    assert b"Each link works once" in page.content
    assert b'type="file"' not in page.content
    assert EvidenceFile.objects.count() == 1


def test_an_expired_link_gives_a_clear_message_not_an_upload(world: World) -> None:
    incident = police_incident(world)
    url = make_link(world, incident, hours=1)
    UploadLink.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    page = Client().get(url.replace("http://testserver", ""))
    assert page.status_code == 410
    assert b"expired" in page.content
    assert b'type="file"' not in page.content
    response = Client().post(
        "/api/v1/uploads",
        headers={
            "Authorization": f"Bearer {token_of(url)}",
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "100",
            "Upload-Metadata": encode_metadata({"filename": "a.jpg"}),
        },
    )
    assert response.status_code == 410
    assert "expired" in response.json()["errors"][0]["message"]
    assert not Upload.objects.exists()


def test_an_unknown_link_is_404(db: None) -> None:
    assert Client().get("/u/swu_not-a-real-token/").status_code == 404
    response = Client().post(
        "/api/v1/uploads",
        headers={
            "Authorization": "Bearer swu_not-a-real-token",
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "5",
        },
    )
    assert response.status_code == 404


def test_a_link_sends_only_to_its_own_incident_and_uploads(world: World) -> None:
    incident = police_incident(world)
    other = police_incident(world)
    url = make_link(world, incident)
    headers = {"Authorization": f"Bearer {token_of(url)}", "Tus-Resumable": "1.0.0", "Upload-Length": "100"}
    wrong = Client().post(
        "/api/v1/uploads",
        headers={
            **headers,
            "Upload-Metadata": encode_metadata({"filename": "a.jpg", "incident": str(other.pk)}),
        },
    )
    assert wrong.status_code == 422
    # An upload someone made with their own key cannot be continued with the link.
    user = User.objects.get(pk=world.users["reporter"].pk)
    secret = apikey_create(viewer=world.viewer("reporter"), user=user, name="t").secret
    mine = Client().post(
        "/api/v1/uploads",
        headers={
            "Authorization": f"Bearer {secret}",
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "100",
            "Upload-Metadata": encode_metadata({"filename": "a.jpg", "incident": str(incident.pk)}),
        },
    )
    assert mine.status_code == 201
    assert (
        Client()
        .head(mine["Location"], headers={k: v for k, v in headers.items() if k != "Upload-Length"})
        .status_code
        == 404
    )


def test_only_police_who_can_see_the_incident_make_links(world: World) -> None:
    incident = police_incident(world)
    path = f"/api/v1/incidents/{incident.pk}/upload-links"
    assert api_post(world, "reporter", path, {}).status_code == 403
    assert api_post(world, "police_tv", path, {}).status_code == 404  # another force: cannot see it
    unsent = world.report("reporter", "nw-brighton")
    assert (
        api_post(world, "police_sussex", f"/api/v1/incidents/{unsent.pk}/upload-links", {}).status_code == 404
    )
    bad = api_post(world, "police_sussex", path, {"hours": 0, "note": "x" * 501})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"hours", "note"}
    assert not UploadLink.objects.exists()
    created = api_post(world, "police_sussex", path, {"hours": 2})
    assert created.status_code == 201
    link = UploadLink.objects.get()
    assert token_of(created.json()["url"]) not in link.token_hash  # only a hash of the token is kept
    assert dt.timedelta(hours=1, minutes=59) < link.expires_at - link.created_at <= dt.timedelta(hours=2)


def test_the_investigator_makes_a_link_on_a_page(world: World) -> None:
    incident = police_incident(world)
    browser = Client()
    user = User.objects.get(pk=world.users["police_sussex"].pk)
    browser.force_login(user)
    session = browser.session
    from django_otp import DEVICE_ID_SESSION_KEY  # police sign in with two factors
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    form = browser.get(f"/uploads/incidents/{incident.pk}/link/")
    assert form.status_code == 200
    bad = browser.post(f"/uploads/incidents/{incident.pk}/link/", {"hours": "soon", "note": ""})
    assert bad.status_code == 422
    assert b"whole number" in bad.content
    made = browser.post(f"/uploads/incidents/{incident.pk}/link/", {"hours": "24", "note": "Till camera"})
    assert made.status_code == 200
    assert b"/u/swu_" in made.content
    assert UploadLink.objects.get().note == "Till camera"
