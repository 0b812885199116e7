from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from app import passwords, settings
from app.forms import email_field, password_field, plain_text, text_field, username


class NewPasswordMixin:
    """`password` with its confirmation, checked against the policy of SPEC §6."""

    def check_new_password(self, field, name: str, email: str, display_name: str) -> None:
        problem = passwords.password_problem(
            field.data or "", settings.get("password_min_length"), name, email, display_name
        )
        if problem:
            raise ValidationError(problem)


class SignupForm(NewPasswordMixin, FlaskForm):
    email = email_field()
    username = StringField(
        "Username", [Length(max=50), plain_text, username], render_kw={"autocomplete": "username"}
    )
    display_name = text_field(
        "Display name", 100, required=False, render_kw={"autocomplete": "name"}
    )
    password = password_field("Password", "new-password")
    password_confirm = PasswordField(
        "Repeat the password",
        [
            DataRequired(message="Repeat the password."),
            EqualTo("password", message="The two passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    security_question = text_field(
        "Security question", 200, render_kw={"list": "security-questions"}
    )
    security_answer = PasswordField(
        "Answer",
        [DataRequired(message="Enter an answer."), Length(max=200), plain_text],
        render_kw={"autocomplete": "off"},
    )
    accept_terms = BooleanField(
        "I accept the terms of use",
        [DataRequired(message="Accept the terms to create an account.")],
    )

    def validate_username(self, field) -> None:
        if not field.data and self.email.data and "@" in self.email.data:
            field.data = proposed_username(self.email.data)
        if not field.data:
            raise ValidationError("Choose a username.")

    def validate_password(self, field) -> None:
        self.check_new_password(
            field, self.username.data or "", self.email.data or "", self.display_name.data or ""
        )

    def validate_security_answer(self, field) -> None:
        problem = passwords.answer_problem(
            field.data, self.username.data or "", self.email.data or "", self.password.data or ""
        )
        if problem:
            raise ValidationError(problem)


def proposed_username(email: str) -> str:
    local = re.sub(r"[^A-Za-z0-9._-]", "", email.partition("@")[0])[:50]
    return local if len(local) >= 3 else ""


class LoginForm(FlaskForm):
    login = StringField(
        "Email or username",
        [DataRequired(message="Enter your email or username."), Length(max=254), plain_text],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        [DataRequired(message="Enter your password."), Length(max=1024), plain_text],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me signed in on this device")


class ForgotForm(FlaskForm):
    login = StringField(
        "Email or username",
        [DataRequired(message="Enter your email or username."), Length(max=254), plain_text],
        render_kw={"autocomplete": "username"},
    )


class AnswerForm(FlaskForm):
    answer = PasswordField(
        "Your answer",
        [DataRequired(message="Enter your answer."), Length(max=200), plain_text],
        render_kw={"autocomplete": "off"},
    )
