"""The organization page: what each of its sections shows, gathered in a fixed number of queries.

Sections: overview, members, invitations (inviters only), projects (those the viewer may see),
settings and the danger zone. The view passes flags from the permission matrix; the template
never decides a rule itself.
"""

from __future__ import annotations

from flask import render_template, session
from flask_login import current_user

from app.auth.web import current_session
from app.models import Organization, Role
from app.orgs import queries, workspace
from app.orgs.forms import ConfirmSlugForm, InviteForm, TransferForm
from app.permissions import ASSIGNABLE_BY, Action, allowed

# The link of an invitation just made, kept in the signed session between the POST and the
# page it redirects to, so that it is shown once as a link with a copy button.
NEW_LINK = "new_invitation_link"
RECENT_PROJECTS = 10


def keep_new_link(org: Organization, email: str, url: str) -> None:
    session[NEW_LINK] = {"org": org.id, "email": email, "url": url}


def _take_new_link(org: Organization) -> dict | None:
    link = session.get(NEW_LINK)
    if not isinstance(link, dict) or link.get("org") != org.id:
        return None
    session.pop(NEW_LINK)
    return link


def _forms(role: Role | None, members, forms: dict) -> dict:
    invite_form = forms.get("invite_form") or InviteForm()
    invite_form.role.choices = [
        c for c in invite_form.role.choices if allowed(role, Action.INVITE, Role(c[0]))
    ]
    transfer_form = forms.get("transfer_form") or TransferForm()
    transfer_form.new_owner.choices = [
        (str(u.id), f"{u.display_name} ({u.username})") for u, r in members if r is Role.MAINTAINER
    ]
    delete_form = forms.get("delete_form") or ConfirmSlugForm()
    # Both forms have a confirm_slug field (SPEC): distinct ids keep each label on its input.
    transfer_form.confirm_slug.id = "transfer-confirm-slug"
    delete_form.confirm_slug.id = "delete-confirm-slug"
    return {"invite_form": invite_form, "transfer_form": transfer_form, "delete_form": delete_form}


def render(org: Organization, role: Role | None, status: int = 200, **forms):
    """The page, with `forms` (invite_form, transfer_form, delete_form) re-shown after an error
    and `role_error` = (user id, message) next to a member's role control."""
    from app.projects import queries as projects

    me = current_user._get_current_object()
    members = queries.members(org)
    can = {action.name: allowed(role, action) for action in Action}
    recent, project_total = projects.recent(me, org, role, RECENT_PROJECTS)
    here = workspace.current(me, current_session())
    return render_template(
        "orgs/show.html",
        org=org,
        role=role,
        me=me,
        members=members,
        can=can,
        invitations=(queries.pending_invitations(org) if can["INVITE"] else []),
        assignable=ASSIGNABLE_BY.get(role, frozenset()) if role else frozenset(),
        is_expired=queries.is_expired,
        projects=recent,
        project_total=project_total,
        is_current=here is not None and here.org.id == org.id,
        new_link=_take_new_link(org),
        role_error=forms.get("role_error"),
        **_forms(role, members, forms),
    ), status
