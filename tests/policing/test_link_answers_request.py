"""Footage sent through an investigator's upload link (store staff without an account) answers the police's
open CCTV request: recorded on the request's trail, the incident back with the police, the officer who asked
told, exactly as "Tell the police it is sent" on the store's page does. Both ways an upload completes are
covered: received to local disk, and streamed straight to an S3 object store (moto)."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from django.test import Client
from moto import mock_aws

from shopwatch.core.models import AuditEvent
from shopwatch.evidence.models import EvidenceFile
from shopwatch.policing.models import Notification, Triage, TriageAction, TriageEvent, TriageState
from shopwatch.policing.services.triage import Decision, triage_decide, triage_request_cctv
from shopwatch.reporting.models import Incident
from shopwatch.uploads.completed import link_upload_completed
from shopwatch.uploads.models import Upload, UploadLink
from shopwatch.uploads.services.creation import upload_create
from shopwatch.uploads.services.receiving import upload_receive
from shopwatch.uploads.services.uploaders import Uploader, link_viewer, upload_link_create
from tests.uploads.support import mp4_bytes
from tests.world import World

BUCKET = "evidence-under-test"
PART = 5 * 1024 * 1024


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "files")


@pytest.fixture
def s3(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": BUCKET, "default_acl": None, "file_overwrite": False},
            },
        }
        settings.SHOPWATCH_UPLOAD_PART_BYTES = PART
        yield client


def _asked_for_cctv(world: World) -> tuple[Incident, UploadLink]:
    incident = world.report("reporter", "nw-brighton", report_to_police=True)
    officer = world.viewer("police_sussex")
    triage_request_cctv(viewer=officer, incident=incident, reason="The entrance camera, 14:00 to 14:30")
    assert Triage.objects.get(incident=incident).state == TriageState.INFO_REQUESTED
    # The request made the link the investigator passes to the store.
    return incident, UploadLink.objects.get(incident=incident)


def _send_through(link: UploadLink, data: bytes, filename: str) -> EvidenceFile:
    link = UploadLink.objects.select_related("incident", "created_by").get(pk=link.pk)
    uploader = Uploader(viewer=link_viewer(link), link=link)
    upload = upload_create(uploader=uploader, length=len(data), metadata={"filename": filename})
    upload = Upload.objects.select_related("incident").get(pk=upload.pk)
    received = upload_receive(
        uploader=uploader,
        upload=upload,
        client_offset=0,
        read=io.BytesIO(data).read,
        content_length=len(data),
    )
    assert received.evidence is not None
    return received.evidence


def _cctv_zip(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("camera-1/clip.bin", os.urandom(size))
    return out.getvalue()


def _assert_answered(
    world: World, web: Callable[[str], Client], incident: Incident, evidence: EvidenceFile
) -> None:
    answer = TriageEvent.objects.get(incident=incident, action=TriageAction.STORE_ANSWERED)
    assert answer.actor_id is None  # store staff with a link: nobody signed in
    assert answer.note == "1 file sent through the upload link"
    assert Triage.objects.get(incident=incident).state == TriageState.NEW  # back with the police
    told = Notification.objects.get(user=world.users["police_sussex"], incident=incident)
    assert told.subject == f"{incident.reference}: the store answered your request"
    assert evidence.sha256 in told.body
    asked = TriageEvent.objects.get(incident=incident, action=TriageAction.REQUEST_CCTV)
    audit = AuditEvent.objects.get(
        object_type="incident", object_id=str(incident.pk), detail__request=asked.pk
    )
    assert audit.actor_id is None
    assert audit.detail["evidence"] == [evidence.pk]
    assert audit.detail["upload_link"] == UploadLink.objects.get(incident=incident).pk
    # The store's page no longer offers to answer: the request is answered.
    page = web("manager").get(f"/incidents/{incident.pk}/").content.decode()
    assert "Tell the police it is sent" not in page


def test_footage_received_through_the_link_answers_the_open_cctv_request(
    world: World, web: Callable[[str], Client]
) -> None:
    incident, link = _asked_for_cctv(world)
    evidence = _send_through(link, mp4_bytes(300_000), "entrance.mp4")
    assert evidence.incident_id == incident.pk
    _assert_answered(world, web, incident, evidence)


def test_footage_streamed_to_the_object_store_through_the_link_answers_the_request(
    world: World, web: Callable[[str], Client], s3: Any
) -> None:
    incident, link = _asked_for_cctv(world)
    evidence = _send_through(link, _cctv_zip(PART + 1000), "cctv.zip")
    stored = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert stored == [evidence.file.name]  # streamed straight to the store, as parts
    _assert_answered(world, web, incident, evidence)


def test_a_link_upload_answers_nothing_without_an_open_cctv_request(world: World) -> None:
    officer = world.viewer("police_sussex")
    # No request at all: the file arrives, nothing is answered.
    quiet = world.report("reporter", "nw-brighton", report_to_police=True)
    link = upload_link_create(viewer=officer, incident_id=quiet.pk, hours=48).link
    _send_through(link, mp4_bytes(200_000), "a.mp4")
    assert not TriageEvent.objects.filter(incident=quiet, action=TriageAction.STORE_ANSWERED).exists()
    # A request for information is answered in words by the store, not by a file on its own.
    asked = world.report("reporter", "nw-brighton", report_to_police=True)
    triage_decide(viewer=officer, incident=asked, decision=Decision.REQUEST_INFO, reason="Which till was it?")
    link = upload_link_create(viewer=officer, incident_id=asked.pk, hours=48).link
    _send_through(link, mp4_bytes(200_000), "b.mp4")
    assert not TriageEvent.objects.filter(incident=asked, action=TriageAction.STORE_ANSWERED).exists()
    assert Triage.objects.get(incident=asked).state == TriageState.INFO_REQUESTED
    assert not Notification.objects.filter(
        incident__in=[quiet, asked], user=world.users["police_sussex"]
    ).exists()


def test_policing_registers_its_handler_with_uploads() -> None:
    assert [h.name for h in link_upload_completed.registered()] == ["policing"]
