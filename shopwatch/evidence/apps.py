from django.apps import AppConfig

# Where evidence runs among the incident-filed handlers (shopwatch.reporting.filed): after alerts and
# intelligence, as the phone report's photos always were stored after the incident's own writes.
INCIDENT_FILED_ORDER = 30


class EvidenceConfig(AppConfig):
    name = "shopwatch.evidence"
    label = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from shopwatch.reporting.filed import incident_filed

        from .services import incidents_filed

        # Photos sent with a report are stored as its evidence in the transaction that files it.
        incident_filed.register("evidence", incidents_filed, order=INCIDENT_FILED_ORDER)
