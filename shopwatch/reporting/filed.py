"""What happens when incidents are filed, beyond reporting: an explicit, typed list of handlers.

Apps above reporting (alerts, intelligence, and later linking and faces) register a handler in their
``AppConfig.ready()``; ``reporting.services`` runs every handler, in order, inside the transaction that writes
the incidents, after their rows, goods, offenders, vehicles, status trail and audit rows exist. A handler
that raises rolls the whole report back: a saved report always has its alert, gallery renewals and breaches.
Reporting imports none of those apps (docs/decisions/0008-incident-filed-handlers.md); Django signals are not
used, so the list, its order and its typing are visible in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.core.files.uploadedfile import UploadedFile

from shopwatch.core.entitlements import Viewer
from shopwatch.core.handlers import Handlers

from .models import Incident


@dataclass(frozen=True)
class IncidentsFiled:
    """Incidents just written in one transaction (one report, or one batch), and by whom."""

    viewer: Viewer
    incidents: Sequence[Incident]
    person_ids: frozenset[int]
    """Known persons named as offenders in any of the incidents (empty when none was named)."""
    photos: Mapping[int, Sequence[UploadedFile]] = field(default_factory=dict)
    """Photos sent with a report (the phone form), by incident id; stored by the evidence app's handler."""


incident_filed: Handlers[IncidentsFiled] = Handlers("incidents filed")
