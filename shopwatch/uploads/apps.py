from django.apps import AppConfig

# Where the send form sits on an incident's page (shopwatch.reporting.pages): after its photos.
INCIDENT_SECTION_ORDER = 20


class UploadsConfig(AppConfig):
    name = "shopwatch.uploads"
    label = "uploads"
    verbose_name = "Resumable uploads"

    def ready(self) -> None:
        from shopwatch.reporting.pages import incident_detail_sections

        from .views import send_section_context

        # The incident page lets those who report for its store add photos or footage after sending it,
        # through the tus endpoint (the same form as the upload page and the upload link).
        incident_detail_sections.register(
            "send-files",
            order=INCIDENT_SECTION_ORDER,
            template="uploads/sections/incident_send.html",
            context=send_section_context,
        )
