"""The tus protocol's rules and every bad input, answered specifically; nothing half-stored is evidence."""

from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.models import User
from shopwatch.evidence.models import EvidenceFile
from shopwatch.reporting.models import Incident
from shopwatch.uploads.models import Upload, UploadState
from shopwatch.uploads.services import common as upload_common
from shopwatch.uploads.services.creation import partial_dir, partial_path
from tests.evidence.images import heic_bytes, jpeg_bytes, png_bomb_bytes, png_bytes
from tests.uploads.support import encode_metadata, mp4_bytes, zip_bytes
from tests.world import World

ENDPOINT = "/api/v1/uploads"
PROBLEM = "application/problem+json"


@dataclass
class Tus:
    client: Client
    secret: str

    def _h(self, extra: dict[str, str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}", "Tus-Resumable": "1.0.0", **extra}

    def create(self, length: int | None, headers: dict[str, str] | None = None, **metadata: str) -> Any:
        extra = {"Upload-Metadata": encode_metadata(metadata)}
        if length is not None:
            extra["Upload-Length"] = str(length)
        return self.client.post(ENDPOINT, headers=self._h({**extra, **(headers or {})}))

    def patch(
        self,
        url: str,
        offset: int,
        body: bytes,
        content_type: str = "application/offset+octet-stream",
        **extra: str,
    ) -> Any:
        return self.client.generic(
            "PATCH",
            url,
            body,
            content_type=content_type,
            headers=self._h({"Upload-Offset": str(offset), **extra}),
        )

    def head(self, url: str) -> Any:
        return self.client.head(url, headers=self._h({}))

    def delete(self, url: str) -> Any:
        return self.client.delete(url, headers=self._h({}))

    def send(self, data: bytes, incident: Incident, filename: str = "file.bin", **metadata: str) -> Any:
        created = self.create(len(data), None, incident=str(incident.pk), filename=filename, **metadata)
        assert created.status_code == 201, created.content
        return self.patch(created["Location"], 0, data)


def tus_for(world: World, name: str) -> Tus:
    user = User.objects.get(pk=world.users[name].pk)
    return Tus(Client(), apikey_create(viewer=world.viewer(name), user=user, name="t").secret)


@pytest.fixture
def incident(world: World) -> Incident:
    return world.report("reporter", "nw-brighton")


def refusal(response: Any) -> str:
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    return " ".join(e["message"] for e in body["errors"]) or body.get("detail", "")


def test_options_says_what_the_server_supports(db: None) -> None:
    response = Client().options(ENDPOINT)
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {"creation", "termination", "expiration"}
    assert int(response["Tus-Max-Size"]) == 10 * 1024**3
    assert response["Tus-Resumable"] == "1.0.0"


def test_creation_answers_location_expiry_and_every_answer_carries_tus_resumable(
    world: World, incident: Incident
) -> None:
    tus = tus_for(world, "reporter")
    created = tus.create(1000, incident=str(incident.pk), filename="a.jpg")
    assert created.status_code == 201
    assert created["Location"].startswith("http://testserver/api/v1/uploads/")
    assert created["Upload-Expires"].endswith("GMT")
    head = tus.head(created["Location"])
    assert head.status_code == 200
    assert head["Upload-Offset"] == "0"
    assert head["Upload-Length"] == "1000"
    assert head["Cache-Control"] == "no-store"
    for response in (created, head, tus.patch(created["Location"], 5, b"x")):
        assert response["Tus-Resumable"] == "1.0.0"


def test_wrong_or_missing_tus_version_is_412(world: World, incident: Incident) -> None:
    tus = tus_for(world, "reporter")
    response = tus.client.post(
        ENDPOINT, headers={"Authorization": f"Bearer {tus.secret}", "Upload-Length": "5"}
    )
    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"


def test_creation_needs_incident_filename_and_length_each_named(world: World) -> None:
    tus = tus_for(world, "reporter")
    response = tus.create(None)
    assert response.status_code == 422
    fields = {e["field"] for e in json.loads(response.content)["errors"]}
    assert "incident" in fields
    response = tus.create(None, incident=str(world.report("reporter", "nw-brighton").pk))
    fields = {e["field"] for e in json.loads(response.content)["errors"]}
    assert fields == {"filename", "Upload-Length"}
    bad = tus.client.post(ENDPOINT, headers=tus._h({"Upload-Length": "5", "Upload-Metadata": "incident !!!"}))
    assert bad.status_code == 422
    assert "base64" in refusal(bad)
    not_number = tus.client.post(ENDPOINT, headers=tus._h({"Upload-Length": "-5"}))
    assert not_number.status_code == 422


def test_zero_byte_files_are_refused_at_creation(world: World, incident: Incident) -> None:
    response = tus_for(world, "reporter").create(0, incident=str(incident.pk), filename="empty.jpg")
    assert response.status_code == 422
    assert "empty" in refusal(response)
    assert not Upload.objects.exists()


def test_files_over_the_size_limit_are_refused_at_creation(
    world: World, incident: Incident, settings: Any
) -> None:
    settings.SHOPWATCH_MAX_UPLOAD_BYTES = 1000
    response = tus_for(world, "reporter").create(1001, incident=str(incident.pk), filename="big.mp4")
    assert response.status_code == 413
    assert "limit is 1,000 bytes" in refusal(response)


def test_an_incident_the_caller_may_not_see_is_404_at_once(world: World, incident: Incident) -> None:
    response = tus_for(world, "unconnected_reporter").create(10, incident=str(incident.pk), filename="a.jpg")
    assert response.status_code == 404
    missing = tus_for(world, "reporter").create(10, incident="999999", filename="a.jpg")
    assert missing.status_code == 404
    assert not Upload.objects.exists()


def test_seeing_an_incident_is_not_enough_to_add_evidence_to_it(world: World, incident: Incident) -> None:
    # A reporter at another store of the same partnership sees the report but does not report for it.
    response = tus_for(world, "same_partnership_reporter").create(
        10, incident=str(incident.pk), filename="a.jpg"
    )
    assert response.status_code == 403
    assert "report for this store" in refusal(response)


def test_the_security_manager_uploads_for_any_store_of_the_estate(world: World, incident: Incident) -> None:
    data = mp4_bytes(50_000)
    response = tus_for(world, "security").send(data, incident, "cctv.mp4")
    assert response.status_code == 204
    assert EvidenceFile.objects.get().uploaded_by_id == world.users["security"].pk


def test_someone_elses_upload_is_404(world: World, incident: Incident) -> None:
    owner = tus_for(world, "reporter")
    url = owner.create(100, incident=str(incident.pk), filename="a.jpg")["Location"]
    other = tus_for(world, "manager")  # same store, but not their upload
    assert other.head(url).status_code == 404
    assert other.patch(url, 0, b"x" * 10).status_code == 404
    assert other.delete(url).status_code == 404
    assert owner.head(f"{ENDPOINT}/not-a-uuid").status_code == 404


def test_unauthenticated_and_bad_keys_are_401(db: None) -> None:
    assert (
        Client().post(ENDPOINT, headers={"Tus-Resumable": "1.0.0", "Upload-Length": "5"}).status_code == 401
    )
    response = Client().post(
        ENDPOINT, headers={"Tus-Resumable": "1.0.0", "Authorization": "Bearer sw_nope_x"}
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_patch_rules_offset_conflict_content_type_and_overflow(world: World, incident: Incident) -> None:
    tus = tus_for(world, "reporter")
    data = jpeg_bytes()
    url = tus.create(len(data), incident=str(incident.pk), filename="a.jpg")["Location"]
    assert tus.patch(url, 0, data[:100]).status_code == 204
    conflict = tus.patch(url, 0, data[100:200])
    assert conflict.status_code == 409
    assert "offset 100" in refusal(conflict)
    wrong_type = tus.patch(url, 100, data[100:], content_type="application/json")
    assert wrong_type.status_code == 415
    too_much = tus.patch(url, 100, data[100:] + b"extra")
    assert too_much.status_code == 413
    assert tus.head(url)["Upload-Offset"] == "100"
    done = tus.patch(url, 100, data[100:])
    assert done.status_code == 204
    assert done["Upload-Offset"] == str(len(data))
    assert done["ShopWatch-Evidence-Id"] == str(EvidenceFile.objects.get().pk)


def test_a_type_not_on_the_allow_list_is_refused_with_the_first_bytes(
    world: World, incident: Incident
) -> None:
    tus = tus_for(world, "reporter")
    data = b"MZ\x90\x00" + b"\x00" * 5000  # a Windows program renamed to .jpg
    url = tus.create(len(data), incident=str(incident.pk), filename="holiday.jpg")["Location"]
    response = tus.patch(url, 0, data[:1000])
    assert response.status_code == 422
    assert "not accepted" in refusal(response)
    assert tus.head(url).status_code == 410
    assert Upload.objects.get().state == UploadState.REFUSED
    assert not partial_path(Upload.objects.get()).exists()
    again = tus.patch(url, 1000, data[1000:])
    assert again.status_code == 422
    assert not EvidenceFile.objects.exists()


def test_content_that_does_not_match_its_declared_type_is_refused(world: World, incident: Incident) -> None:
    response = tus_for(world, "reporter").send(png_bytes(), incident, "photo.jpg", filetype="image/jpeg")
    assert response.status_code == 422
    assert "sent as image/jpeg but its content is image/png" in refusal(response)
    assert not EvidenceFile.objects.exists()


def test_the_type_is_decided_from_content_not_the_name(world: World, incident: Incident) -> None:
    response = tus_for(world, "reporter").send(png_bytes(), incident, "photo.jpg")
    assert response.status_code == 204
    assert EvidenceFile.objects.get().content_type == "image/png"


def test_an_image_decompression_bomb_is_refused(world: World, incident: Incident) -> None:
    response = tus_for(world, "reporter").send(png_bomb_bytes(), incident, "bomb.png")
    assert response.status_code == 422
    assert "decompression bomb" in refusal(response)
    assert not EvidenceFile.objects.exists()


def test_an_iphone_heic_is_accepted_with_its_size_and_a_damaged_one_refused(
    world: World, incident: Incident
) -> None:
    photo = heic_bytes(size=(1008, 756))
    response = tus_for(world, "reporter").send(photo, incident, "IMG_0001.HEIC", filetype="image/heic")
    assert response.status_code == 204
    evidence = EvidenceFile.objects.get()
    assert (evidence.content_type, evidence.width, evidence.height) == ("image/heic", 1008, 756)
    # The boxes still tile the file, but the picture inside is garbage: libheif cannot open it.
    damaged = photo[:24] + bytes(len(photo) - 24)
    response = tus_for(world, "reporter").send(damaged, incident, "IMG_0002.HEIC")
    assert response.status_code == 422
    assert EvidenceFile.objects.count() == 1


def test_a_zip_bomb_is_refused_without_extracting_it(world: World, incident: Incident) -> None:
    bomb = zip_bytes({"footage.bin": b"\x00" * (50 * 1024 * 1024)})
    assert len(bomb) < 100_000
    response = tus_for(world, "reporter").send(bomb, incident, "export.zip")
    assert response.status_code == 422
    assert "decompression bomb" in refusal(response)


def test_a_zip_whose_declared_total_is_too_large_is_refused(
    world: World, incident: Incident, settings: Any
) -> None:
    settings.SHOPWATCH_ZIP_MAX_UNCOMPRESSED_BYTES = 1_000_000
    export = zip_bytes({"cam1.dav": bytes(range(256)) * 5000}, compression=zipfile.ZIP_STORED)
    response = tus_for(world, "reporter").send(export, incident, "export.zip")
    assert response.status_code == 422
    assert "would unpack to" in refusal(response)


def test_overlapping_zip_entries_are_refused(world: World, incident: Incident) -> None:
    one = zip_bytes({"a.dav": bytes(range(256)) * 100}, compression=zipfile.ZIP_STORED)
    # Point a second central-directory entry at the same local file (how overlapping bombs are built).
    archive = zipfile.ZipFile(__import__("io").BytesIO(one))
    info = archive.infolist()[0]
    eocd = one.rfind(b"PK\x05\x06")
    cd_start = int.from_bytes(one[eocd + 16 : eocd + 20], "little")
    central = one[cd_start:eocd]
    doubled = one[:cd_start] + central + central
    end = bytearray(one[eocd:])
    end[8:10] = (2).to_bytes(2, "little")
    end[10:12] = (2).to_bytes(2, "little")
    end[12:16] = (len(central) * 2).to_bytes(4, "little")
    data = doubled + bytes(end)
    assert info.header_offset == 0
    response = tus_for(world, "reporter").send(data, incident, "export.zip")
    assert response.status_code == 422
    assert "overlap" in refusal(response)


def test_a_cctv_zip_export_is_accepted(world: World, incident: Incident) -> None:
    export = zip_bytes(
        {"player.exe": b"MZ" + bytes(range(256)) * 40, "cam1/clip.dav": bytes(range(256)) * 400}
    )
    response = tus_for(world, "reporter").send(export, incident, "export.zip", filetype="application/zip")
    assert response.status_code == 204
    assert EvidenceFile.objects.get().content_type == "application/zip"


def test_a_damaged_zip_is_refused(world: World, incident: Incident) -> None:
    export = zip_bytes({"cam1.dav": bytes(range(256)) * 400})
    response = tus_for(world, "reporter").send(export[:-30], incident, "export.zip")
    assert response.status_code == 422
    assert "damaged or incomplete" in refusal(response)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (
            b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00\x00\x00\x10mdat" + b"\x01" * 8,
            "video/quicktime",
        ),
        (
            b"RIFF"
            + (4 + 8 + 100).to_bytes(4, "little")
            + b"AVI "
            + b"LIST"
            + (100).to_bytes(4, "little")
            + b"\x00" * 100,
            "video/x-msvideo",
        ),
        (
            b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x88matroska" + b"\x00" * 200,
            "video/x-matroska",
        ),
    ],
)
def test_mov_avi_and_mkv_are_recognised(
    world: World, incident: Incident, data: bytes, content_type: str
) -> None:
    response = tus_for(world, "reporter").send(data, incident, "clip")
    assert response.status_code == 204, response.content
    assert EvidenceFile.objects.get().content_type == content_type


