from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app import paging
from app.auth.web import current_session
from app.orgs import workspace
from app.permissions import Action, allowed, require
from app.projects import bp, queries, services
from app.projects.forms import AssignForm, ProjectForm, TransferForm
from app.web import attempt


def _me():
    return current_user._get_current_object()


def _here():
    return workspace.here(_me(), current_session())


def _status(form) -> int:
    return 422 if form.is_submitted() else 200


@bp.get("")
@login_required
def index():
    org, role = _here()
    can_create = org is None or allowed(role, Action.CREATE_PROJECT)
    page = queries.page(_me(), org, role, paging.requested()[0])
    return render_template(
        "projects/index.html", org=org, role=role, can_create=can_create, rows=page.items, page=page
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    org, role = _here()
    if org is not None:
        require(_me(), org, Action.CREATE_PROJECT)
    form = ProjectForm()
    if not form.validate_on_submit():
        return render_template("projects/form.html", form=form, org=org, project=None), _status(
            form
        )
    done = attempt(services.create, _me(), org, form.name.data, form.description.data or None)
    if not done.ok:
        done.flash(form)
        page = render_template("projects/form.html", form=form, org=org, project=None)
        return page, done.status
    project = done.value
    flash(f"Project “{project.name}” created.", "success")
    return redirect(url_for(".show", project_id=project.id), 303)


def _transfer_choices(project) -> list[tuple[str, str]]:
    choices = [] if project.organization_id is None else [(workspace.PERSONAL, "Personal")]
    return choices + [
        (c.org.slug, c.org.name)
        for c in workspace.memberships(_me())
        if c.org.id != project.organization_id and allowed(c.role, Action.CREATE_PROJECT)
    ]


@bp.get("/<int:project_id>")
@login_required
def show(project_id: int):
    project = services.get(_me(), project_id)
    row = queries.one(_me(), project)
    assign_form = AssignForm(assignees=[u.id for u in row.assignees])
    assign_form.assignees.choices = [
        (u.id, f"{u.display_name} ({u.username})")
        for u in services.allowed_assignees(project, _me())
    ]
    transfer_form = TransferForm()
    transfer_form.workspace.choices = _transfer_choices(project)
    return render_template(
        "projects/show.html",
        row=row,
        project=project,
        assign_form=assign_form,
        transfer_form=transfer_form,
    )


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id: int):
    project = services.get(_me(), project_id, manage=True)
    form = ProjectForm(obj=project)
    if not form.validate_on_submit():
        return render_template("projects/form.html", form=form, project=project, org=None), _status(
            form
        )
    done = attempt(
        services.update, _me(), project_id, form.name.data, form.description.data or None
    )
    if done.flash().ok:
        flash("The project has been saved.", "success")
    return redirect(url_for(".show", project_id=project_id), 303)


@bp.post("/<int:project_id>/assign")
@login_required
def assign(project_id: int):
    services.get(_me(), project_id, manage=True)
    form = AssignForm()
    if not form.validate_on_submit():
        flash("Choose members from the list.", "error")
        return redirect(url_for(".show", project_id=project_id), 303)
    if attempt(services.assign, _me(), project_id, form.assignees.data or []).flash().ok:
        flash("Assignees saved.", "success")
    return redirect(url_for(".show", project_id=project_id), 303)


@bp.post("/<int:project_id>/delete")
@login_required
def delete(project_id: int):
    done = attempt(services.delete_project, _me(), project_id).flash()
    if done.ok:
        flash(f"Project “{done.value.name}” deleted.", "success")
        return redirect(url_for(".index"), 303)
    return redirect(url_for(".show", project_id=project_id), 303)


@bp.post("/<int:project_id>/transfer")
@login_required
def transfer(project_id: int):
    services.get(_me(), project_id, manage=True)
    form = TransferForm()
    if not form.validate_on_submit():
        flash("Choose where to move the project.", "error")
        return redirect(url_for(".show", project_id=project_id), 303)
    done = attempt(services.transfer, _me(), project_id, form.workspace.data.strip().lower())
    if done.flash().ok:
        project = done.value
        where = "your personal workspace" if project.organization_id is None else "the organization"
        flash(f"Project “{project.name}” moved to {where}.", "success")
    return redirect(url_for(".show", project_id=project_id), 303)
