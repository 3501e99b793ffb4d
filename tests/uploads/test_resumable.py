"""Resumable uploads with a real tus client (tuspy) against a live server: interrupted, resumed, retried."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import default_storage
from tusclient.exceptions import TusCommunicationError
from tusclient.uploader.uploader import Uploader

from shopwatch.evidence.models import EvidenceFile
from shopwatch.uploads.models import Upload, UploadState
from shopwatch.uploads.services.creation import partial_path
from shopwatch.uploads.services.locking import RUNNING, _RunningHashes
from tests.evidence.images import jpeg_bytes
from tests.uploads.support import caller, mp4_bytes
from tests.world import World

pytestmark = pytest.mark.usefixtures("transactional_db")


def stored_bytes(evidence: EvidenceFile) -> bytes:
    with default_storage.open(evidence.file.name, "rb") as f:
        return bytes(f.read())


def drop_mid_patch(url: str, secret: str, offset: int, body: bytes, send: int) -> None:
    """Start a PATCH that promises ``len(body)`` bytes, send only ``send`` of them, and cut the connection."""
    parts = urlsplit(url)
    request = (
        f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {secret}\r\n"
        f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\n"
        "Content-Type: application/offset+octet-stream\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    assert parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request + body[:send])
        sock.shutdown(socket.SHUT_WR)  # the phone loses signal: no more bytes will come
        with contextlib.suppress(OSError):
            sock.recv(4096)


def test_a_whole_video_sent_with_tuspy_becomes_evidence_with_its_hash(world: World, live_server: Any) -> None:
    incident = world.report("reporter", "nw-brighton")
    data = mp4_bytes(3_000_000)
    c = caller(world, live_server, "reporter")
    up = c.tus().uploader(
        file_stream=io.BytesIO(data),
        chunk_size=1_000_000,
        metadata={
            "incident": str(incident.pk),
            "filename": "till-camera.mp4",
            "filetype": "video/mp4",
            "device_time": "2026-11-29T06:00:00+00:00",
        },
    )
    up.upload()
    evidence = EvidenceFile.objects.get(incident=incident)
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert evidence.size == len(data)
    assert evidence.content_type == "video/mp4"
    assert evidence.original_filename == "till-camera.mp4"
    assert evidence.uploaded_by_id == world.users["reporter"].pk
    assert stored_bytes(evidence) == data
    upload = Upload.objects.get()
    assert upload.state == UploadState.COMPLETE
    assert upload.device_time is not None
    assert not partial_path(upload).exists()
    assert RUNNING.rehashed_bytes == 0  # hashed while streaming, never re-read


def test_a_dropped_connection_resumes_from_the_offset_head_reports(world: World, live_server: Any) -> None:
    incident = world.report("reporter", "nw-brighton")
    data = mp4_bytes(2_500_000)
    c = caller(world, live_server, "reporter")
    url = (
        c.tus()
        .uploader(
            file_stream=io.BytesIO(data), metadata={"incident": str(incident.pk), "filename": "export.mp4"}
        )
        .create_url()
    )

    drop_mid_patch(url, c.secret, 0, data, send=1_000_000)

    # A new client (the app restarted) asks where to carry on, and sends only the rest.
    resumed = Uploader(file_stream=io.BytesIO(data), url=url, client=c.tus(), chunk_size=600_000)
    assert 0 < resumed.offset <= 1_000_000
    assert resumed.offset == partial_path(Upload.objects.get()).stat().st_size
    first_part = resumed.offset
    resumed.upload()

    evidence = EvidenceFile.objects.get(incident=incident)
    assert stored_bytes(evidence) == data
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert first_part < len(data)


def test_a_resume_on_another_process_rehashes_only_the_received_prefix(
    world: World, live_server: Any
) -> None:
    incident = world.report("reporter", "nw-brighton")
    data = jpeg_bytes(size=(900, 700))
    c = caller(world, live_server, "reporter")
    up = c.tus().uploader(
        file_stream=io.BytesIO(data),
        chunk_size=4096,
        metadata={"incident": str(incident.pk), "filename": "still.jpg", "filetype": "image/jpeg"},
    )
    up.upload(stop_at=8192)
    assert up.offset == 8192
    RUNNING.drop(Upload.objects.get().id)  # as if a different worker process takes the next request

    Uploader(file_stream=io.BytesIO(data), url=up.url, client=c.tus(), chunk_size=len(data)).upload()

    evidence = EvidenceFile.objects.get(incident=incident)
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert RUNNING.rehashed_bytes == 8192
    assert evidence.width == 900
    assert evidence.height == 700


def test_the_same_file_finished_twice_is_stored_once(world: World, live_server: Any) -> None:
    incident = world.report("reporter", "nw-brighton")
    data = jpeg_bytes()
    c = caller(world, live_server, "reporter")
    meta = {"incident": str(incident.pk), "filename": "suspect.jpg"}
    first = c.tus().uploader(file_stream=io.BytesIO(data), metadata=meta)
    first.upload()
    # The client did not see the answer and sends the whole file again as a new upload.
    again = c.tus().uploader(file_stream=io.BytesIO(data), metadata=meta)
    again.upload()
    # And it repeats the last PATCH of the first upload.
    assert first.url is not None
    retry = c.patch(first.url, len(data), b"")

    assert EvidenceFile.objects.filter(incident=incident).count() == 1
    evidence = EvidenceFile.objects.get()
    assert retry.status_code == 204
    assert retry.headers["ShopWatch-Evidence-Id"] == str(evidence.pk)
    assert retry.headers["Upload-Offset"] == str(len(data))
    assert len(list_originals()) == 1


def list_originals() -> list[str]:
    found: list[str] = []

    def walk(path: str) -> None:
        dirs, files = default_storage.listdir(path)
        found.extend(f"{path}/{f}" for f in files)
        for d in dirs:
            walk(f"{path}/{d}")

    if default_storage.exists("originals"):
        walk("originals")
    return found


def test_a_refused_file_gets_the_reason_on_the_request_that_completes_it(
    world: World, live_server: Any
) -> None:
    incident = world.report("reporter", "nw-brighton")
    data = mp4_bytes(100_000, truncate=5_000)  # the export was cut short: its structure says it is longer
    c = caller(world, live_server, "reporter")
    up = c.tus().uploader(
        file_stream=io.BytesIO(data), metadata={"incident": str(incident.pk), "filename": "a.mp4"}
    )
    with pytest.raises(TusCommunicationError) as caught:
        up.upload()
    assert caught.value.status_code == 422
    body = json.loads(caught.value.response_content)
    assert "incomplete" in body["errors"][0]["message"]
    assert not EvidenceFile.objects.exists()
    assert list_originals() == []
    assert up.url is not None
    assert c.head(up.url).status_code == 410


def test_a_process_with_an_older_hash_catches_up_only_over_what_others_appended(tmp_path: Path) -> None:
    """Requests alternating between two worker processes: each hashes each byte at most once."""
    import uuid

    data = bytes(range(256)) * 40  # 10,240 bytes
    path = tmp_path / "partial"
    path.write_bytes(data)
    hashes = _RunningHashes()
    upload_id = uuid.uuid4()
    with path.open("rb") as f:
        digest = hashes.take(upload_id, 0, f)
        digest.update(data[:1000])  # this process received the first 1,000 bytes
        hashes.put(upload_id, 1000, digest)
        # Another process appended up to 6,000; this one takes the next request.
        caught_up = hashes.take(upload_id, 6000, f)
    assert caught_up.hexdigest() == hashlib.sha256(data[:6000]).hexdigest()
    assert hashes.rehashed_bytes == 5000
