from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "shopwatch.insights"
    label = "insights"
    verbose_name = "Insights and scrutiny"
