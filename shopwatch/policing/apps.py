from django.apps import AppConfig

# Where policing's sections sit on an incident's page (shopwatch.reporting.pages): what the police said and
# asked before the photos (10) and the send form (uploads, 20); the store's answer to a request after them.
POLICE_SECTION_ORDER = 5
ANSWER_SECTION_ORDER = 25
# Policing's parts of two first pages (shopwatch.core.firstpages): after the estate's stores and alerts, and
# after the health page's own checks.
ESTATE_SECTION_ORDER = 30
HEALTH_SECTION_ORDER = 10


class PolicingConfig(AppConfig):
    name = "shopwatch.policing"
    label = "policing"
    verbose_name = "Police business crime team"

    def ready(self) -> None:
        from shopwatch.core.firstpages import estate_sections, health_sections
        from shopwatch.reporting.pages import incident_detail_sections

        from .selectors.firstpages import estate_requests, handoff_failures
        from .views_store import answer_section_context, police_section_context

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
