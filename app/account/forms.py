from __future__ import annotations

from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectMultipleField
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app import passwords
from app.auth.forms import NewPasswordMixin
from app.forms import email_field, password_field, plain_text, text_field
from app.tokens import MAX_DAYS


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = password_field("Current password", "current-password")
    new_password = password_field("New password", "new-password")
    new_password_confirm = PasswordField(
        "Repeat the new password",
        [
            DataRequired(message="Repeat the new password."),
            EqualTo("new_password", message="The two passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    revoke_tokens = BooleanField("Also revoke my API tokens")

    def validate_new_password(self, field) -> None:
        self.check_new_password(
            field, current_user.username, current_user.email or "", current_user.display_name
        )


class ProfileForm(FlaskForm):
    display_name = text_field("Display name", 100, render_kw={"autocomplete": "name"})
    email = email_field(required=False)
    current_password = password_field(
        "Current password (needed to change the email)", "current-password", required=False
    )


class _QuestionFields:
    """A security question and its answer; the answer may not repeat the password beside it."""

    security_question = text_field(
        "Security question", 200, render_kw={"list": "security-questions"}
    )
    security_answer = PasswordField(
        "Answer",
        [DataRequired(message="Enter an answer."), Length(max=200), plain_text],
        render_kw={"autocomplete": "off"},
    )

    def password_beside(self) -> str:
        raise NotImplementedError

    def validate_security_answer(self, field) -> None:
        problem = passwords.answer_problem(
            field.data, current_user.username, current_user.email or "", self.password_beside()
        )
        if problem:
            raise ValidationError(problem)


class SecurityQuestionForm(_QuestionFields, FlaskForm):
    current_password = password_field("Current password", "current-password")

    def password_beside(self) -> str:
        return self.current_password.data


class FirstPasswordForm(_QuestionFields, ChangePasswordForm):
    """The forced change of an account an administrator created: its own password and, in the
    same step, the security question it never had."""

    def password_beside(self) -> str:
        return self.new_password.data


class TokenForm(FlaskForm):
    """A new API token; the scopes offered are those the person may give (`offer`)."""

    name = text_field("Name", 100, render_kw={"autocomplete": "off"})
    expires_in_days = IntegerField(
        "Expires after (days)",
        [
            InputRequired(message=f"Enter a number of days from 1 to {MAX_DAYS}."),
            NumberRange(1, MAX_DAYS, message=f"Enter a number of days from 1 to {MAX_DAYS}."),
        ],
        default=30,
        render_kw={"min": 1, "max": MAX_DAYS, "inputmode": "numeric"},
    )
    scopes = SelectMultipleField(
        "Scopes",
        [DataRequired(message="Choose at least one scope.")],
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    def offer(self, scopes: tuple[str, ...]) -> TokenForm:
        self.scopes.choices = [(s, s) for s in scopes]
        return self
