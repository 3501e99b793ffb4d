"""Force hand-off secrets encrypted at rest: each existing secret is encrypted into ``secret_encrypted`` and
the plain-text column is dropped. Reversible (decrypts back).

Self-contained: the encryption is the one shopwatch.policing.secrets used when this migration was written
(Fernet with SHOPWATCH_SECRETS_KEY's keys, else a key derived from SECRET_KEY with HKDF-SHA256), copied
here so that later changes to the app's code cannot change what this migration does.
"""

import base64
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import migrations, models


def _derived_key(secret_key: str) -> bytes:
    raw = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"shopwatch",
        info=b"shopwatch.policing: force hand-off secrets",
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def _fernet() -> MultiFernet:
    value = getattr(settings, "SHOPWATCH_SECRETS_KEY", "") or ""
    keys = value.split(",") if isinstance(value, str) else list(value)
    own = [Fernet(k.strip().encode()) for k in keys if k and k.strip()]
    fallbacks = tuple(str(k) for k in getattr(settings, "SECRET_KEY_FALLBACKS", ()))
    derived = [Fernet(_derived_key(k)) for k in (str(settings.SECRET_KEY), *fallbacks) if k]
    return MultiFernet(own + derived)


def encrypt_secrets(apps: Any, schema_editor: Any) -> None:
    fernet = _fernet()
    ForceEndpoint = apps.get_model("policing", "ForceEndpoint")
    for pk, plain in ForceEndpoint.objects.values_list("pk", "secret"):
        ForceEndpoint.objects.filter(pk=pk).update(
            secret_encrypted=fernet.encrypt(plain.encode()).decode("ascii")
        )


def decrypt_secrets(apps: Any, schema_editor: Any) -> None:
    fernet = _fernet()
    ForceEndpoint = apps.get_model("policing", "ForceEndpoint")
    for pk, token in ForceEndpoint.objects.values_list("pk", "secret_encrypted"):
        ForceEndpoint.objects.filter(pk=pk).update(secret=fernet.decrypt(token.encode("ascii")).decode())


class Migration(migrations.Migration):
    dependencies = [
        ("policing", "0002_series_member_reason"),
    ]

    operations = [
        # blank=True first, so that undoing the removal below can re-add the column to existing rows.
        migrations.AlterField(
            model_name="forceendpoint",
            name="secret",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="forceendpoint",
            name="secret_encrypted",
            field=models.TextField(default=""),
            preserve_default=False,
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
        migrations.RemoveField(model_name="forceendpoint", name="secret"),
    ]
