"""The page shell in headless Chromium: one-line header at 1280 px, the phone menu at 390 px,
the workspace switcher, the invitations badge and the copy button."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import render_template_string

from app.extensions import db
from app.models import Invitation, Role
from tests.factories import PASSWORD, Factory

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "shell"
# 100 characters (the column's limit, which PostgreSQL enforces), no space to break at
LONG = ("Département-de-physique-nucléaire-et-des-hautes-énergies-" * 2)[:100]
SIGNED_IN_PAGES = ["/", "/projects", "/orgs", "/invitations", "/billing", "/account", "/admin/"]


def _world(app) -> None:
    factory = Factory(app)
    with app.app_context():
        marie = factory.user(
            "marie", display_name="Marie Skłodowska-Curie", email="marie@example.com", is_admin=True
        )
        pierre = factory.user("pierre", display_name="Pierre")
        factory.org(marie, slug="curie-lab", name="Curie Laboratory")
        factory.org(marie, slug="long-one", name=LONG)
        for slug in ("sorbonne", "radium"):
            org = factory.org(pierre, slug=slug, name=f"Institut {slug.title()}")
            invitation, _ = Invitation.issue(org, marie.email, Role.WORKER, pierre, 7)
            db.session.add(invitation)
        db.session.commit()


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#login", "marie")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}/")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _header_overflow(page) -> int:
    """How far the header reaches past the viewport's right edge, in CSS pixels."""
    return page.evaluate(
        "() => { const h = document.querySelector('.site-header');"
        " return Math.max(h.scrollWidth, Math.ceil(h.getBoundingClientRect().right))"
        " - document.documentElement.clientWidth; }"
    )


def test_header_is_one_line_at_1280(page, live_server):
    base = live_server.url
    _world(live_server.app)
    page.set_viewport_size({"width": 1280, "height": 800})
    _sign_in(page, base)
    for path in SIGNED_IN_PAGES:
        page.goto(base + path)
        nav = page.locator(".site-nav").bounding_box()
        assert nav["height"] < 64, (path, nav)
        middles = [
            (box["y"] + box["height"] / 2)
            for selector in (".brand", ".nav-links a >> nth=-1", "#current-workspace", ".user-name")
            if (box := page.locator(selector).first.bounding_box())
        ]
        assert len(middles) == 4 and max(middles) - min(middles) < 8, (path, middles)
        assert _header_overflow(page) <= 0, path
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280 or path != "/", path
    page.goto(base + "/")
    badge = page.locator(".nav-links a[href='/invitations'] .badge")
    assert badge.inner_text().strip().startswith("2")
    # The long name is cut in the header, whole on hover and in the list.
    page.click(".workspace-switcher summary")
    option = page.locator(".workspace-switcher button[value='long-one']")
    assert option.get_attribute("title") == LONG
    _shot(page, "1280-switcher-open")
    option.click()
    page.wait_for_url(f"{base}/")
    assert page.text_content("#current-workspace") == LONG
    assert (
        page.locator(".workspace-switcher summary").get_attribute("title") == f"Workspace: {LONG}"
    )
    assert page.locator(".site-nav").bounding_box()["height"] < 64
    page.click(".user-menu summary")
    assert page.locator(".user-menu").get_by_text("1 active session").is_visible()
    _shot(page, "1280-user-menu-open")
    page.click(".user-menu button:has-text('Sign out')")
    page.wait_for_url(f"{base}/login")


def test_phone_menu_switches_workspace_and_signs_out(page, live_server):
    base = live_server.url
    _world(live_server.app)
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, base)
    for path in SIGNED_IN_PAGES:
        page.goto(base + path)
        assert _header_overflow(page) <= 0, path
        assert not page.locator(".nav-links").is_visible(), "collapsed until asked"
    page.goto(base + "/")
    _shot(page, "390-closed")
    page.click("label.menu-button")
    assert page.locator(".nav-links a:has-text('Projects')").is_visible()
    assert page.locator(".nav-links a[href='/invitations'] .badge").is_visible()
    assert _header_overflow(page) <= 0
    _shot(page, "390-open")
    page.locator(".site-menu button[value='curie-lab']").click()
    page.wait_for_url(f"{base}/")
    assert page.text_content("#current-workspace") == "Curie Laboratory"
    page.click("label.menu-button")
    page.click(".site-menu >> text=Sign out")
    page.wait_for_url(f"{base}/login")
    assert "You are signed out" in page.content()


