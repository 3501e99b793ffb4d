from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import transaction
from django.test import override_settings

from shopwatch.core.errors import NotEntitled, ValidationFailed
from shopwatch.core.files.hashing import HashingReader
from shopwatch.core.files.storage import stored_files_guard
from shopwatch.core.models import AuditEvent
from shopwatch.evidence import services
from shopwatch.evidence.models import EvidenceFile
from shopwatch.reporting.models import Incident
from tests.evidence.images import jpeg_bytes, png_bomb_bytes, png_bytes
from tests.world import World


def _add(world: World, user: str, incident: Incident, data: bytes, name: str = "photo.jpg") -> EvidenceFile:
    return services.evidence_add(
        viewer=world.viewer(user),
        incident=incident,
        fileobj=io.BytesIO(data),
        filename=name,
    )


def _errors(exc: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return " ".join(f"{e.field}: {e.message}" for e in exc.value.errors)


def test_stores_original_bytes_with_sha256_of_exactly_those_bytes(world: World) -> None:
    inc = world.report("reporter", "nw-brighton")
    data = jpeg_bytes(taken="2026:11:28 14:30:00")
    ev = _add(world, "reporter", inc, data, name="../../etc/IMG_0001.JPG")
    assert ev.sha256 == hashlib.sha256(data).hexdigest()
    assert ev.size == len(data)
    assert ev.content_type == "image/jpeg"
    assert ev.original_filename == "IMG_0001.JPG"
    assert ev.uploaded_by_id == world.users["reporter"].pk
    assert ev.owner_org_id == inc.owner_org_id
    assert (ev.width, ev.height) == (64, 48)
    with default_storage.open(ev.file.name, "rb") as f:
        assert f.read() == data
    assert ev.file.name.startswith("originals/")
    audit = AuditEvent.objects.get(object_type="evidence", object_id=str(ev.pk), action="create")
    assert audit.actor_id == world.users["reporter"].pk
    assert audit.store_id == inc.store_id
    assert audit.detail["sha256"] == ev.sha256


def test_hash_is_computed_while_streaming_a_large_temporary_upload(world: World) -> None:
    """Uploads over the memory limit arrive as temporary files; they must be hashed, not moved unread."""
    inc = world.report("reporter", "nw-brighton")
    data = jpeg_bytes(size=(1200, 900))
    upload = TemporaryUploadedFile("big.jpg", "image/jpeg", len(data), None)
    upload.write(data)
    upload.seek(0)
    ev = services.evidence_add(
        viewer=world.viewer("reporter"), incident=inc, fileobj=upload, filename="big.jpg"
    )
    assert ev.sha256 == hashlib.sha256(data).hexdigest()
    with default_storage.open(ev.file.name, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == ev.sha256


def test_hashing_reader_hashes_each_byte_once_whatever_the_read_pattern() -> None:
    data = bytes(range(256)) * 1000
    reader = HashingReader(io.BytesIO(data), len(data), limit=10**9)
    reader.read(1000)
    reader.seek(0)  # a backend rewinding to retry
    reader.read(5000)
    reader.seek(0, io.SEEK_END)  # or measuring the size
    reader.seek(5000)
    while reader.read(7777):
        pass
    assert reader.finish() == (hashlib.sha256(data).hexdigest(), len(data))


def test_exif_capture_time_is_kept(world: World) -> None:
    inc = world.report("reporter", "nw-brighton")
    with_offset = _add(world, "reporter", inc, jpeg_bytes(taken="2026:06:01 09:15:00", offset="+01:00"))
    assert with_offset.captured_at == dt.datetime(2026, 6, 1, 8, 15, tzinfo=dt.UTC)
    local = _add(world, "reporter", inc, jpeg_bytes(color=(1, 2, 3), taken="2026:01:10 12:00:00"))
    assert local.captured_at == dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC)  # GMT in winter
    none = _add(world, "reporter", inc, jpeg_bytes(color=(9, 9, 9)))
    assert none.captured_at is None


def test_same_bytes_on_same_incident_are_stored_once(world: World) -> None:
    inc = world.report("reporter", "nw-brighton")
    data = jpeg_bytes()
    first = _add(world, "reporter", inc, data, "a.jpg")
    again = _add(world, "manager", inc, data, "copy-of-a.jpg")
    assert again.pk == first.pk
    assert EvidenceFile.objects.filter(incident=inc).count() == 1
    _, files = default_storage.listdir(first.file.name.rsplit("/", 1)[0])
    assert len(files) == 1


def test_the_same_bytes_for_another_incident_are_linked_not_stored_again(world: World) -> None:
    from shopwatch.evidence.models import CustodyAction, EvidenceLink
    from shopwatch.evidence.selectors import evidence_for_incident

    inc = world.report("reporter", "nw-brighton")
    data = jpeg_bytes()
    first = _add(world, "reporter", inc, data, "a.jpg")
    other = world.report("other_store_reporter", "nw-hove")  # the same retailer, another store
    again = _add(world, "other_store_reporter", other, data, "till-2.jpg")
    assert again.pk == first.pk
    assert EvidenceFile.objects.count() == 1
    _, files = default_storage.listdir(first.file.name.rsplit("/", 1)[0])
    assert len(files) == 1
    link = EvidenceLink.objects.get(evidence=first)
    assert link.incident_id == other.pk
    assert link.via == "same_file"
    viewer = world.viewer("other_store_reporter")
    assert [e.pk for e in evidence_for_incident(viewer=viewer, incident=other)] == [first.pk]
    assert list(first.custody.values_list("action", flat=True)) == [
        CustodyAction.RECEIVED,
        CustodyAction.LINKED,
    ]
    # Another organisation's identical photo is its own evidence: nothing links across organisations.
    theirs = world.report("unconnected_reporter", "oxshop-oxford")
    assert _add(world, "unconnected_reporter", theirs, data).pk != first.pk


def test_png_is_accepted(world: World) -> None:
    inc = world.report("reporter", "nw-brighton")
    assert _add(world, "reporter", inc, png_bytes(), "screen.png").content_type == "image/png"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "is empty"),
        (b"%PDF-1.7\n" + b"x" * 200, "not a photo ShopWatch accepts"),
        (b"GIF89a" + b"\x00" * 100, "not a photo ShopWatch accepts"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "not a photo ShopWatch accepts"),
        (jpeg_bytes()[:200], "damaged or incomplete"),
        (png_bomb_bytes(), "decompression bomb"),
    ],
)
def test_refused_files_say_why_and_store_nothing(world: World, data: bytes, expected: str) -> None:
    inc = world.report("reporter", "nw-brighton")
    before = AuditEvent.objects.filter(object_type="evidence").count()
    with pytest.raises(ValidationFailed) as exc:
        _add(world, "reporter", inc, data, "evil.jpg")
    assert expected in _errors(exc)
    assert "evil.jpg" in _errors(exc)
    assert exc.value.errors[0].field == "photos"
    assert not EvidenceFile.objects.exists()
    assert AuditEvent.objects.filter(object_type="evidence").count() == before


