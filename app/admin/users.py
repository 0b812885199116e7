"""Users: the table, create, edit, disable/enable/unlock, delete, revoke sessions."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app import paging
from app.admin import bp, queries, services
from app.admin.forms import DeleteUserForm, EditUserForm, NewUserForm
from app.admin.web import actor, back_to, url_with
from app.auth import web as auth_web
from app.errors import DomainError
from app.extensions import db
from app.models import User
from app.forms import CONTROL

SORT_COLUMNS = (("name", "Username"), ("display_name", "Display name"), ("email", "Email"),
                ("admin", "Admin"), ("disabled", "Disabled"), ("created", "Created"),
                ("last_login", "Last sign-in"), ("sessions", "Active sessions"),
                ("orgs", "Organizations"), ("projects", "Projects"), ("plan", "Plan"))


@bp.get("/users")
def users():
    q = CONTROL.sub("", request.args.get("q", "")).strip()[:100]
    sort = queries.parse_sort(request.args.get("sort"), queries.USER_SORTS,
                              queries.DEFAULT_USER_SORT)
    page = queries.user_page(q, sort, *paging.requested())
    return render_template("admin/users.html", page=page, q=q, sort=sort,
                           columns=SORT_COLUMNS, url_with=url_with)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    if not form.validate_on_submit():
        return render_template("admin/user_new.html", form=form), 422 if form.is_submitted() \
            else 200
    try:
        user = services.create_user(actor(), services.NewUser(
            username=form.username.data, display_name=form.display_name.data,
            email=form.email.data, password=form.password.data, is_admin=form.is_admin.data,
            must_change_password=form.must_change_password.data))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        getattr(form, getattr(exc, "field", "username")).errors.append(str(exc))
        return render_template("admin/user_new.html", form=form), 422
    flash(f"Created the account {user.username}.", "success")
    return redirect(url_for(".edit_user", user_id=user.id), 303)


def _edit_page(user: User, status: int = 200, *, form=None, delete_form=None, error=None):
    return render_template(
        "admin/user_edit.html", user=user, form=form or EditUserForm(user, formdata=None),
        delete_form=delete_form or DeleteUserForm(formdata=None), error=error,
        owned=queries.owned_organizations(user), is_self=user.id == actor().id), status


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = queries.user_or_404(user_id)
    form = EditUserForm(user)
    if not form.validate_on_submit():
        return _edit_page(user, 422 if form.is_submitted() else 200, form=form)
    try:
        done = services.update_user(actor(), user, services.UserChanges(
            display_name=form.display_name.data, email=form.email.data,
            is_admin=form.is_admin.data, password=form.password.data or None,
            must_change_password=form.must_change_password.data,
            revoke_sessions=form.revoke_sessions.data))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        user = queries.user_or_404(user_id)
        field = getattr(exc, "field", None)
        if field:
            getattr(form, field).errors.append(str(exc))
        return _edit_page(user, exc.status, form=form, error=None if field else str(exc))
    flash(f"Saved {user.username}." if done else "Nothing changed.", "success")
    return redirect(url_for(".edit_user", user_id=user_id), 303)


def _act(user_id: int, action, message: str):
    """Run one button action on a user: redirect with a flash, or the page with the refusal."""
    user = queries.user_or_404(user_id)
    try:
        action(actor(), user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _edit_page(queries.user_or_404(user_id), exc.status, error=str(exc))
    flash(message.format(name=user.username), "success")
    return redirect(back_to(url_for(".edit_user", user_id=user_id)), 303)


@bp.post("/users/<int:user_id>/disable")
def disable_user(user_id: int):
    return _act(user_id, services.disable, "Disabled {name} and signed out all their sessions.")


@bp.post("/users/<int:user_id>/enable")
def enable_user(user_id: int):
    return _act(user_id, services.enable, "Enabled {name}.")


@bp.post("/users/<int:user_id>/unlock")
def unlock_user(user_id: int):
    return _act(user_id, services.unlock,
                "Unlocked {name}: sign-in failures cleared and question recovery reopened.")


@bp.post("/users/<int:user_id>/sessions/revoke")
def revoke_user_sessions(user_id: int):
    def revoke(admin, user):
        services.revoke_sessions(admin, user, keep=auth_web.current_session())
    return _act(user_id, revoke, "Signed out the sessions of {name}.")


@bp.post("/users/<int:user_id>/delete")
def delete_user(user_id: int):
    user = queries.user_or_404(user_id)
    form = DeleteUserForm()
    if not form.validate_on_submit():
        return _edit_page(user, 422, delete_form=form)
    name = user.username
    try:
        services.delete_user(actor(), user, form.confirm_username.data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        user = queries.user_or_404(user_id)
        if getattr(exc, "field", None):
            form.confirm_username.errors.append(str(exc))
            return _edit_page(user, exc.status, delete_form=form)
        return _edit_page(user, exc.status, delete_form=form, error=str(exc))
    flash(f"Deleted the account {name}.", "success")
    return redirect(url_for(".users"), 303)
