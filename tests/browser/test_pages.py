"""Headless Chromium visits every page of the app once, as the first kind of person who can see
it (anonymous, plain member, organization owner, administrator). Pages come from app.url_map, so
new routes are visited without editing this file; path arguments are filled from rows made here.
The `page` fixture fails the test on any console error, page error or CSP violation; every page
visited is saved as test-artifacts/pages/<role>/<route>.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.extensions import db
from tests.factories import PASSWORD, Factory

pytestmark = pytest.mark.browser

PAGES = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"
ROLES = ("anonymous", "member", "owner", "admin")
NOT_PAGES = (".tsv", "/healthz")  # downloads and machine answers, not pages


def _world(app) -> tuple[dict, dict]:
    """Users for each role and the values of every path argument."""
    from app.models import Membership, Organization, Project, Role

    factory = Factory(app)
    with app.app_context():
        member = factory.user("member")
        owner = factory.user("owner")
        admin = factory.user("admin1", is_admin=True)
        other = factory.user("other")
        org = Organization(
            slug="acme",
            name="Acme <script>x</script>",
            owner_id=owner.id,
            description="An organization with <b>markup</b> in it",
        )
        db.session.add(org)
        db.session.flush()
        db.session.add_all(
            [
                Membership(organization_id=org.id, user_id=owner.id, role=Role.OWNER),
                Membership(organization_id=org.id, user_id=member.id, role=Role.WORKER),
                Membership(organization_id=org.id, user_id=other.id, role=Role.SUPERVISOR),
            ]
        )
        project = Project(
            name="Launch <i>site</i>",
            description="First project",
            organization_id=org.id,
            created_by_id=owner.id,
        )
        db.session.add(project)
        db.session.commit()
        other_session, _ = factory.session_for(other)
        args = {
            "slug": org.slug,
            "project_id": project.id,
            "user_id": other.id,
            "session_id": other_session.id,
            "invitation_id": 1,
            "token": "unknown-token",
        }
        try:
            from app.models import Invitation

            invitation, token = Invitation.issue(org, "newcomer@example.com", Role.WORKER, owner, 7)
            db.session.add(invitation)
            db.session.commit()
            args.update(invitation_id=invitation.id, token=token)
        except (AttributeError, TypeError):  # the invitations model may still be changing
            db.session.rollback()
        users = {"member": member.username, "owner": owner.username, "admin": admin.username}
    return users, args


def _pages(app, args: dict) -> list[tuple[str, str]]:
    """(rule, path) of every GET route, with its arguments filled in."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if (
            "GET" not in (rule.methods or ())
            or rule.endpoint == "static"
            or rule.rule.endswith(NOT_PAGES)
        ):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(args.get(m.group(1), 1)), rule.rule)
        found.append((rule.rule, path))
    return found


def _sign_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("form:has(input[name=password]) [type=submit]").click()
    assert "/login" not in page.url, f"{username} could not sign in"


def test_every_page_renders_for_someone_who_may_see_it(live_server, page):
    base, app = live_server.url, live_server.app
    users, args = _world(app)
    pending = _pages(app, args)
    assert len(pending) >= 10
    seen: dict[str, tuple[str, int]] = {}
    statuses: dict[str, dict[str, int]] = {}
    for role in ROLES:
        if role == "anonymous":
            page.context.clear_cookies()
        else:
            _sign_in(page, base, users[role])
        for rule, path in pending:
            if rule in seen:
                continue
            response = page.goto(base + path)
            status = response.status if response else 0
            statuses.setdefault(rule, {})[role] = status
            assert status < 500, f"{role} GET {path} answered {status}"
            redirected = page.url.split("?")[0].rstrip("/") != (base + path).rstrip("/")
            if status == 200 and not redirected:
                target = (
                    PAGES / role / (re.sub(r"[^A-Za-z0-9_.-]+", "_", rule).strip("_") or "root")
                )
                target.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{target}.png", full_page=True)
                seen[rule] = (role, status)
                # Names with markup are shown as text, never interpreted.
                assert page.locator("script:has-text('x')").count() == 0
                assert page.locator("main b, main i").count() == 0
    unseen = {rule: statuses.get(rule) for rule, _ in pending if rule not in seen}
    # A page nobody can open directly must be one that sends its visitor elsewhere on purpose
    # (e.g. a step of a flow started on another page), never an error.
    for rule, by_role in unseen.items():
        assert all(code in (200, 302, 303, 400, 404, 410) for code in by_role.values()), (
            rule,
            by_role,
        )
    print(
        f"\nvisited {len(seen)} pages: "
        + ", ".join(f"{r} as {v[0]}" for r, v in sorted(seen.items()))
    )
    if unseen:
        print(f"not shown directly to anyone: {unseen}")