def test_size_limit(world: World) -> None:
    inc = world.report("reporter", "nw-brighton")
    data = jpeg_bytes(size=(400, 300))
    with override_settings(SHOPWATCH_MAX_PHOTO_BYTES=len(data) - 1), pytest.raises(ValidationFailed) as exc:
        _add(world, "reporter", inc, data)
    assert "too large" in _errors(exc)
    with override_settings(SHOPWATCH_MAX_PHOTO_BYTES=len(data)):
        assert _add(world, "reporter", inc, data).size == len(data)


@pytest.mark.parametrize(
    "user", ["same_partnership_reporter", "police_sussex", "other_store_reporter", "unconnected_reporter"]
)
def test_only_people_who_report_for_the_store_may_add(world: World, user: str) -> None:
    inc = world.report("reporter", "nw-brighton")
    with pytest.raises(NotEntitled):
        _add(world, user, inc, jpeg_bytes())
    assert not EvidenceFile.objects.exists()


def test_security_manager_of_the_retailer_may_add(world: World) -> None:
    inc = world.report("reporter", "nw-brighton")
    assert _add(world, "security", inc, jpeg_bytes()).uploaded_by_id == world.users["security"].pk


def test_guard_removes_stored_files_when_the_surrounding_transaction_fails(world: World) -> None:
    inc = world.report("reporter", "nw-brighton")
    stored: list[str] = []

    def add_good_then_bad() -> None:
        with stored_files_guard() as names, transaction.atomic():
            ok = _add(world, "reporter", inc, jpeg_bytes())
            stored.extend(names)
            assert default_storage.exists(ok.file.name)
            _add(world, "reporter", inc, b"not an image at all", "second.jpg")

    with pytest.raises(ValidationFailed):
        add_good_then_bad()
    assert stored
    assert not any(default_storage.exists(n) for n in stored)
    assert not EvidenceFile.objects.exists()


def test_thumbnail_is_a_separate_derived_file_made_once(world: World) -> None:
    inc = world.report("reporter", "nw-brighton")
    ev = _add(world, "reporter", inc, jpeg_bytes(size=(2000, 1000)))
    name = services.evidence_thumbnail_ensure(evidence=ev)
    assert name is not None
    assert name.startswith("thumbs/")
    assert name != ev.file.name
    from PIL import Image

    with default_storage.open(name, "rb") as f, Image.open(f) as img:
        assert max(img.size) <= 480
    ev.refresh_from_db()
    assert services.evidence_thumbnail_ensure(evidence=ev) == name


def test_uploaded_file_objects_work(world: World) -> None:
    inc = world.report("reporter", "nw-brighton")
    data = jpeg_bytes()
    upload = SimpleUploadedFile("x.jpg", data, content_type="application/octet-stream")
    ev = services.evidence_add(
        viewer=world.viewer("reporter"),
        incident=inc,
        fileobj=upload,
        filename=upload.name or "photo",
        declared_type=upload.content_type,
    )
    assert ev.content_type == "image/jpeg"  # decided from the bytes, not the declared type
