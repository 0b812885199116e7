from __future__ import annotations

from flask import current_app, render_template

from app import passwords, settings
from app.admin import bp, queries


def warnings() -> list[str]:
    found = []
    default_admin = queries.account_named("admin")
    if default_admin is not None and (
        default_admin.must_change_password
        or passwords.verify_password(default_admin.password_hash, "admin")
    ):
        found.append(
            "The default administrator 'admin' still has its initial password. "
            "Sign in as admin and change it, or delete that account."
        )
    if settings.get("registration_open"):
        found.append(
            "Registration is open: anyone who can reach this site can create an "
            "account. Close it in Settings if that is not intended."
        )
    if not current_app.config.get("STRIPE_SECRET_KEY"):
        found.append(
            "Stripe is not configured (STRIPE_SECRET_KEY): paid plans can only be "
            "granted by an administrator."
        )
    if not current_app.config.get("MAIL_SERVER"):
        found.append(
            "Mail is not configured (MAIL_SERVER): messages go to the log and links "
            "must be passed on by hand."
        )
    return found


@bp.get("/")
def overview():
    counts = queries.overview_counts()
    return render_template("admin/overview.html", counts=counts, warnings=warnings())
