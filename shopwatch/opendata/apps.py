from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "shopwatch.opendata"
    label = "opendata"
    verbose_name = "Open data (data.police.uk)"
