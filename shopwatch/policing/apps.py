from django.apps import AppConfig


class PolicingConfig(AppConfig):
    name = "shopwatch.policing"
    label = "policing"
    verbose_name = "Police business crime team"
