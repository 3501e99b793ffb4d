"""The evidence API: an incident's evidence, a file's original bytes exactly; sharing, bundles, custody."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.models import User
from shopwatch.evidence.models import CustodyAction, CustodyEntry, EvidenceFile, EvidenceShare
from shopwatch.evidence.services import evidence_add
from tests.evidence.images import jpeg_bytes, png_bytes
from tests.world import World


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def api(world: World, name: str) -> Callable[..., Any]:
    user = User.objects.get(pk=world.users[name].pk)
    secret = apikey_create(viewer=world.viewer(name), user=user, name="t").secret
    client = Client()

    def call(method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {secret}"}
        if body is None:
            return getattr(client, method)(path, headers=headers)
        return getattr(client, method)(
            path, json.dumps(body), content_type="application/json", headers=headers
        )

    return call


def photos(world: World, n: int = 3, **report: Any) -> tuple[Any, list[EvidenceFile]]:
    incident = world.report("reporter", "nw-brighton", **report)
    files = [
        evidence_add(
            viewer=world.viewer("reporter"),
            incident=incident,
            fileobj=io.BytesIO(jpeg_bytes((i * 40, 10, 10))),
            filename=f"photo-{i}.jpg",
        )
        for i in range(n)
    ]
    return incident, files


def test_the_list_gives_each_files_facts_in_the_list_shape(world: World) -> None:
    incident, files = photos(world, 3)
    response = api(world, "manager")("get", f"/api/v1/incidents/{incident.pk}/evidence?limit=2")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "next"}
    assert [i["id"] for i in body["items"]] == [files[0].pk, files[1].pk]
    assert set(body["items"][0]) == {"id", "filename", "size", "sha256", "content_type", "created_at"}
    assert body["items"][0]["sha256"] == files[0].sha256
    assert body["items"][0]["filename"] == "photo-0.jpg"
    rest = api(world, "manager")("get", body["next"].replace("http://testserver", ""))
    assert [i["id"] for i in rest.json()["items"]] == [files[2].pk]
    assert rest.json()["next"] is None


def test_an_incident_the_caller_may_not_see_is_404(world: World) -> None:
    incident, _ = photos(world, 1)
    assert (
        api(world, "unconnected_reporter")("get", f"/api/v1/incidents/{incident.pk}/evidence").status_code
        == 404
    )
    assert api(world, "manager")("get", "/api/v1/incidents/999999/evidence").status_code == 404


def test_content_is_the_original_bytes_exactly_and_the_download_is_in_custody(world: World) -> None:
    incident = world.report("reporter", "nw-brighton")
    data = jpeg_bytes(taken="2026:11:28 14:03:00")
    evidence = evidence_add(
        viewer=world.viewer("reporter"), incident=incident, fileobj=io.BytesIO(data), filename="till.jpg"
    )
    response = api(world, "security")("get", f"/api/v1/evidence/{evidence.pk}/content")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == data
    assert hashlib.sha256(body).hexdigest() == evidence.sha256
    assert response["Content-Type"] == "image/jpeg"
    assert 'filename="till.jpg"' in response["Content-Disposition"]
    last = CustodyEntry.objects.filter(evidence=evidence).order_by("-seq").first()
    assert last is not None
    assert last.action == CustodyAction.DOWNLOADED
    assert last.actor_id == world.users["security"].pk
    assert last.channel == "api"


def test_content_of_evidence_the_caller_may_not_see_is_404_and_not_logged(world: World) -> None:
    _, files = photos(world, 1)
    response = api(world, "unconnected_reporter")("get", f"/api/v1/evidence/{files[0].pk}/content")
    assert response.status_code == 404
    assert CustodyEntry.objects.filter(evidence=files[0]).count() == 1  # only its receipt


def test_sharing_with_a_named_force_until_an_expiry(world: World) -> None:
    _, files = photos(world, 1)
    evidence = files[0]
    path = f"/api/v1/evidence/{evidence.pk}/content"
    assert api(world, "police_tv")("get", path).status_code == 404
    bad = api(world, "security")(
        "post", f"/api/v1/evidence/{evidence.pk}/shares", {"force": "brighton-bcrp", "days": 0}
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"force", "days"}
    made = api(world, "security")(
        "post",
        f"/api/v1/evidence/{evidence.pk}/shares",
        {"force": "thames-valley", "days": 30, "reason": "Same offender in Oxford"},
    )
    assert made.status_code == 201, made.content
    assert api(world, "police_tv")("get", path).status_code == 200
    last = CustodyEntry.objects.filter(evidence=evidence).order_by("-seq")[:2]
    assert [e.action for e in reversed(list(last))] == [CustodyAction.SHARED, CustodyAction.DOWNLOADED]
    # After the expiry the same request gets a clear message, not the file.
    EvidenceShare.objects.filter(evidence=evidence).update(expires_at="2020-01-01T00:00:00Z")
    gone = api(world, "police_tv")("get", path)
    assert gone.status_code == 410
    assert "ended" in gone.json()["errors"][0]["message"]


def test_sharing_with_a_named_investigator(world: World) -> None:
    _, files = photos(world, 1)
    made = api(world, "security")(
        "post", f"/api/v1/evidence/{files[0].pk}/shares", {"user": "police_tv@example.org", "days": 7}
    )
    assert made.status_code == 201
    assert api(world, "police_tv")("get", f"/api/v1/evidence/{files[0].pk}/content").status_code == 200
    not_police = api(world, "security")(
        "post", f"/api/v1/evidence/{files[0].pk}/shares", {"user": "reporter@example.org", "days": 7}
    )
    assert not_police.status_code == 422


def test_only_those_who_may_see_evidence_share_it(world: World) -> None:
    _, files = photos(world, 1)
    path = f"/api/v1/evidence/{files[0].pk}/shares"
    assert (
        api(world, "unconnected_reporter")("post", path, {"force": "thames-valley", "days": 7}).status_code
        == 404
    )
    assert (
        api(world, "same_partnership_reporter")(
            "post", path, {"force": "thames-valley", "days": 7}
        ).status_code
        == 403
    )
    assert not EvidenceShare.objects.exists()


def test_an_investigator_exports_an_evidence_bundle(world: World) -> None:
    incident, files = photos(world, 2, report_to_police=True)
    extra = evidence_add(
        viewer=world.viewer("reporter"),
        incident=incident,
        fileobj=io.BytesIO(png_bytes()),
        filename="still.png",
    )
    response = api(world, "police_sussex")("get", f"/api/v1/incidents/{incident.pk}/evidence/bundle")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert {"manifest.json", "manifest.csv", "custody.json", "exhibit-list.pdf"} <= set(names)
    manifest = json.loads(archive.read("manifest.json"))
    assert len(manifest["files"]) == 3
    for entry in manifest["files"]:
        original = archive.read(entry["path"])
        assert hashlib.sha256(original).hexdigest() == entry["sha256"]
        assert entry["matches"] is True
    assert manifest["files"][0]["exhibit"] == "PS/1"  # the investigator's initials and a number
    assert archive.read("exhibit-list.pdf").startswith(b"%PDF")
    custody = json.loads(archive.read("custody.json"))
    assert custody[str(extra.pk)][-1]["action"] == "exported"
    for evidence in [*files, extra]:
        assert CustodyEntry.objects.filter(evidence=evidence, action=CustodyAction.EXPORTED).count() == 1


def test_only_police_who_can_see_the_incident_export(world: World) -> None:
    incident, _ = photos(world, 1, report_to_police=True)
    path = f"/api/v1/incidents/{incident.pk}/evidence/bundle"
    assert api(world, "manager")("get", path).status_code == 403
    assert api(world, "police_tv")("get", path).status_code == 404
    assert not CustodyEntry.objects.filter(action=CustodyAction.EXPORTED).exists()


def test_an_ended_share_on_the_web_page_says_so(world: World) -> None:
    _, files = photos(world, 1)
    share = {"force": "thames-valley", "days": 1}
    api(world, "security")("post", f"/api/v1/evidence/{files[0].pk}/shares", share)
    EvidenceShare.objects.update(expires_at="2020-01-01T00:00:00Z")
    browser = Client()
    user = User.objects.get(pk=world.users["police_tv"].pk)
    browser.force_login(user)
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    session = browser.session
    device = TOTPDevice.objects.create(user=user, name="p", confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response = browser.get(f"/evidence/{files[0].pk}/content")
    assert response.status_code == 410
    assert b"Your access to this evidence ended" in response.content


def signed_in(world: World, name: str) -> Client:
    browser = Client()
    browser.force_login(User.objects.get(pk=world.users[name].pk))
    return browser


def test_the_evidence_page_shows_a_photo_its_facts_and_its_custody(world: World) -> None:
    _, files = photos(world, 1)
    page = signed_in(world, "manager").get(f"/evidence/{files[0].pk}/")
    assert page.status_code == 200
    assert f'src="/evidence/{files[0].pk}/content"'.encode() in page.content
    assert files[0].sha256.encode() in page.content
    assert b"Chain of custody" in page.content
    assert b"Received" in page.content
    assert b"Viewed" in page.content
    assert signed_in(world, "unconnected_reporter").get(f"/evidence/{files[0].pk}/").status_code == 404


def test_video_is_played_and_a_zip_is_offered_for_download(world: World) -> None:
    incident = world.report("reporter", "nw-brighton")
    video = EvidenceFile.objects.create(
        incident=incident,
        owner_org_id=incident.owner_org_id,
        file="originals/x.mp4",
        original_filename="cam.mp4",
        size=10,
        sha256="a" * 64,
        content_type="video/mp4",
    )
    export = EvidenceFile.objects.create(
        incident=incident,
        owner_org_id=incident.owner_org_id,
        file="originals/x.zip",
        original_filename="e.zip",
        size=10,
        sha256="b" * 64,
        content_type="application/zip",
    )
    browser = signed_in(world, "manager")
    assert b"<video" in browser.get(f"/evidence/{video.pk}/").content
    page = browser.get(f"/evidence/{export.pk}/").content
    assert b"<video" not in page
    assert b"cannot be shown in the browser" in page
    assert f'href="/evidence/{export.pk}/download"'.encode() in page


def test_the_download_is_the_original_and_enters_custody(world: World) -> None:
    _, files = photos(world, 1)
    response = signed_in(world, "manager").get(f"/evidence/{files[0].pk}/download")
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == files[0].sha256  # type: ignore[attr-defined]
    assert "attachment" in response["Content-Disposition"]
    last = CustodyEntry.objects.filter(evidence=files[0]).order_by("-seq").first()
    assert last is not None
    assert last.action == CustodyAction.DOWNLOADED
