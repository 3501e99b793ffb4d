"""A full disk, an unwritable uploads folder and an overloaded database answer problem documents with
Retry-After (API, tus), never an HTML 500; the phone form keeps what the user typed and files nothing."""

from __future__ import annotations

import base64
import datetime as dt
import errno
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.models import User
from shopwatch.reporting import services as reporting_services
from shopwatch.reporting.models import Incident
from shopwatch.uploads.services import receiving as upload_receiving
from tests.evidence.images import jpeg_bytes
from tests.world import World


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path / "files"


def _disk_full(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, "No space left on device")


def _read_only(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.EROFS, "Read-only file system")


def _locked(*args: Any, **kwargs: Any) -> Any:
    raise OperationalError("database is locked")


def _key(world: World) -> str:
    user = User.objects.get(pk=world.users["reporter"].pk)
    return apikey_create(viewer=world.viewer("reporter"), user=user, name="faults").secret


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) > 0
    body: dict[str, Any] = json.loads(response.content)
    assert body["status"] == status
    return body


def test_an_overloaded_database_answers_503_with_retry_after_not_a_500(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _key(world)
    monkeypatch.setattr(reporting_services, "_write", _locked)
    body = {
        "store": world.stores["nw-brighton"].pk,
        "type": "theft",
        "occurred_at": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat(),
        "description": "Took razors",
    }
    response = Client().post(
        "/api/v1/incidents",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "till-1"},
    )
    problem = _problem(response, 503)
    assert "database is locked" not in response.content.decode()
    assert "Idempotency-Key" in problem["detail"]
    assert not Incident.objects.filter(description="Took razors").exists()


def test_a_read_only_uploads_folder_answers_a_tus_problem_document(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _key(world)
    incident = world.report("reporter", "nw-brighton")
    tus = {"Authorization": f"Bearer {key}", "Tus-Resumable": "1.0.0"}
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in {"incident": str(incident.pk), "filename": "a.jpg"}.items()
    )
    data = jpeg_bytes()
    client = Client()
    created = client.post(
        "/api/v1/uploads", headers={**tus, "Upload-Length": str(len(data)), "Upload-Metadata": meta}
    )
    assert created.status_code == 201, created.content
    monkeypatch.setattr(upload_receiving, "_locked", _read_only)
    response = client.patch(
        created["Location"],
        data,
        content_type="application/offset+octet-stream",
        headers={**tus, "Upload-Offset": "0"},
    )
    _problem(response, 503)
    assert response["Tus-Resumable"] == "1.0.0"


def test_a_full_disk_keeps_the_phone_form_as_typed_and_files_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client()
    client.force_login(world.users["reporter"])
    html = client.get("/incidents/new/").content.decode()
    fields = {
        name: re.search(rf'name="{name}" value="([^"]*)"', html).group(1)  # type: ignore[union-attr]
        for name in ("token", "store", "occurred_at")
    }
    monkeypatch.setattr(FileSystemStorage, "_save", _disk_full)
    response = client.post(
        "/incidents/new/",
        {
            **fields,
            "type": "theft",
            "description": "Two men took the whole razor shelf",
            "photos": SimpleUploadedFile("shelf.jpg", jpeg_bytes(), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 507
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "no room to store this; nothing was saved" in page
    assert "Two men took the whole razor shelf" in page  # what the user typed is still in the form
    assert 'value="theft" checked' in page or re.search(r'value="theft"[^>]*checked', page)
    assert not Incident.objects.filter(description="Two men took the whole razor shelf").exists()


def test_a_full_disk_on_a_web_page_is_a_plain_page_not_a_500(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shopwatch.core.faults import FaultMiddleware

    request = Client().get("/healthz").wsgi_request
    response = FaultMiddleware(lambda r: None).process_exception(  # type: ignore[arg-type,return-value]
        request, OSError(errno.ENOSPC, "No space left on device")
    )
    assert response is not None
    assert response.status_code == 507
    assert "nothing was saved" in response.content.decode()
    assert FaultMiddleware(lambda r: None).process_exception(request, ValueError("a bug")) is None  # type: ignore[arg-type,return-value]
