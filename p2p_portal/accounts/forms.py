"""Account forms: the 6-digit code, and re-authentication (password, plus a code when the user has an authenticator)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest

CODE_DIGITS = 6
CODE_FORMAT_MESSAGE = "Enter the 6-digit code your authenticator app shows."


def _clean_code(value: str) -> str:
    # Apps show the code as "123 456"; people paste it that way.
    code = re.sub(r"[\s-]", "", value or "")
    if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", code):
        raise forms.ValidationError(CODE_FORMAT_MESSAGE, code="code_format")
    return code


class SecondFactorCodeForm(forms.Form):
    """A 6-digit code from the user's authenticator app (enrolment and verification)."""

    code = forms.CharField(label="Code", max_length=20, error_messages={"required": CODE_FORMAT_MESSAGE})

    def clean_code(self) -> str:
        return _clean_code(self.cleaned_data["code"])


class ReauthenticationForm(forms.Form):
    """The password again, and a code when the user has an authenticator, before a sensitive action."""

    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput, error_messages={"required": "Enter your password."}
    )
    code = forms.CharField(label="Code", max_length=20, required=False)

    def __init__(self, *args: Any, request: HttpRequest, needs_code: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.needs_code = needs_code
        if needs_code:
            self.fields["code"].required = True
            self.fields["code"].error_messages["required"] = CODE_FORMAT_MESSAGE

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        user = self.request.user
        # authenticate() runs the axes backend too: wrong passwords here count towards the lockout.
        proved = authenticate(self.request, username=user.get_username(), password=password)
        if proved is None or proved.pk != user.pk:
            raise forms.ValidationError("That password is not right.", code="password_incorrect")
        return password

    def clean_code(self) -> str:
        if not self.needs_code:
            return ""
        return _clean_code(self.cleaned_data["code"])
