from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "shopwatch.uploads"
    label = "uploads"
    verbose_name = "Resumable uploads"