def test_a_truncated_avi_is_refused(world: World, incident: Incident) -> None:
    data = b"RIFF" + (5000).to_bytes(4, "little") + b"AVI " + b"\x00" * 100
    response = tus_for(world, "reporter").send(data, incident, "clip.avi")
    assert response.status_code == 422
    assert "incomplete" in refusal(response)


def test_termination_deletes_the_received_bytes(world: World, incident: Incident) -> None:
    tus = tus_for(world, "reporter")
    url = tus.create(1000, incident=str(incident.pk), filename="a.mp4")["Location"]
    tus.patch(url, 0, mp4_bytes(2000)[:500])
    upload = Upload.objects.get()
    assert partial_path(upload).stat().st_size == 500
    assert tus.delete(url).status_code == 204
    assert not partial_path(upload).exists()
    assert tus.head(url).status_code == 410
    assert tus.patch(url, 500, b"x").status_code == 410


def test_a_finished_upload_cannot_be_terminated(world: World, incident: Incident) -> None:
    tus = tus_for(world, "reporter")
    data = jpeg_bytes()
    url = tus.create(len(data), incident=str(incident.pk), filename="a.jpg")["Location"]
    tus.patch(url, 0, data)
    response = tus.delete(url)
    assert response.status_code == 409
    assert EvidenceFile.objects.count() == 1


