"""Person photos: small thumbnails for galleries and lists (upright, no metadata, kept apart from the
original), served through the same entitlement and audit as the full image, which stays on the person's
page."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from shopwatch.core.models import AuditEvent
from shopwatch.intelligence.models import GalleryEntry
from shopwatch.intelligence.services.galleries import gallery_add_person
from shopwatch.subjects.models import PersonPhoto
from shopwatch.subjects.services import person_erase, person_photo_add
from shopwatch.subjects.thumbnails import jpeg_without_metadata
from tests.pages import without_tokens
from tests.world import World

ORIENTATION, MAKE, DATETIME = 0x0112, 0x010F, 0x0132


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def _phone_photo() -> io.BytesIO:
    """A phone photo as phones store them: landscape pixels with an EXIF 'turn 90 degrees' tag, the camera's
    make and time, and a comment."""
    img = Image.effect_noise((1600, 1200), 60).convert("RGB")  # noise: a realistic, poorly compressible size
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "PhoneMaker"
    exif[DATETIME] = "2026:11:28 14:03:00"
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92, exif=exif, comment=b"taken behind the tills")
    buf.seek(0)
    return buf


def _listed_with_photo(world: World) -> tuple[GalleryEntry, PersonPhoto, bytes]:
    entry = gallery_add_person(
        viewer=world.viewer("partnership_manager"),
        partnership=world.orgs["brighton-bcrp"],
        given_name="Kyle",
        family_name="Marsh",
        date_of_birth=dt.date(1990, 5, 1),
        description="Tall, grey hoodie",
        reason="Repeated thefts of meat",
    )
    original = _phone_photo()
    raw = original.getvalue()
    photo = person_photo_add(
        viewer=world.viewer("partnership_manager"), person=entry.person, fileobj=original, filename="kyle.jpg"
    )
    return entry, photo, raw


def _client(world: World, user: str) -> Client:
    client = Client()
    client.force_login(world.users[user])
    return client


@pytest.mark.django_db
def test_thumbnail_is_small_upright_jpeg_without_metadata_kept_apart_from_the_original(world: World) -> None:
    _, photo, raw = _listed_with_photo(world)
    client = _client(world, "reporter")
    response = client.get(f"/intelligence/photos/{photo.pk}/thumbnail.jpg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert len(body) < len(raw) / 4
    thumb = Image.open(io.BytesIO(body))
    assert thumb.format == "JPEG"
    # Turned upright from the EXIF tag (landscape pixels, portrait photo), at most 480 px on its longest side.
    assert thumb.size == (360, 480)
    # Nothing of the camera, the time or the comment travels with it.
    assert not thumb.getexif()
    assert "comment" not in thumb.info
    assert "icc_profile" not in thumb.info
    for secret in (b"PhoneMaker", b"2026:11:28", b"behind the tills"):
        assert secret not in body
    # Kept as its own file; the original is untouched and still served in full.
    photo.refresh_from_db()
    assert photo.thumbnail.name.startswith("thumbs/people/")
    with default_storage.open(photo.thumbnail.name, "rb") as fh:
        assert fh.read() == body
    with default_storage.open(photo.file.name, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == photo.sha256 == hashlib.sha256(raw).hexdigest()
    full = client.get(f"/intelligence/photos/{photo.pk}/")
    assert full.status_code == 200
    assert b"".join(full.streaming_content) == raw  # type: ignore[attr-defined]
    # Made once: a second request serves the same stored file.
    again = client.get(f"/intelligence/photos/{photo.pk}/thumbnail.jpg")
    assert b"".join(again.streaming_content) == body  # type: ignore[attr-defined]
    assert PersonPhoto.objects.get(pk=photo.pk).thumbnail.name == photo.thumbnail.name


@pytest.mark.django_db
def test_thumbnail_served_only_to_those_who_may_see_the_person_and_audited(world: World) -> None:
    entry, photo, _ = _listed_with_photo(world)
    stranger = _client(world, "unconnected_reporter")
    forbidden = stranger.get(f"/intelligence/photos/{photo.pk}/thumbnail.jpg")
    missing = stranger.get(f"/intelligence/photos/{photo.pk + 1000}/thumbnail.jpg")
    assert forbidden.status_code == missing.status_code == 404
    assert without_tokens(forbidden.content) == without_tokens(missing.content)
    assert stranger.get(f"/intelligence/photos/{photo.pk}/").status_code == 404
    assert not PersonPhoto.objects.get(pk=photo.pk).thumbnail  # nothing made for a refused request
    assert _client(world, "reporter").get(f"/intelligence/photos/{photo.pk}/thumbnail.jpg").status_code == 200
    assert Client().get(f"/intelligence/photos/{photo.pk}/thumbnail.jpg").status_code == 302  # sign in first
    # A connected partnership's member sees the images of a gallery shared "images only".
    assert (
        _client(world, "connected_reporter").get(f"/intelligence/photos/{photo.pk}/thumbnail.jpg").status_code
        == 200
    )
    views = AuditEvent.objects.filter(action="view", object_type="person", object_id=str(entry.person_id))
    thumbs = views.filter(detail__purpose="thumbnail")
    assert {e.actor_id for e in thumbs} == {world.users["reporter"].pk, world.users["connected_reporter"].pk}
    assert all(e.detail["photo"] == photo.pk for e in thumbs)
    assert not views.filter(actor=world.users["unconnected_reporter"]).exists()


@pytest.mark.django_db
def test_galleries_help_identify_and_people_list_use_thumbnails_the_person_page_the_full_photo(
    world: World,
) -> None:
    entry, photo, _ = _listed_with_photo(world)
    client = _client(world, "reporter")
    thumb_url = f"/intelligence/photos/{photo.pk}/thumbnail.jpg"
    full_src = f'src="/intelligence/photos/{photo.pk}/"'
    gallery = client.get("/intelligence/galleries/brighton-bcrp/").content.decode()
    assert f'src="{thumb_url}"' in gallery
    assert full_src not in gallery
    identify = client.get(f"/intelligence/gallery-entries/{entry.pk}/").content.decode()
    assert f'src="{thumb_url}"' in identify
    assert full_src not in identify
    assert f'href="/intelligence/photos/{photo.pk}/"' in identify  # the full photo is a link away
    people = client.get("/people/").content.decode()
    assert f'src="{thumb_url}"' in people
    assert full_src not in people
    detail = client.get(f"/people/{entry.person_id}/").content.decode()
    assert full_src in detail
    # The printed gallery carries the (upright) photo too.
    pdf = client.get("/intelligence/galleries/brighton-bcrp/print.pdf")
    assert pdf.status_code == 200
    assert b"/Subtype /Image" in pdf.content


@pytest.mark.django_db
def test_erasing_a_person_deletes_the_thumbnail_with_the_original(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    entry, photo, _ = _listed_with_photo(world)
    _client(world, "reporter").get(f"/intelligence/photos/{photo.pk}/thumbnail.jpg")
    photo.refresh_from_db()
    names = [photo.file.name, photo.thumbnail.name]
    assert all(default_storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        person_erase(
            viewer=world.viewer("partnership_manager"), person=entry.person, reason="Erasure request"
        )
    assert not any(default_storage.exists(n) for n in names)


def test_metadata_stripping_refuses_what_is_not_a_jpeg() -> None:
    assert jpeg_without_metadata(b"\x89PNG\r\n\x1a\n") is None
    assert jpeg_without_metadata(b"\xff\xd8\xff\xe1\x00") is None  # cut off inside a segment
