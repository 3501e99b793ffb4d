from django.apps import AppConfig


class LinkingConfig(AppConfig):
    name = "shopwatch.linking"
    label = "linking"
    verbose_name = "Offender linking"

    def ready(self) -> None:
        from shopwatch.intelligence.identified import identification_confirmed

        from .services.proposals import identification_confirmed_propose

        # A confirmed help-identify suggestion proposes a link, in the confirmation's transaction.
        identification_confirmed.register("linking", identification_confirmed_propose, order=10)
