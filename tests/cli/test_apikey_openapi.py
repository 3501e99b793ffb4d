"""`shopwatch apikey create` and `shopwatch openapi [--check]`."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client

from shopwatch.core.models import ApiKey, AuditEvent, Channel
from tests.world import World


def test_apikey_create_prints_a_working_key_as_its_last_line(world: World) -> None:
    cache.clear()
    out = StringIO()
    call_command("apikey_create", "--user", "SECURITY@example.org", "--name", "Till system", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    response = Client().get("/api/v1/stores", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    stores = {s["name"]: s for s in response.json()["items"]}
    assert stores["Nw Brighton"]["can_report"] is True
    assert stores["Nw Oxford"]["retailer"] == "northway"

    key = ApiKey.objects.get(name="Till system")
    assert key.user == world.users["security"]
    assert secret not in key.key_hash
    audit = AuditEvent.objects.get(object_type="api_key", object_id=str(key.pk))
    assert (audit.channel, audit.actor_id) == (Channel.CLI, None)


def test_apikey_create_refuses_unknown_users_and_bad_names(world: World) -> None:
    with pytest.raises(CommandError, match="No user"):
        call_command("apikey_create", "--user", "nobody@example.org", "--name", "x", stdout=StringIO())
    with pytest.raises(CommandError, match="--name"):
        call_command("apikey_create", "--user", "security@example.org", "--name", " ", stdout=StringIO())
    assert not ApiKey.objects.exists()


def _openapi() -> str:
    out = StringIO()
    call_command("openapi", stdout=out)
    return out.getvalue()


def test_openapi_prints_sorted_json_and_check_names_each_difference(tmp_path: Path) -> None:
    text = _openapi()
    doc = json.loads(text)
    assert text.endswith("}\n")
    assert text == json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert "/api/v1/incidents" in doc["paths"]

    committed = tmp_path / "openapi.json"
    committed.write_text(text)
    out = StringIO()
    call_command("openapi", "--check", str(committed), stdout=out)
    assert "matches" in out.getvalue()

    doc["info"]["title"] = "Old title"
    del doc["paths"]["/api/v1/incidents"]
    committed.write_text(json.dumps(doc, sort_keys=True, indent=2) + "\n")
    with pytest.raises(CommandError) as err:
        call_command("openapi", "--check", str(committed), stdout=StringIO())
    message = str(err.value)
    assert '$.info.title: "Old title" → "ShopWatch API"' in message
    assert '$.paths["/api/v1/incidents"]: added' in message

    with pytest.raises(CommandError, match="does not exist"):
        call_command("openapi", "--check", str(tmp_path / "missing.json"), stdout=StringIO())
