"""The search-as-you-type record picker: one form field and widget for every form that asks for a record.

The field is a text box (an ARIA combobox once ``core/picker.js`` runs) into which the user types a name, a
reference or words; the page asks the app's picker address for server-rendered options as they type, each
one a person or an incident the viewer may see. Choosing one keeps its id in a hidden ``<name>_choice``
field, so the server knows exactly which; without JavaScript the text alone is sent and the app's selector
resolves it, answering with the matching options as radio buttons when more than one fits. Which records
exist and who may see them is decided only by the selectors that fill the options and resolve the text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.datastructures import MultiValueDict

from .ids import parse_id

SOURCE_PEOPLE = "people"
SOURCE_INCIDENTS = "incidents"


@dataclass(frozen=True)
class Pick:
    """What arrived in a picker field: the text typed and, if an option was chosen, its record id."""

    text: str
    choice: int | None = None

    def __bool__(self) -> bool:
        return bool(self.text) or self.choice is not None


@dataclass(frozen=True)
class PickOption:
    """One option a picker offers: a record the viewer may see, described for choosing it."""

    value: int
    label: str
    details: list[str] = field(default_factory=list)
    photo_url: str = ""


class PickError(Exception):
    """The text named no record the viewer may see, or more than one (``options`` then lists them)."""

    def __init__(self, message: str, options: Sequence[PickOption] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.options = list(options)


class PickerWidget(forms.Widget):
    template_name = "core/widgets/picker.html"

    def __init__(self, *, url: object = "", attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.url = url
        self.options: list[PickOption] = []
        self.refused = False  # the choice sent named no record: not sent back

    def value_from_datadict(
        self, data: Mapping[str, Any], files: MultiValueDict[str, UploadedFile], name: str
    ) -> Pick:
        text = str(data.get(name) or "").replace("\x00", "").strip()[:200]
        return Pick(text=text, choice=parse_id(data.get(f"{name}_choice") or ""))

    def value_omitted_from_data(
        self, data: Mapping[str, Any], files: MultiValueDict[str, UploadedFile], name: str
    ) -> bool:
        return name not in data and f"{name}_choice" not in data

    def format_value(self, value: Any) -> str:
        if isinstance(value, Pick):
            return value.text
        return "" if value is None else str(value)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        chosen = value.choice if isinstance(value, Pick) else None
        context["widget"].update(
            {
                "url": str(self.url) if self.url else "",
                "options": self.options,
                "chosen": None if self.options or self.refused else chosen,
                "choice_name": f"{name}_choice",
            }
        )
        return context


class PickerField(forms.Field):
    """A record named by picking or typing. Cleans to a :class:`Pick` (an empty one when optional and left
    empty); the view resolves it through the app's selector with the viewer."""

    widget = PickerWidget

    def __init__(self, *, url: object = "", placeholder: str = "", **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", PickerWidget(url=url, attrs={"placeholder": placeholder} if placeholder else None)
        )
        super().__init__(**kwargs)

    def set_url(self, url: object) -> None:
        assert isinstance(self.widget, PickerWidget)
        self.widget.url = url

    def offer(self, options: Sequence[PickOption]) -> None:
        """Show these options as a choice list (after an ambiguous name); drop the choice that was sent."""
        assert isinstance(self.widget, PickerWidget)
        self.widget.options = list(options)
        self.widget.refused = True

    def to_python(self, value: Any) -> Pick:
        if isinstance(value, Pick):
            return value
        return Pick(text=str(value or "").strip())

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial: Any, data: Any) -> bool:
        return bool(data)


def pick_error_to_form(form: forms.Form, name: str, error: PickError) -> None:
    """Put a resolution failure next to its field, offering the options that fit (if several did)."""
    picker = form.fields[name]
    if isinstance(picker, PickerField):
        picker.offer(error.options)
    form.add_error(name, error.message)
