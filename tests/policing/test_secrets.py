"""Force hand-off secrets are encrypted at rest; signing, callbacks and the configure command still work."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from shopwatch.core.models import Organisation, OrganisationKind
from shopwatch.policing.models import CrimeRecord, Delivery, DeliveryStatus, ForceEndpoint
from shopwatch.policing.secrets import SecretUnreadable
from shopwatch.policing.services import triage
from tests.policing.conftest import Receiver
from tests.world import World

SECRET = "sussex-rms-shared-secret-0001"


def _raw_rows() -> tuple[list[str], list[tuple[Any, ...]]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM policing_forceendpoint")
        columns = [c[0] for c in cursor.description]
        return columns, list(cursor.fetchall())


def _configure(url: str, secret: str = SECRET) -> None:
    call_command(
        "handoff_configure", "--force", "sussex", "--url", url, "--secret", secret, stdout=io.StringIO()
    )


def _callback(body: dict[str, Any], secret: str) -> Any:
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return Client().generic(
        "POST",
        "/api/v1/handoff/callback",
        raw,
        content_type="application/json",
        headers={"X-ShopWatch-Signature": signature},
    )


def test_the_database_never_holds_the_secret_and_signing_still_works(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _configure(receiver.url)
    columns, rows = _raw_rows()
    assert "secret" not in columns
    [row] = rows
    assert not any(SECRET in str(value) for value in row)
    assert not any(SECRET.encode().hex() in str(value) for value in row)
    endpoint = ForceEndpoint.objects.get()
    assert endpoint.secret == SECRET
    assert endpoint.secret_encrypted != SECRET

    inc = world.report("reporter", "nw-brighton", report_to_police=True)
    with django_capture_on_commit_callbacks(execute=True):
        triage.triage_decide(viewer=world.viewer("police_sussex"), incident=inc, decision="accept")
    assert Delivery.objects.get(incident=inc).status == DeliveryStatus.DELIVERED
    [got] = receiver.received
    assert got["signature"] == "sha256=" + hmac.new(SECRET.encode(), got["body"], hashlib.sha256).hexdigest()
    r = _callback({"incident": inc.pk, "crime_reference": "47250012345", "status": "crime_recorded"}, SECRET)
    assert r.status_code == 200, r.content
    # Configuring again writes a new ciphertext for the new secret.
    before = endpoint.secret_encrypted
    _configure(receiver.url, SECRET + "-2")
    endpoint.refresh_from_db()
    assert endpoint.secret_encrypted != before
    assert endpoint.secret == SECRET + "-2"


def test_keys_can_be_rotated_and_a_lost_key_fails_safely(world: World, settings: Any) -> None:
    inc = world.report("reporter", "nw-brighton", report_to_police=True)
    triage.triage_decide(viewer=world.viewer("police_sussex"), incident=inc, decision="accept")
    _configure("https://rms.sussex.example/in")  # no SHOPWATCH_SECRETS_KEY: a key derived from SECRET_KEY
    new_key = Fernet.generate_key().decode()
    settings.SHOPWATCH_SECRETS_KEY = new_key
    assert ForceEndpoint.objects.get().secret == SECRET  # written before the key was set: still readable
    _configure("https://rms.sussex.example/in")
    assert Fernet(new_key.encode()).decrypt(ForceEndpoint.objects.get().secret_encrypted.encode()) == (
        SECRET.encode()
    )
    # A second key first: new writes use it, the first still reads.
    newer = Fernet.generate_key().decode()
    settings.SHOPWATCH_SECRETS_KEY = f"{newer}, {new_key}"
    assert ForceEndpoint.objects.get().secret == SECRET
    # Lost every key: the secret cannot be read; a callback is refused (401), never a server error.
    settings.SHOPWATCH_SECRETS_KEY = Fernet.generate_key().decode()
    with pytest.raises(SecretUnreadable):
        _ = ForceEndpoint.objects.get().secret
    body = {"incident": inc.pk, "crime_reference": "47250012345", "status": "crime_recorded"}
    assert _callback(body, SECRET).status_code == 401
    assert not CrimeRecord.objects.filter(incident=inc).exists()
    settings.SHOPWATCH_SECRETS_KEY = "not a key"
    with pytest.raises(ImproperlyConfigured):
        _ = ForceEndpoint.objects.get().secret


def test_without_the_setting_a_rotated_secret_key_reads_through_its_fallback(settings: Any, db: None) -> None:
    force = Organisation.objects.create(
        kind=OrganisationKind.POLICE_FORCE, slug="sussex", name="Sussex Police"
    )
    ForceEndpoint.objects.create(force=force, url="https://rms.example/in", secret=SECRET)  # type: ignore[misc]
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-django-secret-key-" + "x" * 30
    with pytest.raises(SecretUnreadable):
        _ = ForceEndpoint.objects.get().secret
    settings.SECRET_KEY_FALLBACKS = [old]
    assert ForceEndpoint.objects.get().secret == SECRET


@pytest.fixture
def at_latest_migration() -> Iterator[None]:
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_migration_encrypts_existing_secrets_and_can_be_undone(at_latest_migration: None) -> None:
    before, after = (
        ("policing", "0002_series_member_reason"),
        ("policing", "0003_force_endpoint_secret_encrypted"),
    )
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old_apps = executor.loader.project_state([before]).apps
    force = Organisation.objects.create(
        kind=OrganisationKind.POLICE_FORCE, slug="sussex", name="Sussex Police"
    )
    old_apps.get_model("policing", "ForceEndpoint").objects.create(
        force_id=force.pk, url="https://rms.example/in", secret=SECRET
    )

    executor = MigrationExecutor(connection)
    executor.migrate([after])
    columns, [row] = _raw_rows()
    assert "secret" not in columns
    assert not any(SECRET in str(value) for value in row)
    assert ForceEndpoint.objects.get().secret == SECRET

    executor = MigrationExecutor(connection)
    executor.migrate([before])
    columns, [row] = _raw_rows()
    assert row[columns.index("secret")] == SECRET
