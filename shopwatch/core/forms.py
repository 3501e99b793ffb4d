"""Forms for the account and partnership pages. They check shape; services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm


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
