from django.apps import AppConfig


class NavigatorConfig(AppConfig):
    name = "shopwatch.navigator"
    label = "navigator"
    verbose_name = "Navigator diversion casework"
