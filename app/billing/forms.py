from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from app.billing.services import MAX_SEATS
from app.forms import plain_text, strip


class CheckoutForm(FlaskForm):
    plan = SelectField("Plan", choices=[("solo", "Solo"), ("team", "Team")])
    interval = SelectField("Billing period", choices=[("month", "Monthly"), ("year", "Yearly")])
    org = StringField("Organization", [Optional(), Length(max=40), plain_text], filters=[strip])
    seats = IntegerField(
        "Seats",
        [Optional(), NumberRange(1, MAX_SEATS, message=f"Choose between 1 and {MAX_SEATS} seats.")],
    )
    invoice_details = BooleanField("Collect a billing address, phone and tax ID for invoices")


class PortalForm(FlaskForm):
    org = StringField("Organization", [Optional(), Length(max=40), plain_text], filters=[strip])
