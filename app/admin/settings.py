"""Site settings: a form generated from app.settings.DEFINITIONS."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from app import settings as site_settings
from app.admin import bp, services
from app.admin.forms import setting_groups, settings_form_class
from app.admin.web import actor
from app.extensions import db
from app.formatting import counted

RECOMMENDED_MIN_LENGTH = 15
# A sentence under each group's title on the settings page.
GROUP_NOTES = {
    "General": "How the site names itself.",
    "Accounts": "Who may sign up, and what a password and a recovery must be.",
    "Limits": "Rate limits against guessing and abuse, counted on every worker together.",
    "Sessions": "How long people stay signed in.",
    "Organizations": "Invitations to organizations.",
    "Plans": "What the Free and Solo plans allow; the Team plan is limited by its seats.",
    "Security": "Second factors: who must use one, and how long they have to enroll.",
    "Admin": "This console.",
}


def _page(form, status: int = 200):
    current = site_settings.all_values()
    weak = current["password_min_length"] < RECOMMENDED_MIN_LENGTH
    return render_template(
        "admin/settings.html",
        form=form,
        groups=setting_groups(),
        notes=GROUP_NOTES,
        definitions=site_settings.DEFINITIONS,
        weak_passwords=weak,
        recommended=RECOMMENDED_MIN_LENGTH,
    ), status


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    # Fields left out of a POST keep their value; a checkbox left out means off, as in HTML.
    form = settings_form_class()(data=site_settings.all_values())
    if not form.validate_on_submit():
        return _page(form, 422 if form.is_submitted() else 200)
    values = {key: form[key].data for key in site_settings.DEFINITIONS}
    problems = {key: site_settings.problem(key, v) for key, v in values.items()}
    if any(problems.values()):
        for key, problem in problems.items():
            if problem:
                form[key].errors.append(problem)
        return _page(form, 422)
    changed = services.save_settings(actor(), values)
    db.session.commit()
    flash(
        f"Saved {counted(len(changed), 'change')}. Every worker uses them from its next request."
        if changed
        else "Nothing changed.",
        "success",
    )
    return redirect(url_for(".settings"), 303)
