from django.apps import AppConfig

# Where policing's sections sit on an incident's page (shopwatch.reporting.pages): what the police said and
# asked before the photos (10) and the send form (uploads, 20); the store's answer to a request after them.
POLICE_SECTION_ORDER = 5
ANSWER_SECTION_ORDER = 25
# Policing's parts of two first pages (shopwatch.core.firstpages): after the estate's stores and alerts, and
# after the health page's own checks.
ESTATE_SECTION_ORDER = 30
HEALTH_SECTION_ORDER = 10
# Where policing runs among the upload-link handlers (shopwatch.uploads.completed): the only one so far.
LINK_UPLOAD_ORDER = 10


class PolicingConfig(AppConfig):
    name = "shopwatch.policing"
    label = "policing"
    verbose_name = "Police business crime team"

    def ready(self) -> None:
        from shopwatch.core.firstpages import estate_sections, health_sections
        from shopwatch.reporting.pages import incident_detail_sections
        from shopwatch.uploads.completed import LinkUploadCompleted, link_upload_completed

        from .selectors.firstpages import estate_requests, handoff_failures
        from .services.store_side import request_answer_by_upload_link
        from .views_store import answer_section_context, police_section_context

        # A file sent through an investigator's upload link answers the police's open CCTV request.
        def link_upload(event: LinkUploadCompleted) -> object:
            return request_answer_by_upload_link(link=event.link, evidence=event.evidence)

        link_upload_completed.register("policing", link_upload, order=LINK_UPLOAD_ORDER)
        incident_detail_sections.register(
            "police",
            order=POLICE_SECTION_ORDER,
            template="policing/sections/incident_police.html",
            context=police_section_context,
        )
        incident_detail_sections.register(
            "police-answer",
            order=ANSWER_SECTION_ORDER,
            template="policing/sections/incident_answer.html",
            context=answer_section_context,
        )
        estate_sections.register(
            "police-requests",
            order=ESTATE_SECTION_ORDER,
            template="policing/sections/estate_requests.html",
            context=lambda viewer, _page: {"incidents": estate_requests(viewer=viewer)},
        )
        health_sections.register(
            "handoffs",
            order=HEALTH_SECTION_ORDER,
            template="policing/sections/health_handoffs.html",
            context=lambda viewer, _page: {"forces": handoff_failures(viewer=viewer)},
        )
