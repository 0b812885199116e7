"""Admin: grant or revoke a plan by hand for a person or an organization (SPEC §4, plans)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from app import ids
from app.admin import bp
from app.admin.web import actor
from app.billing import plans, services
from app.errors import DomainError
from app.extensions import db
from app.models import Organization, User


class WorkspaceForm(FlaskForm):
    user = IntegerField(validators=[Optional()])
    org = StringField(validators=[Optional()])


class PlanForm(WorkspaceForm):
    plan = SelectField("Plan", choices=[("solo", "Solo"), ("team", "Team")])
    seats = IntegerField("Seats (Team)", [Optional(), NumberRange(1, services.MAX_SEATS)])


def _workspace(user_id, slug) -> services.Workspace:
    if slug:
        org = db.session.scalar(select(Organization).where(Organization.slug == slug.lower()))
        if org is not None:
            return services.Workspace(org=org)
    elif (number := ids.id_or_404(user_id)) is not None:
        user = db.session.get(User, number)
        if user is not None:
            return services.Workspace(user=user)
    abort(404)


def _page(workspace: services.Workspace, form: PlanForm | None = None, error=None, status=200):
    row = services.subscription_of(workspace)
    form = form or PlanForm(formdata=None, plan="team" if workspace.org else "solo",
                            seats=services.seats_used(workspace.org) if workspace.org else 1)
    return render_template(
        "admin/plans.html", workspace=workspace, subscription=row, state=plans.state_of(row),
        seats_used=services.seats_used(workspace.org) if workspace.org else None,
        form=form, error=error,
        revocable=bool(row and row.source == "admin" and row.status in plans.PAID_STATUSES),
    ), status


def _back(workspace: services.Workspace):
    target = ({"org": workspace.org.slug} if workspace.org else {"user": workspace.user.id})
    return redirect(url_for("admin.plan", **target), 303)


@bp.get("/plans")
def plan():
    return _page(_workspace(request.args.get("user"), request.args.get("org")))


@bp.post("/plans/grant")
def grant_plan():
    form = PlanForm()
    workspace = _workspace(form.user.data, form.org.data)
    if not form.validate_on_submit():
        return _page(workspace, form, status=422)
    try:
        services.grant_plan(actor(), workspace, form.plan.data, form.seats.data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _page(workspace, form, str(exc), exc.status)
    flash(f"{form.plan.data.title()} granted to {workspace.label}.", "success")
    return _back(workspace)


@bp.post("/plans/revoke")
def revoke_plan():
    form = WorkspaceForm()
    workspace = _workspace(form.user.data, form.org.data)
    if not form.validate_on_submit():
        abort(400)
    try:
        services.revoke_plan(actor(), workspace)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _page(workspace, error=str(exc), status=exc.status)
    flash(f"The plan of {workspace.label} was revoked; a 30-day grace period runs.", "success")
    return _back(workspace)
