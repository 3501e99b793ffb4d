"""Searching a frame of a CCTV video at a chosen time, exactly as a still."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import av
import numpy as np
import pytest
from django.db import transaction
from django.test import Client
from PIL import Image

from shopwatch.core.errors import ValidationFailed
from shopwatch.core.models import AuditEvent
from shopwatch.evidence.models import EvidenceFile
from shopwatch.evidence.services import evidence_add_received
from shopwatch.faces import video
from shopwatch.faces.models import FaceEncoding
from shopwatch.faces.services import face_encodings_refresh, face_search_run
from tests.faces.conftest import Faces, face_bytes
from tests.policing.conftest import signed_in
from tests.world import World

pytestmark = pytest.mark.django_db


def clip(face: int) -> bytes:
    """2 s at 5 fps: one second of an empty aisle, then one second of the face."""
    with Image.open(io.BytesIO(face_bytes(face, mirror=True))) as img:
        shown = np.asarray(img.convert("RGB").resize((320, 320)))
    empty = np.full((320, 320, 3), 110, dtype=np.uint8)
    out = io.BytesIO()
    container = av.open(out, mode="w", format="mp4")
    stream = container.add_stream("mpeg4", rate=5)
    stream.width, stream.height, stream.pix_fmt = 320, 320, "yuv420p"
    for i in range(10):
        frame = av.VideoFrame.from_ndarray(shown if i >= 5 else empty, format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return out.getvalue()


def filed(world: World, tmp_path: Path, data: bytes) -> EvidenceFile:
    """The clip as CCTV evidence on a reported incident (received whole, as a resumable upload files it)."""
    incident = world.report(
        "reporter", "nw-brighton", report_to_police=True, description="Shoplifter on camera"
    )
    path = tmp_path / "aisle-camera.mp4"
    path.write_bytes(data)
    with transaction.atomic():
        evidence, _ = evidence_add_received(
            viewer=world.viewer("reporter"),
            incident=incident,
            path=path,
            filename="aisle-camera.mp4",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content_type="video/mp4",
            declared_type="video/mp4",
            uploaded_by_id=world.users["reporter"].pk,
            captured_at=None,
            width=320,
            height=320,
            detail={},
        )
    return evidence


def test_times_are_read_as_seconds_or_minutes_and_seconds() -> None:
    assert video.parse_time("1.5") == 1.5
    assert video.parse_time("1:05") == 65
    assert video.parse_time("1:02:05") == 3725
    assert video.parse_time("1:75") is None
    assert video.parse_time("soon") is None


def test_a_frame_showing_the_face_finds_them_and_a_time_past_the_end_is_refused(
    world: World, faces: Faces, tmp_path: Path
) -> None:
    wanted = faces.person(2)
    face_encodings_refresh()
    stored = FaceEncoding.objects.count()
    film = filed(world, tmp_path, clip(2))
    assert film.content_type.startswith("video/")
    police = world.viewer("police_sussex")

    empty = face_search_run(viewer=police, evidence_id=film.pk, purpose="Theft 47/1", frame_at=0.5)
    assert empty.faces_found == 0
    assert not empty.candidates.exists()

    search = face_search_run(viewer=police, evidence_id=film.pk, purpose="Theft 47/1", frame_at=1.5)
    assert search.frame_at == 1.5
    assert search.faces_found == 1
    assert [c.person_id for c in search.candidates.all()] == [wanted.pk]
    assert FaceEncoding.objects.count() == stored  # nothing of the frame is kept
    assert AuditEvent.objects.filter(
        object_type="face_search", object_id=search.pk, summary__contains="at 1.5 s"
    ).exists()

    with pytest.raises(ValidationFailed) as caught:
        face_search_run(viewer=police, evidence_id=film.pk, purpose="Theft 47/1", frame_at=9)
    assert caught.value.errors[0].field == "at"
    assert "2.0 seconds long" in caught.value.errors[0].message


def test_the_page_searches_a_video_at_mm_ss_and_explains_a_bad_time_inline(
    world: World, faces: Faces, tmp_path: Path
) -> None:
    faces.person(2)
    face_encodings_refresh()
    film = filed(world, tmp_path, clip(2))
    client: Client = signed_in(world, "police_sussex")
    page = client.get("/faces/")
    assert "Video " + str(film.pk) in page.content.decode()

    past = client.post("/faces/", {"evidence": film.pk, "at": "0:30", "purpose": "Theft"})
    assert past.status_code == 422
    assert "only 2.0 seconds long" in past.content.decode()
    bad = client.post("/faces/", {"evidence": film.pk, "at": "later", "purpose": "Theft"})
    assert bad.status_code == 422
    assert "mm:ss" in bad.content.decode()

    found = client.post("/faces/", {"evidence": film.pk, "at": "0:01.6", "purpose": "Theft"})
    assert found.status_code == 302
    detail = client.get(found["Location"])
    assert detail.status_code == 200
    assert "the frame at 1.6 s" in detail.content.decode()
    faces_url = re.search(r'src="(/faces/searches/\d+/probe/\d+\.jpg)"', detail.content.decode())
    assert faces_url is not None
    face = client.get(faces_url.group(1))
    assert face.status_code == 200
    assert face["Content-Type"] == "image/jpeg"
