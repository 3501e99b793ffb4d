from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "shopwatch.reporting"
    label = "reporting"
    verbose_name = "Incident reporting"
