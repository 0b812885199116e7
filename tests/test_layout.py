"""The page shell (templates/base.html): navigation, invitations badge, user menu, workspace
switcher, help texts of the form macro, the favicon — and what the layout costs in queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import render_template_string
from flask_login import login_required

from app.extensions import db, utcnow
from app.models import Invitation, Role

SHELL_ONLY = '{% extends "base.html" %}{% block title %}Shell{% endblock %}'


@pytest.fixture
def shell_page(app):
    """A signed-in page with nothing but the layout: what every page pays for the shell."""

    @login_required
    def shell():
        return render_template_string(SHELL_ONLY)

    app.add_url_rule("/test-shell", "test_shell", shell)
    return "/test-shell"


def invite(org, email: str, inviter, **changes) -> Invitation:
    invitation, _ = Invitation.issue(org, email, Role.WORKER, inviter, 7)
    for key, value in changes.items():
        setattr(invitation, key, value)
    db.session.add(invitation)
    db.session.commit()
    return invitation


def badge(html: str) -> str | None:
    found = re.search(
        r'href="/invitations"[^>]*>Invitations\s*<span class="badge[^>]*>(\d+)<', html
    )
    return found.group(1) if found else None


def test_the_badge_counts_only_live_invitations_to_my_address(
    client, make_user, make_org, login_as
):
    alice, bob = make_user("alice"), make_user("bob", email="Bob@Example.com")
    login_as(bob)
    assert badge(client.get("/").get_data(as_text=True)) is None, "no badge without invitations"
    invite(make_org(owner=alice), "bob@example.com", alice)
    invite(make_org(owner=alice), "BOB@example.COM", alice)
    invite(make_org(owner=alice), "bob@example.com", alice, accepted_at=utcnow())
    invite(make_org(owner=alice), "bob@example.com", alice, declined_at=utcnow())
    invite(make_org(owner=alice), "bob@example.com", alice, expires_at=utcnow() - timedelta(1))
    invite(make_org(owner=alice), "someone.else@example.com", alice)
    html = client.get("/projects").get_data(as_text=True)
    assert badge(html) == "2"
    assert 'title="2 pending invitations"' in html
    login_as(alice)
    assert badge(client.get("/").get_data(as_text=True)) is None


def test_the_layout_is_one_statement_badge_included(
    client, shell_page, make_user, make_org, login_as, count_queries
):
    alice, bob = make_user("alice"), make_user("bob")
    login_as(bob)
    make_org(owner=bob, slug="bobs-lab")

    def statements() -> int:
        client.get(shell_page)  # a first visit may touch last_seen
        with count_queries() as count:
            page = client.get(shell_page)
            assert page.status_code == 200
        return count()

    assert statements() == 1
    for _ in range(3):
        invite(make_org(owner=alice), bob.email, alice)
    assert statements() == 1
    assert badge(client.get(shell_page).get_data(as_text=True)) == "3"


@pytest.mark.parametrize(
    ("path", "listing"),
    # The dashboard lists pending invitations in its notice: one query, whatever their number.
    [("/", 1), ("/admin/", 0), ("/projects", 0), ("/orgs", 0), ("/invitations", 0)],
)
def test_pending_invitations_add_no_query_to_a_page(
    client, admin, make_user, make_org, login_as, count_queries, path, listing
):
    alice = make_user("alice")
    login_as(admin)

    def statements() -> int:
        client.get(path)
        with count_queries() as count:
            assert client.get(path).status_code == 200
        return count()

    without = statements()
    invite(make_org(owner=alice), admin.email, alice)
    one = statements()
    for _ in range(2):
        invite(make_org(owner=alice), admin.email, alice)
    assert one == statements() == without + listing
    assert badge(client.get(path).get_data(as_text=True)) == "3"


def test_the_user_menu_counts_active_sessions_in_words(client, make_user, login_as, factory):
    alice = make_user("alice", display_name="Alice Liddell")
    login_as(alice)
    html = client.get("/").get_data(as_text=True)
    assert "1 active session<" in html and "session(s)" not in html
    factory.session_for(alice)
    assert "2 active sessions<" in client.get("/").get_data(as_text=True)


def test_the_header_marks_the_current_section(client, make_user, login_as):
    login_as(make_user("alice"))
    html = client.get("/projects").get_data(as_text=True)
    assert '<a href="/projects" aria-current="page">Projects' in html
    assert '<a href="/" aria-current' not in html


def test_the_switcher_lists_full_names_and_switches_in_one_post(
    client, make_user, make_org, login_as
):
    alice = make_user("alice")
    long_name = "Laboratoire" * 9
    make_org(owner=alice, slug="labo", name=long_name)
    login_as(alice)
    html = client.get("/").get_data(as_text=True)
    assert f'value="labo" class="menu-item" title="{long_name}"' in html
    assert f">{long_name} <small" in html, "the whole name, cut only by CSS"
    response = client.submit("/workspace", {"workspace": "labo"}, page="/")
    assert response.status_code == 303
    assert f'id="current-workspace">{long_name}<' in client.get("/").get_data(as_text=True)


def test_switching_from_the_projects_list_stays_there(client, make_user, make_org, login_as):
    alice = make_user("alice")
    make_org(owner=alice, slug="acme")
    login_as(alice)
    assert 'name="next" value="/projects"' in client.get("/projects").get_data(as_text=True)
    response = client.submit("/workspace", {"workspace": "acme", "next": "/projects"}, page="/")
    assert response.headers["Location"].endswith("/projects")


def test_signed_out_visitors_get_sign_in_and_sign_up(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/login"' in html and 'href="/signup"' in html
    assert "site-menu-toggle" not in html and "/logout" not in html


def test_favicon(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.headers["Location"] == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_shell_links_follow_the_mount_point(client):
    """The layout's URLs are built once per script root: an app served under a prefix (a proxy
    sending X-Forwarded-Prefix) links there, and the root mount keeps its own links."""
    mounted = client.get("/login", base_url="http://localhost/gate").get_data(as_text=True)
    assert 'href="/gate/static/css/app.css"' in mounted
    assert '<a href="/gate/signup" class="nav-cta">' in mounted
    plain = client.get("/login").get_data(as_text=True)
    assert 'href="/static/css/app.css"' in plain and '<a href="/signup" class="nav-cta">' in plain


def test_help_text_and_errors_belong_to_their_own_field(app):
    """Each hint follows its own input and is named by it; an error comes first."""
    from flask_wtf import FlaskForm
    from wtforms import BooleanField, StringField
    from wtforms.validators import DataRequired

    class Form(FlaskForm):
        class Meta:
            csrf = False

        name = StringField("Name", [DataRequired()])
        city = StringField("City")
        agree = BooleanField("Agree")

    template = (
        '{% from "_macros/forms.html" import field %}'
        '{{ field(form.name, "Your full name.") }}{{ field(form.city) }}'
        '{{ field(form.agree, "Tick to agree.") }}'
    )
    with app.test_request_context("/", method="POST", data={"city": "Paris"}):
        form = Form()
        form.validate()
        html = re.sub(r"\s+", " ", render_template_string(template, form=form))
    name_input = re.search(r"<input[^>]*id=\"name\"[^>]*>", html).group(0)
    assert 'aria-describedby="name-error name-hint"' in name_input
    assert 'aria-invalid="true"' in name_input
    city_input = re.search(r"<input[^>]*id=\"city\"[^>]*>", html).group(0)
    assert "aria-describedby" not in city_input and "aria-invalid" not in city_input
    # The hint sits after the name's input and error, before the next field's label.
    order = [
        html.index(s) for s in ('id="name"', 'id="name-error"', 'id="name-hint"', 'for="city"')
    ]
    assert order == sorted(order)
    agree_input = re.search(r"<input[^>]*id=\"agree\"[^>]*>", html).group(0)
    assert 'aria-describedby="agree-hint"' in agree_input
    assert html.index('id="agree-hint"') > html.index('id="agree"')
