"""Every /admin route, found by walking app.url_map: 404 for non-admins, sign-in for anonymous."""

from __future__ import annotations

import re

import pytest


def admin_routes(app) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        url = re.sub(r"<(?:\w+:)?(\w+)>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_the_walk_finds_the_panel(app):
    routes = admin_routes(app)
    assert ("GET", "/admin/users") in routes and ("POST", "/admin/users/1/delete") in routes
    assert len(routes) >= 17


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_everyone_but_admins_is_kept_out(app, client, admin, make_user, login_as, who):
    if who == "member":
        login_as(make_user(username="nosy"))
    token = client.csrf_token("/login" if who == "anonymous" else "/account/sessions")
    for method, url in admin_routes(app):
        data = {"csrf_token": token} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        if who == "anonymous":
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/login"), (method, url)
        else:
            assert response.status_code == 404, (method, url)
    from app.extensions import db
    from app.models import User

    db.session.expire_all()
    assert (
        db.session.get(User, admin.id) is not None
        and not db.session.get(User, admin.id).is_disabled
    )


def test_admins_get_in(admin_client):
    assert admin_client.get("/admin/").status_code == 200
    assert "Audit log" in admin_client.get("/admin/").get_data(as_text=True)
