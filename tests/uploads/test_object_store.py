"""tus straight to an S3 object store (moto, in process): parts sent as they fill, the offset the database
records as the truth (unacknowledged spool bytes cut off, a lost spool sending the upload back to its last
part), the SHA-256 exact across resumes, and multipart uploads aborted when an upload is refused or
abandoned."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.exceptions import EndpointConnectionError  # type: ignore[import-untyped]
from moto import mock_aws

from shopwatch.core.files import resumable_sha256
from shopwatch.core.files.multipart import MultipartTarget, Part
from shopwatch.core.files.resumable_sha256 import ResumableSha256
from shopwatch.evidence.models import EvidenceFile
from shopwatch.reporting.models import Incident
from shopwatch.uploads.models import Upload, UploadState
from shopwatch.uploads.services.cleanup import uploads_cleanup
from shopwatch.uploads.services.common import Refused, StoreUnavailable
from shopwatch.uploads.services.creation import partial_path, upload_create
from shopwatch.uploads.services.locking import upload_offset
from shopwatch.uploads.services.receiving import Received, upload_receive
from shopwatch.uploads.services.uploaders import Uploader
from tests.world import World

BUCKET = "evidence-under-test"
PART = 5 * 1024 * 1024


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


@pytest.fixture
def incident(world: World) -> Incident:
    return world.report("reporter", "nw-brighton")


def cctv_zip(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("camera-1/clip.bin", os.urandom(size))
    return out.getvalue()


def start(world: World, incident: Incident, data: bytes) -> tuple[Uploader, Upload]:
    uploader = Uploader(viewer=world.viewer("reporter", channel="api"))
    meta = {"incident": str(incident.pk), "filename": "cctv.zip"}
    return uploader, upload_create(uploader=uploader, length=len(data), metadata=meta)


def send(uploader: Uploader, upload_id: Any, data: bytes, start: int, end: int) -> Received:
    body = io.BytesIO(data[start:end])
    upload = Upload.objects.select_related("incident").get(pk=upload_id)
    return upload_receive(
        uploader=uploader, upload=upload, client_offset=start, read=body.read, content_length=end - start
    )


def multipart_uploads(s3: Any) -> list[Any]:
    return list(s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []))


def offset_of(upload_id: Any) -> int:
    return upload_offset(Upload.objects.get(pk=upload_id))


def test_the_resumable_sha256_goes_on_from_a_saved_state_exactly_as_hashlib() -> None:
    assert resumable_sha256.available()
    data = os.urandom(1_000_003)
    first = ResumableSha256()
    first.update(data[:77_777])
    saved = first.state()
    assert len(saved) == resumable_sha256.STATE_BYTES
    later = ResumableSha256(saved)
    later.update(data[77_777:])
    assert later.hexdigest() == hashlib.sha256(data).hexdigest()
    assert later.hexdigest() == later.hexdigest()  # reading the digest leaves the state as it was
    with pytest.raises(ValueError, match="112 bytes"):
        ResumableSha256(b"short")


def test_parts_go_to_the_store_as_they_fill_and_only_recorded_spool_bytes_count(
    world: World, incident: Incident, s3: Any
) -> None:
    data = cctv_zip(13 * 1024 * 1024)
    uploader, upload = start(world, incident, data)
    assert upload.storage_name.startswith("originals/")
    assert len(multipart_uploads(s3)) == 1

    first = send(uploader, upload.pk, data, 0, 7 * 1024 * 1024)
    assert first.offset == 7 * 1024 * 1024
    recorded = Upload.objects.get(pk=upload.pk)
    assert (recorded.stored_bytes, recorded.spool_bytes, len(recorded.parts)) == (PART, 2 * 1024 * 1024, 1)
    assert partial_path(upload).stat().st_size == 2 * 1024 * 1024  # only the unfinished part is local

    # Bytes a killed request wrote to the spool but never recorded are not counted, and are cut off.
    with partial_path(upload).open("ab") as spool:
        spool.write(b"never acknowledged" * 1000)
    assert offset_of(upload.pk) == 7 * 1024 * 1024
    assert partial_path(upload).stat().st_size == 2 * 1024 * 1024

    done = send(uploader, upload.pk, data, 7 * 1024 * 1024, len(data))
    assert done.evidence is not None
    sha = hashlib.sha256(data).hexdigest()
    assert done.evidence.sha256 == sha
    stored = s3.get_object(Bucket=BUCKET, Key=done.evidence.file.name)
    assert stored["Body"].read() == data
    assert stored["ETag"].strip('"').endswith("-3")
    assert multipart_uploads(s3) == []
    assert not partial_path(upload).exists()
    assert Upload.objects.get(pk=upload.pk).state == UploadState.COMPLETE


def test_a_lost_spool_sends_the_upload_back_to_its_last_part_and_the_hash_stays_exact(
    world: World, incident: Incident, s3: Any
) -> None:
    data = cctv_zip(12 * 1024 * 1024)
    uploader, upload = start(world, incident, data)
    send(uploader, upload.pk, data, 0, 8 * 1024 * 1024)
    partial_path(upload).write_bytes(b"")  # the host that held the unfinished part is gone
    assert offset_of(upload.pk) == PART
    done = send(uploader, upload.pk, data, PART, len(data))
    assert done.evidence is not None
    assert done.evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert s3.get_object(Bucket=BUCKET, Key=done.evidence.file.name)["Body"].read() == data


def test_the_same_file_again_is_stored_once_and_its_second_object_deleted(
    world: World, incident: Incident, s3: Any
) -> None:
    data = cctv_zip(6 * 1024 * 1024)
    uploader, upload = start(world, incident, data)
    first = send(uploader, upload.pk, data, 0, len(data))
    _, again = start(world, incident, data)
    second = send(uploader, again.pk, data, 0, len(data))
    assert first.evidence is not None
    assert second.evidence is not None
    assert second.evidence.pk == first.evidence.pk
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys == [first.evidence.file.name]
    assert EvidenceFile.objects.count() == 1


def test_refused_and_abandoned_uploads_abort_their_multipart_uploads(
    world: World, incident: Incident, s3: Any
) -> None:
    data = cctv_zip(8 * 1024 * 1024)
    uploader, refused = start(world, incident, data)
    junk = b"MZ not a zip" + bytes(6 * 1024 * 1024)
    with pytest.raises(Refused):
        send(uploader, refused.pk, junk, 0, len(junk))
    assert Upload.objects.get(pk=refused.pk).state == UploadState.REFUSED

    _, abandoned = start(world, incident, data)
    send(uploader, abandoned.pk, data, 0, 6 * 1024 * 1024)
    assert len(multipart_uploads(s3)) == 1
    report = uploads_cleanup(older_than=dt.timedelta(0))
    assert report.expired == 1
    assert Upload.objects.get(pk=abandoned.pk).state == UploadState.EXPIRED
    assert multipart_uploads(s3) == []
    assert s3.list_objects_v2(Bucket=BUCKET).get("Contents", []) == []
    assert not partial_path(abandoned).exists()


def test_a_completion_whose_answer_was_lost_still_makes_the_file_evidence(
    world: World, incident: Incident, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    complete = MultipartTarget.complete

    def complete_then_drop(self: MultipartTarget, name: str, upload_id: str, parts: list[Part]) -> None:
        complete(self, name, upload_id, parts)
        raise EndpointConnectionError(endpoint_url="http://s3.test")

    monkeypatch.setattr(MultipartTarget, "complete", complete_then_drop)
    data = cctv_zip(6 * 1024 * 1024)
    uploader, upload = start(world, incident, data)
    done = send(uploader, upload.pk, data, 0, len(data))
    assert done.evidence is not None
    assert done.evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert s3.get_object(Bucket=BUCKET, Key=done.evidence.file.name)["Body"].read() == data


def test_a_store_that_does_not_take_a_part_answers_503_and_the_upload_resumes_from_what_is_recorded(
    world: World, incident: Incident, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = cctv_zip(11 * 1024 * 1024)
    uploader, upload = start(world, incident, data)
    upload_part = MultipartTarget.upload_part
    monkeypatch.setattr(
        MultipartTarget,
        "upload_part",
        lambda *args, **kwargs: (_ for _ in ()).throw(EndpointConnectionError(endpoint_url="http://s3.test")),
    )
    with pytest.raises(StoreUnavailable):
        send(uploader, upload.pk, data, 0, 7 * 1024 * 1024)
    assert offset_of(upload.pk) == PART  # the full part is kept in the spool, recorded, and sent next time
    monkeypatch.setattr(MultipartTarget, "upload_part", upload_part)
    done = send(uploader, upload.pk, data, PART, len(data))
    assert done.evidence is not None
    assert done.evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert s3.get_object(Bucket=BUCKET, Key=done.evidence.file.name)["Body"].read() == data
