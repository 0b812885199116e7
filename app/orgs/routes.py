from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import mail
from app.auth.web import current_session
from app.extensions import db
from app.models import Role, User
from app.orgs import bp, page, queries, services, workspace
from app.orgs.forms import (
    ConfirmSlugForm,
    InviteForm,
    NewOrgForm,
    OrgDetailsForm,
    RoleForm,
    TransferForm,
    WorkspaceForm,
)
from app.permissions import Action, require
from app.urls import local_path
from app.web import attempt

log = logging.getLogger("gatehouse.orgs")


def _me():
    return current_user._get_current_object()


def _details(form) -> services.OrgDetails:
    return services.OrgDetails(
        name=form.name.data,
        description=form.description.data or None,
        email=form.email.data or None,
        phone=form.phone.data or None,
        location=form.location.data or None,
    )


def _show(slug: str):
    return redirect(url_for("orgs.show", slug=slug), 303)


@bp.get("/orgs")
@login_required
def index():
    return render_template("orgs/index.html", rows=queries.my_orgs(_me()))


@bp.route("/orgs/new", methods=["GET", "POST"])
@login_required
def new():
    form = NewOrgForm()
    if not form.validate_on_submit():
        return render_template("orgs/new.html", form=form), 422 if form.is_submitted() else 200
    done = attempt(_create_and_switch, form)
    if not done.ok:
        done.flash(form)
        return render_template("orgs/new.html", form=form), done.status
    org = done.value
    flash(f"{org.name} is ready and is now your current workspace. You are its owner.", "success")
    return _show(org.slug)


def _create_and_switch(form: NewOrgForm):
    """Create the organization and make it this session's workspace, in one transaction (as
    accepting an invitation does): the next thing a new owner does is work in it."""
    org = services.create(_me(), form.slug.data, _details(form))
    record = current_session()
    if record is not None:
        record.workspace_org_id = org.id
    return org


@bp.get("/orgs/<slug>")
@login_required
def show(slug: str):
    org, role = queries.org_for_viewer(slug, _me())
    return page.render(org, role)


