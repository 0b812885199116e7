from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.forms import plain_text, strip, text_field


class ProjectForm(FlaskForm):
    name = text_field("Name", 100)
    description = TextAreaField(
        "Description", [Optional(), Length(max=5000), plain_text], filters=[strip]
    )


class AssignForm(FlaskForm):
    assignees = SelectMultipleField("Assignees", coerce=int, choices=[], validate_choice=False)


class TransferForm(FlaskForm):
    workspace = SelectField(
        "Move to",
        choices=[],
        validate_choice=False,
        validators=[DataRequired(message="Choose a workspace.")],
    )
