"""Talking to the tus endpoint as a world user: a real API key, tuspy, and raw HTTP for edge cases."""

from __future__ import annotations

import base64
import io
import struct
import zipfile
from dataclasses import dataclass
from typing import Any

import requests
from tusclient.client import TusClient

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.models import User
from tests.world import World

TUS = {"Tus-Resumable": "1.0.0"}


@dataclass
class Caller:
    base: str
    secret: str

    @property
    def endpoint(self) -> str:
        return f"{self.base}/api/v1/uploads"

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}", **TUS, **extra}

    def tus(self) -> TusClient:
        return TusClient(self.endpoint, headers={"Authorization": f"Bearer {self.secret}"})

    def create(self, length: int, **metadata: str) -> requests.Response:
        return requests.post(
            self.endpoint,
            headers=self.headers(
                **{
                    "Upload-Length": str(length),
                    "Upload-Metadata": encode_metadata(metadata),
                }
            ),
            timeout=30,
        )

    def patch(self, url: str, offset: int, body: bytes, **extra: str) -> requests.Response:
        return requests.patch(
            url,
            data=body,
            headers=self.headers(
                **{
                    "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream",
                    **extra,
                }
            ),
            timeout=30,
        )

    def head(self, url: str) -> requests.Response:
        return requests.head(url, headers=self.headers(), timeout=30)


def caller(world: World, live_server: Any, name: str) -> Caller:
    user = User.objects.get(pk=world.users[name].pk)
    new = apikey_create(viewer=world.viewer(name), user=user, name="tus tests")
    return Caller(base=live_server.url, secret=new.secret)


def encode_metadata(metadata: dict[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())


def mp4_bytes(payload: int = 200_000, *, truncate: int = 0) -> bytes:
    """A minimal ISO base media file: ftyp, free and mdat boxes (the structure a container check sees)."""
    ftyp = struct.pack(">I", 24) + b"ftyp" + b"isom" + struct.pack(">I", 512) + b"isommp41"
    free = struct.pack(">I", 16) + b"free" + b"\x00" * 8
    data = bytes((i * 7) % 251 for i in range(payload))
    mdat = struct.pack(">I", 8 + len(data)) + b"mdat" + data
    whole = ftyp + free + mdat
    return whole[: len(whole) - truncate] if truncate else whole


def zip_bytes(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()
