from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "shopwatch.alerts"
    label = "alerts"
    verbose_name = "Live area alerts"
