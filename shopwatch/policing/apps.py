from django.apps import AppConfig

# Where policing's sections sit on an incident's page (shopwatch.reporting.pages): what the police said and
# asked before the photos (10) and the send form (uploads, 20); the store's answer to a request after them.
POLICE_SECTION_ORDER = 5
ANSWER_SECTION_ORDER = 25


class PolicingConfig(AppConfig):
    name = "shopwatch.policing"
    label = "policing"
    verbose_name = "Police business crime team"

    def ready(self) -> None:
        from shopwatch.reporting.pages import incident_detail_sections

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
