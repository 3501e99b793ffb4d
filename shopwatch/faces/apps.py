from django.apps import AppConfig


class FacesConfig(AppConfig):
    name = "shopwatch.faces"
    label = "faces"
    verbose_name = "Retrospective facial recognition"
