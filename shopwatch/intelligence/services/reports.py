"""Reports arriving: listed people's entries renewed and exclusion breaches detected (the incident-filed
handler)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from shopwatch.reporting.filed import IncidentsFiled
from shopwatch.reporting.models import Incident, IncidentOffender

from ..models import (
    Breach,
    ExclusionNotice,
    ExclusionStatus,
    GalleryEntry,
    GalleryStatus,
)


def incidents_filed(event: IncidentsFiled) -> None:
    """The incident-filed handler (registered in IntelligenceConfig.ready()): reports naming known persons."""
    if event.person_ids:
        incidents_reported(incidents=event.incidents)


def incidents_reported(*, incidents: Iterable[Incident]) -> list[Breach]:
    """Called by the incident services when reports are saved: listed people's entries are renewed, and an
    excluded person reported at a covered store is a breach that the partnership is told about."""
    incidents = list(incidents)
    links = list(
        IncidentOffender.objects.filter(incident__in=incidents, person__isnull=False).values_list(
            "incident_id", "person_id"
        )
    )
    if not links:
        return []
    by_id = {i.pk: i for i in incidents}
    persons = {p for _, p in links}
    now = timezone.now()
    for entry in GalleryEntry.objects.filter(
        person_id__in=persons, status=GalleryStatus.ACTIVE
    ).select_related("partnership__intel_settings"):
        conf = getattr(entry.partnership, "intel_settings", None)
        months = conf.gallery_months if conf else 12
        renewed = now + relativedelta(months=months)
        if renewed > entry.expires_at:
            entry.expires_at, entry.updated_at = renewed, now
            entry.save(update_fields=["expires_at", "updated_at"])
    breaches: list[Breach] = []
    exclusions = list(
        ExclusionNotice.objects.filter(person_id__in=persons, status=ExclusionStatus.ACTIVE).prefetch_related(
            "stores"
        )
    )
    for incident_id, person_id in links:
        inc = by_id[incident_id]
        day = timezone.localtime(inc.occurred_at).date()
        store_partnerships = {p.pk for p in inc.store.partnerships.all()}
        for ex in exclusions:
            if ex.person_id != person_id or not ex.in_force_on(day):
                continue
            covered = (
                (ex.partnership_id in store_partnerships)
                if ex.all_premises
                else (inc.store_id in {s.pk for s in ex.stores.all()})
            )
            if covered:
                breaches.append(Breach(exclusion=ex, incident=inc))
    if breaches:
        Breach.objects.bulk_create(breaches, ignore_conflicts=True)
        from .. import tasks

        for b in breaches:
            transaction.on_commit(partial(tasks.notify_breach.enqueue, b.exclusion_id, b.incident_id))
    return breaches
