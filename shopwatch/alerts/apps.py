from django.apps import AppConfig

# Where alerts runs among the incident-filed handlers (shopwatch.reporting.filed): first, as it always has.
INCIDENT_FILED_ORDER = 10
# Where alerts' section sits on a security manager's estate (shopwatch.core.firstpages): after the stores.
ESTATE_SECTION_ORDER = 20


class AlertsConfig(AppConfig):
    name = "shopwatch.alerts"
    label = "alerts"
    verbose_name = "Live area alerts"

    def ready(self) -> None:
        from shopwatch.core.firstpages import estate_sections
        from shopwatch.core.shutdown import on_shutdown
        from shopwatch.reporting.filed import incident_filed

        from .broadcaster import broadcaster
        from .selectors import estate_alerts
        from .services import incidents_filed

        # Urgent reports raise their alert in the transaction that files them.
        incident_filed.register("alerts", incidents_filed, order=INCIDENT_FILED_ORDER)
        # A stopping server ends the open alert streams before it closes its database connections.
        on_shutdown(broadcaster.shutdown)
        estate_sections.register(
            "alerts",
            order=ESTATE_SECTION_ORDER,
            template="alerts/sections/estate_alerts.html",
            context=lambda viewer, _page: {"alerts": estate_alerts(viewer=viewer)},
        )
