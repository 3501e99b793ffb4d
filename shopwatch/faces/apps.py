from django.apps import AppConfig


class FacesConfig(AppConfig):
    name = "shopwatch.faces"
    label = "faces"
    verbose_name = "Retrospective facial recognition"

    def ready(self) -> None:
        from shopwatch.core.capabilities import Relation, register_condition

        from .rules import manages_a_searching_partnership

        register_condition(Relation.FACE_SEARCH_PARTNERSHIP, manages_a_searching_partnership)
