"""Helpers for talking to the API as a given user, through a real API key."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Model
from django.test import Client
from django.utils import timezone

from shopwatch.core.apikeys import apikey_create
from shopwatch.core.models import AuditEvent, User
from shopwatch.reporting.models import GoodsLine, Incident, IncidentOffender, IncidentVehicle, StatusChange
from shopwatch.subjects.models import Vehicle
from tests.world import World

PROBLEM = "application/problem+json"


@dataclass
class ApiClient:
    """A Django test client that sends ``Authorization: Bearer <key>`` on every request."""

    secret: str
    user: User
    key_id: int
    client: Client

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}", **(extra or {})}

    def get(
        self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            path, json.dumps(body), content_type="application/json", headers=self._headers(headers)
        )

    def post_raw(
        self, path: str, raw: bytes | str, content_type: str, headers: dict[str, str] | None = None
    ) -> Any:
        return self.client.generic(
            "POST", path, raw, content_type=content_type, headers=self._headers(headers)
        )

    def follow(self, path: str, params: dict[str, Any] | None = None) -> list[list[dict[str, Any]]]:
        """Every page of a list, following ``next`` until it is null."""
        pages: list[list[dict[str, Any]]] = []
        response = self.get(path, params)
        while True:
            assert response.status_code == 200, response.content
            body = response.json()
            assert set(body) == {"items", "next"}
            pages.append(body["items"])
            if body["next"] is None:
                return pages
            assert len(pages) < 1000, "next never became null"
            parts = urlsplit(body["next"])
            assert parts.path == path
            response = self.client.get(f"{parts.path}?{parts.query}", headers=self._headers(None))


def api_client_for(world: World, name: str) -> ApiClient:
    user = User.objects.get(pk=world.users[name].pk)
    new = apikey_create(viewer=world.viewer(name), user=user, name=f"{name} incident system")
    return ApiClient(secret=new.secret, user=user, key_id=new.api_key.pk, client=Client())


def an_hour_ago() -> str:
    return (timezone.now() - dt.timedelta(hours=1)).isoformat()


def smallest_body(world: World, store: str = "nw-brighton", **extra: Any) -> dict[str, Any]:
    return {
        "store": world.stores[store].pk,
        "type": "theft",
        "occurred_at": an_hour_ago(),
        "description": "Took four steaks from the chiller and walked out",
        **extra,
    }


WRITTEN: tuple[type[Model], ...] = (
    Incident,
    GoodsLine,
    IncidentOffender,
    IncidentVehicle,
    StatusChange,
    Vehicle,
    AuditEvent,
)


def row_counts() -> dict[str, int]:
    """How many rows each table an incident report writes to holds."""
    return {model.__name__: model._default_manager.count() for model in WRITTEN}


def field_names(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]
