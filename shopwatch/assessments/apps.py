from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "shopwatch.assessments"
    label = "assessments"
    verbose_name = "Prevention programmes and self-assessments"
