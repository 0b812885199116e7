"""Fields and validators shared by every form."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
USERNAME = re.compile(r"^[A-Za-z0-9._-]{3,50}$")


def plain_text(_form, field) -> None:
    """Refuse NUL and other control characters (PostgreSQL refuses NUL outright)."""
    if isinstance(field.data, str) and CONTROL.search(field.data):
        raise ValidationError("Remove the control characters from this field.")


def strip(value):
    return value.strip() if isinstance(value, str) else value


def email_address(_form, field) -> None:
    if not field.data:
        return
    try:
        field.data = validate_email(field.data, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError(str(exc)) from None


def username(_form, field) -> None:
    if field.data and not USERNAME.match(field.data):
        raise ValidationError("Use 3–50 letters, digits, dots, underscores or hyphens.")


def text_field(label: str, max_length: int, required: bool = True, **kw) -> StringField:
    first = DataRequired(message="This field is required.") if required else Optional()
    return StringField(label, [first, Length(max=max_length), plain_text], filters=[strip], **kw)


def email_field(label: str = "Email", required: bool = True) -> StringField:
    first = DataRequired(message="Enter an email address.") if required else Optional()
    return StringField(
        label,
        [first, Length(max=254), plain_text, email_address],
        filters=[strip],
        render_kw={"autocomplete": "email", "type": "email"},
    )


def password_field(label: str, autocomplete: str, required: bool = True) -> PasswordField:
    first = DataRequired(message="Enter a password.") if required else Optional()
    # No Length(max) here: the policy says why a password is too long instead of cutting it.
    return PasswordField(label, [first, plain_text], render_kw={"autocomplete": autocomplete})
