from django.apps import AppConfig


class LinkingConfig(AppConfig):
    name = "shopwatch.linking"
    label = "linking"
    verbose_name = "Offender linking"
