from django.apps import AppConfig

# Where alerts runs among the incident-filed handlers (shopwatch.reporting.filed): first, as it always has.
INCIDENT_FILED_ORDER = 10


class AlertsConfig(AppConfig):
    name = "shopwatch.alerts"
    label = "alerts"
    verbose_name = "Live area alerts"

    def ready(self) -> None:
        from shopwatch.core.shutdown import on_shutdown
        from shopwatch.reporting.filed import incident_filed

        from .broadcaster import broadcaster
        from .services import incidents_filed

        # Urgent reports raise their alert in the transaction that files them.
        incident_filed.register("alerts", incidents_filed, order=INCIDENT_FILED_ORDER)
        # A stopping server ends the open alert streams before it closes its database connections.
        on_shutdown(broadcaster.shutdown)
