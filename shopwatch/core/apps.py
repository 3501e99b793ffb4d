from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shopwatch.core"
    label = "core"
    verbose_name = "Organisations, people and access"
