from django.apps import AppConfig

# Where reporting's section sits on a person's page (shopwatch.subjects.pages): first, before the evidence.
PERSON_SECTION_ORDER = 10
# Where reporting's section sits on a security manager's estate (shopwatch.core.firstpages): first.
ESTATE_SECTION_ORDER = 10


class ReportingConfig(AppConfig):
    name = "shopwatch.reporting"
    label = "reporting"
    verbose_name = "Incident reporting"

    def ready(self) -> None:
        from shopwatch.core.firstpages import estate_sections
        from shopwatch.subjects.pages import person_detail_sections

        from .selectors import estate_stores, incidents_naming_person

        person_detail_sections.register(
            "incidents",
            order=PERSON_SECTION_ORDER,
            template="reporting/sections/person_incidents.html",
            context=lambda viewer, person: {
                "incidents": incidents_naming_person(viewer=viewer, person_id=person.pk)
            },
        )
        estate_sections.register(
            "stores",
            order=ESTATE_SECTION_ORDER,
            template="reporting/sections/estate_stores.html",
            context=lambda viewer, _page: {"stores": estate_stores(viewer=viewer)},
        )
