from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "shopwatch.intelligence"
    label = "intelligence"
    verbose_name = "Partnership intelligence"
