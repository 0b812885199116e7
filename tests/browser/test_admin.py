"""An administrator at work in headless Chromium: create, edit, revoke, export."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.factories import Factory

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "granite orchard whistles twice"
USER_PASSWORD = "copper meadow under blue skies"


def sign_in(page, base: str, name: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#login", name)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}/")


def test_admin_creates_edits_revokes_and_exports(page, browser, live_server):
    base = live_server.url
    with live_server.app.app_context():
        Factory(live_server.app).user(username="root", password=ADMIN_PASSWORD, is_admin=True)
    sign_in(page, base, "root", ADMIN_PASSWORD)
    page.click("nav >> text=Admin")
    page.wait_for_url(f"{base}/admin/")
    page.click(".admin-nav >> text=Users")
    page.click("text=New user")

    page.fill("#username", "grace")
    page.fill("#display_name", "Grace <Hopper>")
    page.fill("#email", "grace@example.com")
    page.fill("#password", USER_PASSWORD)
    page.uncheck("#must_change_password")
    page.click("button:has-text('Create the account')")
    page.wait_for_url(re.compile(r"/admin/users/\d+/edit$"))
    assert "Created the account grace" in page.content()
    edit_url = page.url

    page.fill("#display_name", "Grace Hopper")
    page.click("button:has-text('Save')")
    page.wait_for_url(edit_url)
    assert "Saved grace" in page.content()
    page.goto(f"{base}/admin/users?q=hopper")
    assert page.locator("tbody tr").count() == 1
    assert "Grace Hopper" in page.inner_text("tbody")

    # grace signs in elsewhere; the admin ends that session; her next request is signed out
    other = browser.new_context()
    try:
        grace = other.new_page()
        grace.goto(f"{base}/login")
        grace.fill("#login", "grace")
        grace.fill("#password", USER_PASSWORD)
        grace.click("button:has-text('Sign in')")
        # an account an admin made has no security question yet: that page comes first
        grace.wait_for_url(f"{base}/account/security-question")
        user_id = re.search(r"/admin/users/(\d+)/edit", edit_url).group(1)
        page.goto(f"{base}/admin/sessions?user={user_id}")
        assert page.locator("tbody tr").count() == 1
        page.click("tbody >> button:has-text('Revoke')")
        page.wait_for_url(f"{base}/admin/sessions?user={user_id}")
        assert "Signed out a session of grace" in page.content()
        grace.goto(f"{base}/")
        assert "/login" in grace.url
    finally:
        other.close()

    page.goto(f"{base}/admin/stats")
    assert page.locator("svg polyline").count() == 4
    with page.expect_download() as download_info:
        page.click("text=Download as TSV")
    path = download_info.value.path()
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.reader(io.StringIO(handle.read()), delimiter="\t"))
    assert rows[0][:3] == ["Date", "Sign-ups", "Sign-ins"] and len(rows) == 31
    assert int(rows[-1][2]) >= 2  # today: root and grace signed in


# --- the console at laptop and phone width ---------------------------------------------------

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
LONG = "x" * 100  # a name with no place to break
WIDTHS = (1280, 390)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin"


def _console_world(app) -> int:
    """Accounts of every kind, sessions from real browsers and a varied audit log; returns the id
    of the account whose page is shown."""
    from sqlalchemy import insert

    from app.extensions import db, utcnow
    from app.models import AuditEvent, User, UserSession

    factory = Factory(app)
    now = utcnow()
    with app.app_context():
        root = factory.user(username="root", password=ADMIN_PASSWORD, is_admin=True)
        alice = factory.user(username="alice", display_name=LONG, email=f"{'a' * 60}@example.com")
        bob = factory.user(username="bob", is_disabled=True, last_login_at=now)
        factory.user(username="carol", failed_logins=100, last_login_at=now)
        factory.user(username=LONG[:50])
        org = factory.org(alice, "acme", name=("Acme " + LONG)[:100], members={bob: "worker"})
        for n in range(60):
            factory_user = User(
                username=f"member{n:02d}",
                display_name=f"Member {n}",
                password_hash="x",
                created_at=now - timedelta(days=n),
                last_login_at=now - timedelta(hours=n) if n % 3 else None,
            )
            db.session.add(factory_user)
        db.session.flush()
        db.session.execute(
            insert(UserSession),
            [
                {
                    "token_hash": f"{n:064d}",
                    "user_id": alice.id if n % 2 else root.id,
                    "created_at": now - timedelta(hours=n),
                    "last_seen_at": now - timedelta(minutes=n),
                    "expires_at": now + timedelta(hours=4),
                    "ip": "2001:db8:85a3:0:0:8a2e:370:7334" if n % 2 else "198.51.100.7",
                    "user_agent": IPHONE if n % 2 else FIREFOX,
                }
                for n in range(6)
            ],
        )
        for user in (alice, root):  # each has 3 of the 6 sessions
            db.session.execute(
                User.__table__.update()
                .where(User.id == user.id)
                .values(open_sessions=User.open_sessions + 3)
            )
        events = [
            ("login.ok", alice, alice, None, None),
            ("login.failed", None, None, "carol", "wrong password"),
            ("admin.user_disabled", root, bob, None, "sessions ended: 2"),
            ("settings.changed", root, None, None, "site_name: Gatehouse -> Lab Accounts"),
            ("invitation.created", alice, None, "dora@example.org", "worker"),
            ("org.role_changed", alice, bob, None, "worker -> supervisor"),
            ("session.revoked", root, alice, None, "all sessions: 3"),
            ("some.future_event", root, None, None, LONG),
        ]
        db.session.execute(
            insert(AuditEvent),
            [
                {
                    "created_at": now - timedelta(minutes=i),
                    "day": now.date(),
                    "action": action,
                    "actor_id": actor.id if actor else None,
                    "actor_name": actor.username if actor else None,
                    "target_user_id": target.id if target else None,
                    "target": target.username if target else name,
                    "organization_id": org.id if action.startswith(("org.", "inv")) else None,
                    "ip": "198.51.100.7",
                    "user_agent": FIREFOX,
                    "detail": detail,
                }
                for i, (action, actor, target, name, detail) in enumerate(events)
            ],
        )
        db.session.commit()
        return alice.id


def test_console_fits_a_laptop_and_a_phone(page, live_server):
    base, app = live_server.url, live_server.app
    alice_id = _console_world(app)
    sign_in(page, base, "root", ADMIN_PASSWORD)
    pages = {
        "overview": "/admin/",
        "users": "/admin/users",
        "users-filtered": "/admin/users?filter=never&sort=-last_login&per_page=25",
        "user": f"/admin/users/{alice_id}/edit",
        "new-user": "/admin/users/new",
        "sessions": "/admin/sessions",
        "audit": "/admin/audit",
        "stats": "/admin/stats",
        "settings": "/admin/settings",
        "orgs": "/admin/orgs",
        "plan": "/admin/plans?org=acme",
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            assert page.goto(base + path).status == 200, path
            # The console never widens the page: wide tables scroll inside their own box.
            overflow = page.evaluate(
                "() => { const m = document.querySelector('main');"
                " return m.scrollWidth - m.clientWidth; }"
            )
            assert overflow <= 0, f"{path} at {width} px is {overflow} px too wide"
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    # The navigation is still one tap away on a phone.
    page.goto(base + "/admin/users")
    page.click(".admin-nav >> text=Settings")
    page.wait_for_url(f"{base}/admin/settings")
    # A temporary password from the danger zone, after its confirmation, shown once to copy.
    page.goto(f"{base}/admin/users?filter=locked")
    page.click("tbody >> text=carol")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(".danger-zone >> button:has-text('Set a temporary password')")
    page.wait_for_selector("#temp-password")
    temporary = page.inner_text("#temp-password")
    assert re.fullmatch(r"([a-km-np-z2-9]{5}-){5}[a-km-np-z2-9]{5}", temporary)
    assert page.locator("button.copy[data-copy='#temp-password']").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "temporary-password-390.png"), full_page=True)
