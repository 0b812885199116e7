from __future__ import annotations

import re
import unicodedata

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.forms import email_field, plain_text, strip, text_field
from app.models import Role

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")
RESERVED_SLUGS = frozenset(
    [
        "new",
        "admin",
        "administrator",
        "api",
        "static",
        "settings",
        "invitations",
        "invitation",
        "personal",
        "orgs",
        "org",
        "organizations",
        "projects",
        "billing",
        "account",
        "login",
        "logout",
        "signup",
        "forgot",
        "workspace",
        "workspaces",
        "dashboard",
        "healthz",
        "help",
        "about",
        "support",
        "root",
        "system",
        "www",
        "mail",
        "edit",
        "delete",
        "me",
        "null",
        "none",
    ]
)
PHONE = re.compile(r"^[0-9+()./ -]{3,40}$")
ROLE_CHOICES = [
    (Role.MAINTAINER.value, "Maintainer"),
    (Role.SUPERVISOR.value, "Supervisor"),
    (Role.WORKER.value, "Worker"),
]


def lower(value):
    return value.strip().lower() if isinstance(value, str) else value


def slug_rule(_form, field) -> None:
    if not field.data:
        return
    if not SLUG.match(field.data):
        raise ValidationError(
            "Use 3–40 lower-case letters, digits or hyphens, starting and "
            "ending with a letter or digit."
        )
    if field.data in RESERVED_SLUGS:
        raise ValidationError(f"“{field.data}” is reserved; choose another short name.")


def phone_rule(_form, field) -> None:
    if field.data and not PHONE.match(field.data):
        raise ValidationError("Use digits, spaces and + ( ) - . / only.")


class OrgDetailsForm(FlaskForm):
    name = text_field("Full name", 100)
    description = TextAreaField(
        "Description", [Optional(), Length(max=2000), plain_text], filters=[strip]
    )
    email = email_field("Contact email", required=False)
    phone = text_field("Phone", 40, required=False)
    location = text_field("Location", 100, required=False)

    def validate_phone(self, field) -> None:
        phone_rule(self, field)


def suggest_slug(name: str) -> str:
    """A short name from a full name, as static/js/slug.js proposes it while the person types:
    "Acme Corp!" -> "acme-corp", "Équipe Zürich" -> "equipe-zurich"."""
    bare = re.sub("[\u0300-\u036f]", "", unicodedata.normalize("NFKD", name))  # accents off
    words = re.sub(r"[^a-z0-9]+", "-", bare.lower()).strip("-")
    return words[:40].rstrip("-")


class NewOrgForm(OrgDetailsForm):
    slug = StringField(
        "Short name (used in links)",
        [DataRequired(message="Choose a short name."), Length(max=40), plain_text, slug_rule],
        filters=[lower],
    )

    def validate(self, extra_validators=None) -> bool:
        # Left empty (no script, or cleared on purpose): the one made from the full name, which
        # the page said would be used; any problem with it is shown in the field.
        if not self.slug.data and isinstance(self.name.data, str):
            self.slug.data = suggest_slug(self.name.data)
        return super().validate(extra_validators)


class InviteForm(FlaskForm):
    email = email_field("Email of the person to invite")
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.WORKER.value)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class ConfirmSlugForm(FlaskForm):
    confirm_slug = StringField(
        "Type the short name to confirm",
        [DataRequired(message="Type the short name to confirm."), Length(max=40), plain_text],
        filters=[lower],
    )


class TransferForm(ConfirmSlugForm):
    new_owner = SelectField(
        "New owner (a maintainer)",
        choices=[],
        validate_choice=False,
        validators=[DataRequired(message="Choose the new owner.")],
    )


class WorkspaceForm(FlaskForm):
    workspace = StringField(
        "Workspace", [DataRequired(), Length(max=40), plain_text], filters=[lower]
    )