def test_abandoned_uploads_expire_and_are_cleaned_up(world: World, incident: Incident) -> None:
    tus = tus_for(world, "reporter")
    old = tus.create(1000, incident=str(incident.pk), filename="old.mp4")["Location"]
    tus.patch(old, 0, mp4_bytes(2000)[:300])
    fresh = tus.create(1000, incident=str(incident.pk), filename="fresh.mp4")["Location"]
    old_upload = Upload.objects.get(filename="old.mp4")
    Upload.objects.filter(pk=old_upload.pk).update(touched_at=timezone.now() - dt.timedelta(hours=25))
    stray = partial_dir() / "0123456789abcdef0123456789abcdef.part"
    stray.write_bytes(b"left over")
    import os

    os.utime(stray, (0, 0))

    assert tus.head(old).status_code == 410  # expired: the client is told to start again

    call_command("uploads_cleanup")

    assert not partial_path(old_upload).exists()
    assert Upload.objects.get(pk=old_upload.pk).state == UploadState.EXPIRED
    assert not stray.exists()
    assert tus.head(fresh).status_code == 200
    assert partial_path(Upload.objects.get(filename="fresh.mp4")).exists()


def test_the_cleanup_task_runs_from_upload_traffic(
    world: World, incident: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    tus = tus_for(world, "reporter")
    first = tus.create(1000, incident=str(incident.pk), filename="old.mp4")["Location"]
    Upload.objects.update(touched_at=timezone.now() - dt.timedelta(days=2))
    from django.core.cache import cache

    cache.clear()  # the hourly slot is free again
    with django_capture_on_commit_callbacks(execute=True):
        tus.create(
            1000, incident=str(incident.pk), filename="new.mp4"
        )  # enqueues the task (immediate in tests)
    assert Upload.objects.get(filename="old.mp4").state == UploadState.EXPIRED
    assert tus.head(first).status_code == 410


def test_a_signed_in_browser_needs_the_csrf_token(world: World, incident: Incident) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(User.objects.get(pk=world.users["reporter"].pk))
    meta = {
        "Tus-Resumable": "1.0.0",
        "Upload-Length": "100",
        "Upload-Metadata": encode_metadata({"incident": str(incident.pk), "filename": "a.jpg"}),
    }
    refused = browser.post(ENDPOINT, headers=meta)
    assert refused.status_code == 403
    browser.get(f"/uploads/incidents/{incident.pk}/")
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(ENDPOINT, headers={**meta, "X-CSRFToken": token})
    assert accepted.status_code == 201
    upload = Upload.objects.get()
    assert upload.channel == "web"
    assert upload.created_by_id == world.users["reporter"].pk


def test_method_override_for_clients_that_cannot_send_patch(world: World, incident: Incident) -> None:
    tus = tus_for(world, "reporter")
    data = jpeg_bytes()
    url = tus.create(len(data), incident=str(incident.pk), filename="a.jpg")["Location"]
    response = tus.client.post(
        url,
        data,
        content_type="application/offset+octet-stream",
        headers=tus._h({"Upload-Offset": "0", "X-HTTP-Method-Override": "PATCH"}),
    )
    assert response.status_code == 204
    assert EvidenceFile.objects.count() == 1


def test_every_finished_upload_is_audited_with_device_and_server_clocks(
    world: World, incident: Incident
) -> None:
    from shopwatch.core.models import AuditEvent

    tus_for(world, "reporter").send(jpeg_bytes(), incident, "a.jpg", device_time="1764396000000")
    evidence = EvidenceFile.objects.get()
    event = AuditEvent.objects.get(object_type="evidence", object_id=str(evidence.pk), action="create")
    assert event.actor_id == world.users["reporter"].pk
    assert event.channel == "api"
    assert event.detail["sha256"] == evidence.sha256
    assert event.detail["device_time"].startswith("2025-11-29")
    assert event.detail["server_time"]


def test_a_second_request_on_the_same_upload_waits_then_gets_423(
    world: World, incident: Incident, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    tus = tus_for(world, "reporter")
    url = tus.create(1000, incident=str(incident.pk), filename="a.mp4")["Location"]
    monkeypatch.setattr(upload_common, "LOCK_WAIT_SECONDS", 0.1)
    with partial_path(Upload.objects.get()).open("r+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # another worker is appending right now
        response = tus.patch(url, 0, mp4_bytes(2000)[:100])
    assert response.status_code == 423
    assert "Another request" in refusal(response)
    assert tus.patch(url, 0, mp4_bytes(2000)[:100]).status_code == 204


def test_storage_on_another_file_system_is_streamed_into(
    world: World, incident: Incident, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import hashlib

    from django.core.files.storage import default_storage

    def no_link(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    data = mp4_bytes(300_000)
    assert tus_for(world, "reporter").send(data, incident, "clip.mp4").status_code == 204
    evidence = EvidenceFile.objects.get()
    with default_storage.open(evidence.file.name, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert not partial_path(Upload.objects.get()).exists()


def test_the_upload_page_for_signed_in_people(world: World, incident: Incident) -> None:
    def page(name: str) -> Any:
        browser = Client()
        browser.force_login(User.objects.get(pk=world.users[name].pk))
        return browser.get(f"/uploads/incidents/{incident.pk}/")

    mine = page("reporter")
    assert mine.status_code == 200
    assert b'<label for="files">Files to send</label>' in mine.content
    assert b"tus.min.js" in mine.content
    neighbour = page("same_partnership_reporter")
    assert neighbour.status_code == 200
    assert b"Only people who report for this store" in neighbour.content
    assert b'type="file"' not in neighbour.content
    assert page("unconnected_reporter").status_code == 404
