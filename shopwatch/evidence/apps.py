from django.apps import AppConfig

# Where evidence's section sits on a person's page (shopwatch.subjects.pages): after the incidents.
PERSON_SECTION_ORDER = 20
# Where evidence runs among the incident-filed handlers (shopwatch.reporting.filed): after alerts and
# intelligence, as the phone report's photos always were stored after the incident's own writes.
INCIDENT_FILED_ORDER = 30


class EvidenceConfig(AppConfig):
    name = "shopwatch.evidence"
    label = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from shopwatch.reporting.filed import incident_filed
        from shopwatch.reporting.pages import incident_detail_sections, incident_submitted_sections
        from shopwatch.subjects.pages import person_detail_sections

        from .selectors import evidence_for_incident, evidence_for_person
        from .services import incidents_filed

        # Photos sent with a report are stored as its evidence in the transaction that files it.
        incident_filed.register("evidence", incidents_filed, order=INCIDENT_FILED_ORDER)
        # The incident page shows its photos; the page after filing, how many it holds (photos the
        # organisation already held are linked, not stored again).
        incident_detail_sections.register(
            "photos",
            order=10,
            template="evidence/sections/incident_photos.html",
            context=lambda viewer, incident: {
                "photos": evidence_for_incident(viewer=viewer, incident=incident)
            },
        )
        incident_submitted_sections.register(
            "photos",
            order=10,
            template="evidence/sections/incident_photo_count.html",
            context=lambda viewer, incident: {
                "photo_count": len(evidence_for_incident(viewer=viewer, incident=incident))
            },
        )
        # A person's page lists the evidence that shows them.
        person_detail_sections.register(
            "evidence",
            order=PERSON_SECTION_ORDER,
            template="evidence/sections/person_evidence.html",
            context=lambda viewer, person: {
                "evidence": evidence_for_person(viewer=viewer, person_id=person.pk)[1]
            },
        )