@bp.route("/orgs/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    org, _ = queries.org_for_viewer(slug, _me())
    require(_me(), org, Action.EDIT_ORG)
    form = OrgDetailsForm(obj=org)
    if not form.validate_on_submit():
        return render_template(
            "orgs/edit.html", org=org, form=form, is_owner=org.owner_id == _me().id
        ), 422 if form.is_submitted() else 200
    if attempt(services.update, org, _me(), _details(form)).flash().ok:
        flash("The organization's details have been saved.", "success")
    return _show(org.slug)


@bp.post("/orgs/<slug>/require-2fa")
@login_required
def require_2fa(slug: str):
    org, _ = queries.org_for_viewer(slug, _me())
    required = request.form.get("require_2fa") == "y"
    done = attempt(services.set_require_2fa, org, _me(), required).flash()
    if done.ok and done.value:
        flash(
            "Members must now use a second factor."
            if required
            else "Members no longer must use a second factor.",
            "success",
        )
    return redirect(url_for("orgs.edit", slug=org.slug), 303)


def _deliver(org, invitation, token: str) -> None:
    """Say the mail is on its way (the service queued it), or show the link once without mail."""
    if not mail.configured():
        page.keep_new_link(org, invitation.email, mail.invitation_link(token))
        flash(
            f"Invitation ready for {invitation.email}. This site does not send mail: copy the "
            "link below and pass it on yourself. It is shown only now.",
            "warning",
        )
        return
    flash(f"The invitation email to {invitation.email} is on its way.", "success")


@bp.post("/orgs/<slug>/invitations")
@login_required
def invite(slug: str):
    org, role = queries.org_for_viewer(slug, _me())
    form = InviteForm()
    if not form.validate_on_submit():
        return page.render(org, role, 422, invite_form=form)
    done = attempt(services.invite, org, _me(), form.email.data, Role(form.role.data)).flash()
    if done.ok:
        _deliver(org, *done.value)
    return _show(org.slug)


@bp.post("/orgs/<slug>/invitations/<int:invitation_id>/resend")
@login_required
def resend_invitation(slug: str, invitation_id: int):
    org, _ = queries.org_for_viewer(slug, _me())
    done = attempt(services.resend, org, _me(), invitation_id).flash()
    if done.ok:
        _deliver(org, *done.value)
    return _show(org.slug)


@bp.post("/orgs/<slug>/invitations/<int:invitation_id>/delete")
@login_required
def delete_invitation(slug: str, invitation_id: int):
    org, _ = queries.org_for_viewer(slug, _me())
    done = attempt(services.revoke, org, _me(), invitation_id).flash()
    if done.ok:
        flash(f"The invitation for {done.value.email} was withdrawn.", "success")
    return _show(org.slug)


@bp.post("/orgs/<slug>/members/<int:user_id>/role")
@login_required
def change_role(slug: str, user_id: int):
    org, role = queries.org_for_viewer(slug, _me())
    form = RoleForm()
    if not form.validate_on_submit():
        return page.render(
            org, role, 422, role_error=(user_id, "Choose Maintainer, Supervisor or Worker.")
        )
    done = attempt(services.change_role, org, _me(), user_id, Role(form.role.data)).flash()
    if done.ok:
        member = db.session.get_one(User, user_id)
        flash(f"{member.display_name}’s role is now {Role(done.value.role).title()}.", "success")
    return _show(org.slug)


@bp.post("/orgs/<slug>/members/<int:user_id>/remove")
@login_required
def remove_member(slug: str, user_id: int):
    org, _ = queries.org_for_viewer(slug, _me())
    done = attempt(services.remove_member, org, _me(), user_id).flash()
    if done.ok:
        flash(f"{done.value.display_name} is no longer a member of {org.name}.", "success")
    return _show(org.slug)


@bp.post("/orgs/<slug>/leave")
@login_required
def leave(slug: str):
    org, _ = queries.org_for_viewer(slug, _me())
    if not attempt(services.leave, org, _me()).flash().ok:
        return _show(org.slug)
    flash(f"You have left {org.name}.", "success")
    return redirect(url_for("orgs.index"), 303)


@bp.post("/orgs/<slug>/transfer")
@login_required
def transfer(slug: str):
    org, _ = queries.org_for_viewer(slug, _me())
    role = require(_me(), org, Action.TRANSFER_OWNERSHIP)
    form = TransferForm()
    if not form.validate_on_submit() or not (form.new_owner.data or "").isdigit():
        if not form.new_owner.errors:
            form.new_owner.errors = ["Choose the new owner."]
        return page.render(org, role, 422, transfer_form=form)
    done = attempt(
        services.transfer, org, _me(), int(form.new_owner.data), form.confirm_slug.data
    ).flash()
    if done.ok:
        flash(f"{done.value.display_name} now owns {org.name}; you are a Maintainer.", "success")
    return _show(org.slug)


@bp.post("/orgs/<slug>/delete")
@login_required
def delete(slug: str):
    org, _ = queries.org_for_viewer(slug, _me())
    role = require(_me(), org, Action.DELETE_ORG)
    form = ConfirmSlugForm()
    if not form.validate_on_submit():
        return page.render(org, role, 422, delete_form=form)
    name = org.name
    if not attempt(services.delete_org, org, _me(), form.confirm_slug.data).flash().ok:
        return _show(slug)
    flash(f"{name} and all its projects, members and invitations have been deleted.", "success")
    return redirect(url_for("orgs.index"), 303)


@bp.post("/workspace")
@login_required
def switch_workspace():
    form = WorkspaceForm()
    if not form.validate_on_submit():
        flash("Choose a workspace.", "error")
        return redirect(url_for("main.dashboard"), 303)
    done = attempt(workspace.switch, _me(), current_session(), form.workspace.data).flash()
    if done.ok:
        flash(f"Workspace: {done.value.name if done.value else 'Personal'}.", "info")
    target = local_path(request.form.get("next"))
    return redirect(target or url_for("main.dashboard"), 303)


from app.orgs import invitation_routes  # noqa: E402,F401
