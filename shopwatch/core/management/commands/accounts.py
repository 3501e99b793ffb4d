"""`shopwatch accounts [--json]`: who can sign in, with their roles, organisation, partnerships and force."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shopwatch.core.entitlements import build_viewer
from shopwatch.core.models import Organisation, User


def account_rows() -> list[dict[str, Any]]:
    """One row per user; partnerships and force come from the same entitlement mechanism the app uses."""
    slugs = dict(Organisation.objects.values_list("pk", "slug"))
    rows = []
    for user in User.objects.order_by("email"):
        viewer = build_viewer(user)
        rows.append(
            {
                "email": user.email,
                "name": user.full_name,
                "active": user.is_active,
                "roles": sorted(viewer.roles),
                "organisation": slugs.get(viewer.primary_org_id) if viewer.primary_org_id else None,
                "partnerships": sorted(slugs[pk] for pk in viewer.partnership_ids),
                "force": slugs.get(viewer.force_id) if viewer.force_id else None,
            }
        )
    return rows


class Command(BaseCommand):
    help = (
        "List accounts. With --json: a JSON array with one object per user: email, roles (role identifiers), "
        "organisation (slug of the primary organisation), partnerships (slugs of every partnership the user "
        "takes part in, directly or through their stores or organisation) and force (slug or null)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print a JSON array")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = account_rows()
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No accounts yet. `shopwatch seed` creates the demo accounts.")
            return
        width = max(len(r["email"]) for r in rows)
        for r in rows:
            where = r["organisation"] or "-"
            extra = f" partnerships={','.join(r['partnerships'])}" if r["partnerships"] else ""
            force = f" force={r['force']}" if r["force"] else ""
            self.stdout.write(
                f"{r['email']:<{width}}  {','.join(r['roles']) or '(no role)'} @ {where}{force}{extra}"
            )
