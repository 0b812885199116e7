"""Users: the table, create, edit, disable/enable/unlock, delete, revoke sessions."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from app import paging, passwords
from app.account import verification
from app.admin import bp, queries, services
from app.admin.forms import DeleteUserForm, EditUserForm, NewUserForm
from app.admin.web import actor, back_to, url_with
from app.auth import factors
from app.auth import web as auth_web
from app.forms import CONTROL
from app.models import User
from app.web import attempt

# (sort key, header, numeric). The user cell shows the username, its badges (admin, disabled,
# locked) and the display name under it. Their sort keys (display_name, admin, disabled) still
# work in the URL; the filters above the table are the quicker way to those people.
SORT_COLUMNS = (
    ("name", "User", False),
    ("email", "Email", False),
    ("created", "Created", False),
    ("last_login", "Last sign-in", False),
    ("sessions", "Sessions", True),
    ("orgs", "Orgs", True),
    ("projects", "Projects", True),
    ("plan", "Plan", False),
)
FILTERS = (
    ("", "All"),
    ("admins", "Administrators"),
    ("disabled", "Disabled"),
    ("never", "Never signed in"),
    ("locked", "Locked"),
)


@bp.get("/users")
def users():
    q = CONTROL.sub("", request.args.get("q", "")).strip()[:100]
    sort = queries.parse_sort(
        request.args.get("sort"), queries.USER_SORTS, queries.DEFAULT_USER_SORT
    )
    shown = request.args.get("filter", "")
    shown = shown if shown in queries.USER_FILTERS else ""
    page = queries.user_page(q, sort, shown, *paging.requested())
    return render_template(
        "admin/users.html",
        page=page,
        q=q,
        sort=sort,
        shown=shown,
        filters=FILTERS,
        columns=SORT_COLUMNS,
        url_with=url_with,
        sizes=paging.PER_PAGE_CHOICES,
    )


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    if not form.validate_on_submit():
        return render_template(
            "admin/user_new.html", form=form
        ), 422 if form.is_submitted() else 200
    data, temporary = _new_user(form)

    def create() -> tuple[User, bool]:
        user = services.create_user(actor(), data)
        return user, verification.start(user)

    done = attempt(create)
    if not done.ok:
        done.flash(form)
        return render_template("admin/user_new.html", form=form), done.status
    user, sent = done.value
    flash(f"Created the account {user.username}.", "success")
    _sent_verification(user, sent)
    if temporary:
        return _shown_once(user, temporary)
    return redirect(url_for(".edit_user", user_id=user.id), 303)


def _new_user(form: NewUserForm) -> tuple[services.NewUser, str | None]:
    """The account to create, and the password generated for it when none was typed: shown
    once on the next page, and to be changed at the first sign-in."""
    temporary = None if form.password.data else passwords.temporary_password()
    data = services.NewUser(
        username=form.username.data,
        display_name=form.display_name.data,
        email=form.email.data,
        password=form.password.data or temporary or "",
        is_admin=form.is_admin.data,
        must_change_password=form.must_change_password.data or temporary is not None,
    )
    return data, temporary


def _shown_once(user: User, temporary: str):
    """The user's page with a password that exists nowhere else: never cached, never referred."""
    g.no_store = True
    body, status = _edit_page(user, temporary=temporary)
    return body, status, {"Referrer-Policy": "no-referrer"}


def _edit_page(user: User, status: int = 200, *, form=None, delete_form=None, error=None, **kw):
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=form or EditUserForm(user, formdata=None),
        delete_form=delete_form or DeleteUserForm(formdata=None),
        error=error,
        owned=queries.owned_organizations(user),
        is_self=user.id == actor().id,
        **kw,
    ), status


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = queries.user_or_404(user_id)
    form = EditUserForm(user)
    if not form.validate_on_submit():
        return _edit_page(user, 422 if form.is_submitted() else 200, form=form)
    old_address = user.email_key

    def save() -> tuple[list[str], bool]:
        changed = services.update_user(
            actor(),
            user,
            services.UserChanges(
                display_name=form.display_name.data,
                email=form.email.data,
                is_admin=form.is_admin.data,
                password=form.password.data or None,
                must_change_password=form.must_change_password.data,
                revoke_sessions=form.revoke_sessions.data,
            ),
            keep=auth_web.current_session(),
        )
        return changed, user.email_key != old_address and verification.start(user)

    done = attempt(save)
    if not done.ok:
        user = queries.user_or_404(user_id)
        return _edit_page(user, done.status, form=form, error=done.show_on(form))
    changed, sent = done.value
    flash(f"Saved {user.username}." if changed else "Nothing changed.", "success")
    _sent_verification(user, sent)
    return redirect(url_for(".edit_user", user_id=user_id), 303)


def _sent_verification(user: User, sent: bool) -> None:
    if sent:
        flash(f"A verification link went to {user.email}.", "info")


def _button(user_id: int, action, message: str):
    """One button on the user's page: redirect with a flash, or the page with the refusal."""
    user = queries.user_or_404(user_id)
    done = attempt(action, actor(), user)
    if not done.ok:
        return _edit_page(queries.user_or_404(user_id), done.status, error=done.message)
    flash(message.format(name=user.username), "success")
    return redirect(back_to(url_for(".edit_user", user_id=user_id)), 303)


@bp.post("/users/<int:user_id>/temporary-password")
def set_temporary_password(user_id: int):
    done = attempt(services.set_temporary_password, actor(), queries.user_or_404(user_id))
    user = queries.user_or_404(user_id)
    if not done.ok:
        return _edit_page(user, done.status, error=done.message)
    flash(
        f"Set a temporary password for {user.username} and signed out all their sessions.",
        "success",
    )
    return _shown_once(user, done.value)


@bp.post("/users/<int:user_id>/disable")
def disable_user(user_id: int):
    return _button(user_id, services.disable, "Disabled {name} and signed out all their sessions.")


@bp.post("/users/<int:user_id>/enable")
def enable_user(user_id: int):
    return _button(user_id, services.enable, "Enabled {name}.")


@bp.post("/users/<int:user_id>/unlock")
def unlock_user(user_id: int):
    return _button(
        user_id,
        services.unlock,
        "Unlocked {name}: sign-in failures cleared and question recovery reopened.",
    )


@bp.post("/users/<int:user_id>/reset-factors")
def reset_factors(user_id: int):
    return _button(
        user_id,
        factors.reset,
        "Removed the second factors of {name} and signed out all their sessions.",
    )


@bp.post("/users/<int:user_id>/verify-email")
def verify_user_email(user_id: int):
    return _button(
        user_id, verification.mark_verified, "Marked the email address of {name} verified."
    )


@bp.post("/users/<int:user_id>/sessions/revoke")
def revoke_user_sessions(user_id: int):
    def revoke(admin, user):
        services.revoke_sessions(admin, user, keep=auth_web.current_session())

    return _button(user_id, revoke, "Signed out the sessions of {name}.")


@bp.post("/users/<int:user_id>/delete")
def delete_user(user_id: int):
    user = queries.user_or_404(user_id)
    form = DeleteUserForm()
    if not form.validate_on_submit():
        return _edit_page(user, 422, delete_form=form)
    name = user.username
    done = attempt(services.delete_user, actor(), user, form.confirm_username.data)
    if not done.ok:
        user = queries.user_or_404(user_id)
        return _edit_page(user, done.status, delete_form=form, error=done.show_on(form))
    flash(f"Deleted the account {name}.", "success")
    return redirect(url_for(".users"), 303)
