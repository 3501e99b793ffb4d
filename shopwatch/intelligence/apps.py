from django.apps import AppConfig

# Where intelligence runs among the incident-filed handlers (shopwatch.reporting.filed): after alerts.
INCIDENT_FILED_ORDER = 20


class IntelligenceConfig(AppConfig):
    name = "shopwatch.intelligence"
    label = "intelligence"
    verbose_name = "Partnership intelligence"

    def ready(self) -> None:
        from shopwatch.reporting.filed import incident_filed

        from .services.reports import incidents_filed

        # Reports naming listed or excluded people renew their listings and record breaches, in the same
        # transaction.
        incident_filed.register("intelligence", incidents_filed, order=INCIDENT_FILED_ORDER)
