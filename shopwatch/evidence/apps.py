from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "shopwatch.evidence"
    label = "evidence"
    verbose_name = "Evidence"
