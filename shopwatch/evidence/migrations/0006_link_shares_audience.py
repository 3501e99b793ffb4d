"""Links made before a link could not widen a file's audience: those made when the same bytes arrived again
for the same organisation keep sharing with their incident (the owner's own upload); links made by hand share
only the intersection until the file's owner links it again."""

from django.db import migrations, models


def same_file_links_share(apps, schema_editor):
    EvidenceLink = apps.get_model("evidence", "EvidenceLink")
    EvidenceLink.objects.filter(via="same_file").update(shares_audience=True)


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0005_evidence_persons"),
    ]

    operations = [
        migrations.AddField(
            model_name="evidencelink",
            name="shares_audience",
            field=models.BooleanField(
                default=False,
                help_text="Made by the file's owner: the incident's whole audience sees the file",
            ),
        ),
        migrations.RunPython(same_file_links_share, migrations.RunPython.noop),
    ]
