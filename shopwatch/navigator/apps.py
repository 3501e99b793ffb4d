from django.apps import AppConfig

PERSON_SECTION_ORDER = 30


class NavigatorConfig(AppConfig):
    name = "shopwatch.navigator"
    label = "navigator"
    verbose_name = "Navigator diversion casework"

    def ready(self) -> None:
        from shopwatch.core.capabilities import Action, can
        from shopwatch.core.entitlements import Viewer
        from shopwatch.intelligence.selectors import SUBJECT_ACCESS_HOLDERS
        from shopwatch.subjects.pages import person_detail_sections

        from .selectors import subject_access_archive

        def navigator_answer(viewer: Viewer, person_id: int) -> bytes | None:
            return subject_access_archive(viewer=viewer, person_id=person_id)

        # The subject access export answers a navigator organisation with its own cases (and no one else).
        # Registering again replaces the earlier entry (ready() may run twice).
        SUBJECT_ACCESS_HOLDERS[:] = [
            h for h in SUBJECT_ACCESS_HOLDERS if getattr(h, "__name__", "") != navigator_answer.__name__
        ]
        SUBJECT_ACCESS_HOLDERS.append(navigator_answer)

        # The person page offers a referral to those the capability table lets refer the person.
        person_detail_sections.register(
            "diversion",
            order=PERSON_SECTION_ORDER,
            template="navigator/sections/person_refer.html",
            context=lambda viewer, person: {"may_refer": can(viewer, Action.REFER_FOR_DIVERSION, person)},
        )
