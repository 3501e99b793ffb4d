from django.apps import AppConfig

# Where the marking section sits on an incident's page (shopwatch.reporting.pages): after photos and files.
INCIDENT_SECTION_ORDER = 30


class MarkingConfig(AppConfig):
    name = "shopwatch.marking"
    label = "marking"
    verbose_name = "Forensic-marking registry"

    def ready(self) -> None:
        from shopwatch.reporting.pages import incident_detail_sections

        from .views import incident_section_context

        # The incident page shows the kits used in it and lets the store log a use of one of its kits.
        incident_detail_sections.register(
            "marking",
            order=INCIDENT_SECTION_ORDER,
            template="marking/sections/incident_marking.html",
            context=incident_section_context,
        )
