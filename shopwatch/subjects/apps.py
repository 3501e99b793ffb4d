from django.apps import AppConfig


class SubjectsConfig(AppConfig):
    name = "shopwatch.subjects"
    label = "subjects"
    verbose_name = "Persons and vehicles"
