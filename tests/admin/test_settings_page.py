"""The settings page: grouped sections, and for each value what it does and its default."""

from __future__ import annotations

import re

from app import settings


def test_every_setting_says_what_it_does_and_its_default(admin_client):
    html = admin_client.get("/admin/settings").get_data(as_text=True)
    for key, d in settings.DEFINITIONS.items():
        assert d.help, f"{key} has no explanation"
        hint = re.search(rf'<p class="setting-hint" id="{key}-hint">(.*?)</p>', html, re.S)
        assert hint, key
        text = re.sub(r"<[^>]+>", "", hint.group(1))
        default = ("on" if d.default else "off") if isinstance(d.default, bool) else d.default
        default = "none" if default == "" else default
        assert f"Default: {default}." in text, key
        assert f'aria-describedby="{key}-hint"' in html, key
    assert "Default: 60." in html and "Default: Gatehouse." in html and "Default: on." in html


def test_settings_are_grouped_in_sections_in_order(admin_client):
    html = admin_client.get("/admin/settings").get_data(as_text=True)
    groups = re.findall(r'<h2 id="group-[a-z]+-title">([^<]+)</h2>', html)
    assert groups == list(dict.fromkeys(d.group for d in settings.DEFINITIONS.values()))
    for group in groups:
        assert f'href="#group-{group.lower()}"' in html
    limits = html.split('id="group-limits"')[1].split("</section>")[0]
    assert 'name="login_ip_per_minute"' in limits and 'name="site_name"' not in limits


def test_an_error_is_tied_to_its_field(admin_client):
    response = admin_client.submit("/admin/settings", {"session_idle_minutes": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-describedby="session_idle_minutes-hint session_idle_minutes-error"' in html
    assert 'id="session_idle_minutes-error">' in html
