from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "shopwatch.demo"
    label = "demo"
    verbose_name = "Demo world"
