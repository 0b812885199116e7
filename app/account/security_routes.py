"""TEMPORARY stand-in, on the passkeys branch only, for /account/security, which is written in
the main worktree at the same time: at the merge take that file (and its template) instead of
this one. It offers what passkey_routes.py relies on: the endpoint `account.security` and
`_page(status, codes=…)`, showing `passkey_list` through account/_passkeys.html."""

from __future__ import annotations

from flask import g, render_template
from flask_login import current_user, login_required

from app.account import bp
from app.auth import factors


def _page(status: int = 200, *, codes: list[str] | None = None, **forms):
    user = current_user._get_current_object()
    if codes:
        g.no_store = True
    page = render_template(
        "account/security.html", codes=codes, passkey_list=factors.passkeys_of(user)
    )
    return page, status


@bp.get("/security")
@login_required
def security():
    return _page()
