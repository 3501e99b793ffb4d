"""Forms for the account and partnership pages. They check shape; services apply the rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from .errors import FieldError
from .models import Role, Store


class SignInForm(AuthenticationForm):
    """Email and password, and whether this device should stay signed in."""

    username = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address like name@example.org.",
        },
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password."},
    )
    remember = forms.BooleanField(
        label="Keep me signed in on this device",
        required=False,
        initial=True,
        help_text="Untick this on a shared or public device: you will be signed out when the browser closes.",
    )

    error_messages = {
        "invalid_login": "The email address or password is not right. Check them and try again.",
        "inactive": "This account has been switched off. Ask your manager or the ShopWatch administrator.",
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        # AuthenticationForm gives the username autofocus; keep it, but not capitalised on phones.
        self.fields["username"].widget.attrs["autofocus"] = True

    def clean_username(self) -> str:
        return str(self.cleaned_data.get("username") or "").strip().lower()


def top_level_field(service_field: str) -> str:
    """The form field a nested service field is about: ``goods[0].value`` is about ``goods``."""
    return service_field.split(".")[0].split("[")[0]


def add_service_errors(
    form: forms.Form,
    errors: Iterable[FieldError],
    *,
    field_for: Callable[[str], str | None] | None = None,
) -> None:
    """Put a service's per-field errors next to the form fields they are about; the rest go at the top.

    ``field_for`` names the form field for a service field where the two differ (None: the same name).
    """
    for error in errors:
        name = field_for(error.field) if field_for is not None else error.field
        form.add_error(name if name in form.fields else None, error.message)


class TokenForm(forms.Form):
    token = forms.CharField(
        label="6-digit code",
        max_length=20,
        help_text="Open your authenticator app and type the code it shows for ShopWatch.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the 6-digit code from your authenticator app."},
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Key name",
        max_length=100,
        help_text="Say which system will use it, for example 'Till system, Brighton'.",
        error_messages={
            "required": "Give the key a name.",
            "max_length": "The name must be 100 characters or fewer.",
        },
    )


STORE_ROLE_CHOICES = [
    (Role.STORE_REPORTER.value, "Store reporter: reports incidents at this store"),
    (Role.STORE_MANAGER.value, "Store manager: also sees and follows up the store's incidents"),
]


class MemberAddForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the person's email address.",
            "invalid": "Enter an email address like name@example.org.",
        },
    )
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        required=False,
        help_text="Needed if the person is new to ShopWatch.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"max_length": "The name must be 200 characters or fewer."},
    )
    store = forms.TypedChoiceField(
        label="Store",
        coerce=int,
        error_messages={
            "required": "Choose the store they work at.",
            "invalid_choice": "Choose one of the partnership's stores.",
        },
    )
    role = forms.ChoiceField(
        label="Role",
        choices=STORE_ROLE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a role.",
            "invalid_choice": "Choose store reporter or store manager.",
        },
    )

    def __init__(self, *args: Any, stores: Iterable[Store] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        store_field = self.fields["store"]
        assert isinstance(store_field, forms.TypedChoiceField)
        store_field.choices = [
            ("", "Choose a store"),
            *((s.pk, f"{s.name} ({s.retailer.name})") for s in stores),
        ]


class StoreAddForm(forms.Form):
    store = forms.TypedChoiceField(
        label="Store to add",
        coerce=int,
        help_text="Open stores of member retailers in the partnership's police force area.",
        error_messages={
            "required": "Choose a store to add.",
            "invalid_choice": "Choose one of the stores listed.",
        },
    )

    def __init__(self, *args: Any, stores: Iterable[Store] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        store_field = self.fields["store"]
        assert isinstance(store_field, forms.TypedChoiceField)
        store_field.choices = [
            ("", "Choose a store"),
            *((s.pk, f"{s.name}, {s.town} ({s.retailer.name})") for s in stores),
        ]
