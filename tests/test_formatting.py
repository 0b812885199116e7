"""How pages word devices, times and counts (app/formatting.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.formatting import ago, counted, device

NOW = datetime(2026, 11, 27, 12, 0, 0)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def test_user_agents_read_as_browser_and_system():
    assert device(FIREFOX) == "Firefox 120 on Linux"
    assert device(SAFARI_IPHONE) == "Mobile Safari 17 on iOS"
    assert device("curl/8.1.2") == "curl 8"
    assert device("") == device(None) == "Unknown device"
    assert device("x" * 5000) == "Unknown device"


def test_times_read_relative_to_now():
    assert ago(None) == "never"
    assert ago(NOW - timedelta(seconds=20), NOW) == "just now"
    assert ago(NOW - timedelta(minutes=1), NOW) == "1 minute ago"
    assert ago(NOW - timedelta(hours=5, minutes=59), NOW) == "5 hours ago"
    assert ago(NOW - timedelta(days=400), NOW) == "1 year ago"
    assert ago(NOW + timedelta(days=2, hours=1), NOW) == "in 2 days"


def test_counts_agree_with_their_noun():
    assert counted(1, "active session") == "1 active session"
    assert counted(0, "session") == "0 sessions"
    assert counted(12345, "person", "people") == "12,345 people"