def test_copy_button_copies_and_says_so(page, live_server):
    from playwright.sync_api import expect

    base = live_server.url
    app = live_server.app
    app.add_url_rule(
        "/test-copy",
        "test_copy",
        lambda: render_template_string(
            '{% extends "base.html" %}{% block title %}Copy{% endblock %}{% block content %}'
            '<h1>Copy</h1><code id="secret">Xk7-pq2-Lm9</code> '
            '<button type="button" class="copy" data-copy="#secret">Copy</button>'
            '<input id="link" value="https://example.com/invitations/abc" readonly> '
            '<button type="button" class="copy" data-copy="#link">Copy link</button>'
            '<button type="button" class="copy" data-copy-text="plain words" hidden>'
            "Copy words</button>"
            "{% endblock %}"
        ),
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.goto(f"{base}/test-copy")
    for n, (label, expected) in enumerate(
        [
            ("Copy", "Xk7-pq2-Lm9"),
            ("Copy link", "https://example.com/invitations/abc"),
            ("Copy words", "plain words"),
        ]
    ):
        button = page.locator("button.copy").nth(n)
        assert button.inner_text() == label
        button.click()
        page.wait_for_function("() => document.querySelector('#copy-status')?.textContent")
        assert page.evaluate("navigator.clipboard.readText()") == expected
        assert button.inner_text() == "Copied"
        assert page.get_attribute("#copy-status", "aria-live") == "polite"
        expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard")
        # The label comes back after a moment, ready for another copy.
        page.wait_for_function(
            f"() => document.querySelectorAll('button.copy')[{n}].textContent === {label!r}"
        )


def test_menu_switcher_and_sign_out_work_without_script(page, live_server):
    base = live_server.url
    _world(live_server.app)
    context = page.context.browser.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    try:
        bare = context.new_page()
        bare.set_default_timeout(10_000)
        _sign_in(bare, base)
        bare.click("label.menu-button")
        bare.locator(".site-menu button[value='curie-lab']").click()
        bare.wait_for_url(f"{base}/")
        assert bare.text_content("#current-workspace") == "Curie Laboratory"
        bare.click("label.menu-button")
        bare.click(".site-menu >> text=Sign out")
        bare.wait_for_url(f"{base}/login")
    finally:
        context.close()


def test_wide_tables_scroll_in_their_own_box(page, live_server):
    header = "".join(f"<th>Column {n}</th>" for n in range(9)) + '<th class="num">Sessions</th>'
    cells = "".join(f"<td>value {n} of the row</td>" for n in range(8))
    row = f'<tr><td class="wrap">{LONG}</td>{cells}<td class="num">1,234</td></tr>'
    live_server.app.add_url_rule(
        "/test-table",
        "test_table",
        lambda: render_template_string(
            '{% extends "base.html" %}{% block title %}Table{% endblock %}{% block content %}'
            '<h1>Table</h1><div class="table-scroll"><table><thead><tr>'
            + header
            + "</tr></thead><tbody>"
            + row
            + "</tbody></table></div>{% endblock %}"
        ),
    )
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_server.url}/test-table")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        nowrap = page.evaluate(
            "[...document.querySelectorAll('td')]"
            ".filter(td => getComputedStyle(td).whiteSpace === 'nowrap').length"
        )
        assert nowrap == 0
        long_cell = page.locator("td.wrap").bounding_box()
        assert long_cell["width"] < 400, "the unbroken value wraps instead of widening its column"
        assert page.evaluate("getComputedStyle(document.querySelector('td.num')).textAlign") in (
            "right",
            "end",
        )
    _shot(page, "390-table")
