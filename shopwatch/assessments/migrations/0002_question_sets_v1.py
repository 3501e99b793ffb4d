"""Install version 1 of the cyber and premises-security question sets from their data files.

Reads the JSON files (data, never changed once published: a new version is a new file), not app code.
"""

import json
from pathlib import Path

from django.db import migrations

FILES = ("cyber-v1.json", "premises-v1.json")
FOLDER = Path(__file__).resolve().parent.parent / "questionsets"


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    QuestionSet = apps.get_model("assessments", "QuestionSet")
    for name in FILES:
        data = json.loads((FOLDER / name).read_text(encoding="utf-8"))
        QuestionSet.objects.get_or_create(
            slug=data["slug"],
            version=data["version"],
            defaults={
                "title": data["title"],
                "summary": data.get("summary", ""),
                "source": data.get("source", ""),
                "questions": data["questions"],
                "areas": data["areas"],
                "current": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
