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
from app.billing.workspaces import OrgWorkspace, PersonalWorkspace, Workspace
from app.extensions import db
from app.models import Organization, User
from app.web import attempt


class WorkspaceForm(FlaskForm):
    user = IntegerField(validators=[Optional()])
    org = StringField(validators=[Optional()])


class PlanForm(WorkspaceForm):
    plan = SelectField("Plan", choices=[("solo", "Solo"), ("team", "Team")])
    seats = IntegerField("Seats (Team)", [Optional(), NumberRange(1, services.MAX_SEATS)])


def _workspace(user_id, slug) -> Workspace:
    if slug:
        org = db.session.scalar(select(Organization).where(Organization.slug == slug.lower()))
        if org is not None:
            return OrgWorkspace(org)
    elif (number := ids.id_or_404(user_id)) is not None:
        user = db.session.get(User, number)
        if user is not None:
            return PersonalWorkspace(user)
    abort(404)


def _page(workspace: Workspace, form: PlanForm | None = None, error=None, status=200):
    row = services.subscription_of(workspace)
    used = services.seats_used(workspace.org) if isinstance(workspace, OrgWorkspace) else None
    form = form or PlanForm(
        formdata=None, plan="team" if used is not None else "solo", seats=used or 1
    )
    return render_template(
        "admin/plans.html",
        workspace=workspace,
        subscription=row,
        state=plans.state_of(row),
        seats_used=used,
        form=form,
        error=error,
        revocable=bool(row and row.source == "admin" and row.status in plans.PAID_STATUSES),
    ), status


def _back(workspace: Workspace):
    if isinstance(workspace, OrgWorkspace):
        return redirect(url_for("admin.plan", org=workspace.org.slug), 303)
    return redirect(url_for("admin.plan", user=workspace.user.id), 303)


@bp.get("/plans")
def plan():
    return _page(_workspace(request.args.get("user"), request.args.get("org")))


@bp.post("/plans/grant")
def grant_plan():
    form = PlanForm()
    workspace = _workspace(form.user.data, form.org.data)
    if not form.validate_on_submit():
        return _page(workspace, form, status=422)
    done = attempt(services.grant_plan, actor(), workspace, form.plan.data, form.seats.data)
    if not done.ok:
        return _page(workspace, form, done.show_on(form), done.status)
    flash(f"{form.plan.data.title()} granted to {workspace.label}.", "success")
    return _back(workspace)


@bp.post("/plans/revoke")
def revoke_plan():
    form = WorkspaceForm()
    workspace = _workspace(form.user.data, form.org.data)
    if not form.validate_on_submit():
        abort(400)
    done = attempt(services.revoke_plan, actor(), workspace)
    if not done.ok:
        return _page(workspace, error=done.message, status=done.status)
    flash(f"The plan of {workspace.label} was revoked; a 30-day grace period runs.", "success")
    return _back(workspace)
