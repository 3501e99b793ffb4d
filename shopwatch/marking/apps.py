from django.apps import AppConfig


class MarkingConfig(AppConfig):
    name = "shopwatch.marking"
    label = "marking"
    verbose_name = "Forensic-marking registry"
