"""Force hand-off secrets encrypted at rest: each existing secret is encrypted into ``secret_encrypted`` and the
plain-text column is dropped. Reversible (decrypts back)."""

from typing import Any

from django.db import migrations, models


def encrypt_secrets(apps: Any, schema_editor: Any) -> None:
    from shopwatch.policing.secrets import encrypt

    ForceEndpoint = apps.get_model("policing", "ForceEndpoint")
    for pk, plain in ForceEndpoint.objects.values_list("pk", "secret"):
        ForceEndpoint.objects.filter(pk=pk).update(secret_encrypted=encrypt(plain))


def decrypt_secrets(apps: Any, schema_editor: Any) -> None:
    from shopwatch.policing.secrets import decrypt

    ForceEndpoint = apps.get_model("policing", "ForceEndpoint")
    for pk, token in ForceEndpoint.objects.values_list("pk", "secret_encrypted"):
        ForceEndpoint.objects.filter(pk=pk).update(secret=decrypt(token))


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
