"""Admin forms: the shape of the input; the rules live in services."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, Field, IntegerField, StringField
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from app import passwords, settings
from app.extensions import utcnow
from app.forms import email_field, password_field, plain_text, strip, text_field, username


def _check_password(field: Field, name: str, email: str, display_name: str) -> None:
    if not field.data:
        return
    problem = passwords.password_problem(
        field.data, settings.get("password_min_length"), name, email, display_name
    )
    if problem:
        raise ValidationError(problem)


class NewUserForm(FlaskForm):
    username = StringField(
        "Username",
        [DataRequired(message="Choose a username."), Length(max=50), plain_text, username],
        filters=[strip],
        render_kw={"autocomplete": "off"},
    )
    display_name = text_field(
        "Display name", 100, required=False, render_kw={"autocomplete": "off"}
    )
    email = email_field("Email (optional)", required=False)
    password = password_field("Password", "new-password", required=False)
    is_admin = BooleanField("Administrator")
    must_change_password = BooleanField("Must choose a new password at first sign-in", default=True)

    def validate_password(self, field) -> None:
        _check_password(
            field, self.username.data or "", self.email.data or "", self.display_name.data or ""
        )


class EditUserForm(FlaskForm):
    display_name = text_field("Display name", 100, render_kw={"autocomplete": "off"})
    email = email_field("Email (optional)", required=False)
    is_admin = BooleanField("Administrator")
    password = password_field(
        "New password (leave blank to keep the current one)", "new-password", required=False
    )
    must_change_password = BooleanField("Must choose a new password at next sign-in")
    revoke_sessions = BooleanField("Sign out all of this person's sessions")

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, obj=user, **kwargs)
        self._user = user

    def validate_password(self, field) -> None:
        _check_password(
            field, self._user.username, self.email.data or "", self.display_name.data or ""
        )


class DeleteUserForm(FlaskForm):
    confirm_username = StringField(
        "Type the username to confirm",
        [DataRequired(message="Type the username to confirm."), Length(max=50), plain_text],
        filters=[strip],
        render_kw={"autocomplete": "off"},
    )


class _GetForm(FlaskForm):
    """Filters in the query string: no CSRF token (GET changes nothing)."""

    class Meta:
        csrf = False


def _date_field(label: str) -> DateField:
    return DateField(label, [Optional()], format="%Y-%m-%d")


# Nothing is recorded before this; it also keeps the default range's arithmetic in bounds.
EARLIEST_STATS_DAY = date(2000, 1, 1)


class DateRangeForm(_GetForm):
    start = DateField("From", format="%Y-%m-%d")
    end = DateField("To", format="%Y-%m-%d")

    def validate(self, extra_validators=None) -> bool:
        """Missing dates mean the last 30 days; a bad or reversed range is an error."""
        today = utcnow().date()
        for f in (self.start, self.end):
            if f.raw_data and f.raw_data[0].strip() and f.data is None:
                f.errors = ["Enter a date as YYYY-MM-DD."]
        for f in (self.start, self.end):
            if f.data is not None and f.data < EARLIEST_STATS_DAY:
                f.errors = [f"Choose a date from {EARLIEST_STATS_DAY} on."]
        if self.start.errors or self.end.errors:
            return False
        self.end.data = self.end.data or today
        self.start.data = self.start.data or self.end.data - timedelta(days=29)
        if self.end.data < self.start.data:
            self.end.errors = ["The end date is before the start date."]
            return False
        longest = settings.get("stats_max_days")
        if (self.end.data - self.start.data).days + 1 > longest:
            self.end.errors = [f"Choose at most {longest} days."]
            return False
        return True

    @property
    def first_error(self) -> str:
        return next(e for f in (self.start, self.end) for e in f.errors)


class AuditFilterForm(_GetForm):
    user = StringField(
        "Person",
        [Length(max=254), plain_text],
        filters=[strip],
        description="Username of who acted or whom the event was about.",
    )
    action = StringField("Action", [Length(max=64), plain_text], filters=[strip])
    start = _date_field("From")
    end = _date_field("To")

    def validate_end(self, field) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("The end date is before the start date.")


# --- settings -------------------------------------------------------------------------------


def _whole_number(_form, field) -> None:
    if field.data is None:
        raise StopValidation("Enter a whole number.")


def _setting_field(definition: settings.Definition) -> Field:
    d = definition
    if d.kind is bool:
        return BooleanField(d.label, description=d.help)
    if d.kind is int:
        return IntegerField(
            d.label,
            [_whole_number, NumberRange(d.minimum, d.maximum)],
            description=d.help,
            render_kw={"min": d.minimum, "max": d.maximum, "type": "number"},
        )
    return StringField(
        d.label,
        [
            Optional() if not d.minimum else DataRequired(message="This field is required."),
            Length(d.minimum, d.maximum),
            plain_text,
        ],
        filters=[strip],
        description=d.help,
    )


@cache
def settings_form_class() -> type[FlaskForm]:
    """One field per definition in app.settings, named by its key."""
    fields = {key: _setting_field(d) for key, d in settings.DEFINITIONS.items()}
    return type("SettingsForm", (FlaskForm,), fields)


def setting_groups() -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for key, d in settings.DEFINITIONS.items():
        groups.setdefault(d.group, []).append(key)
    return list(groups.items())
