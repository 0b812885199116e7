"""Behind TRUSTED_PROXIES the client's address comes from X-Forwarded-For, which sessions, the
audit log and the rate limits all store or key on: it is an IP address of at most 45
characters, or the request is refused with 400 — never a 500 (PostgreSQL enforces
varchar(45)) and never a longer value stored (SQLite does not)."""

from __future__ import annotations

import ipaddress

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, UserSession
from tests.factories import PASSWORD

LONGEST = "0000:0000:0000:0000:0000:ffff:255.255.255.255"


@pytest.fixture
def app_overrides() -> dict:
    return {"TRUSTED_PROXIES": 1}


def _sign_in(client, user, forwarded: str):
    return client.submit(
        "/login",
        {"login": user.username, "password": PASSWORD},
        headers={"X-Forwarded-For": forwarded},
    )


def _stored() -> tuple[list[str | None], list[str | None]]:
    db.session.expire_all()
    return (
        list(db.session.scalars(select(UserSession.ip))),
        list(db.session.scalars(select(AuditEvent.ip))),
    )


@pytest.mark.parametrize(
    "forwarded",
    ["1" * 300, "not an address", "192.0.2.1.7", "2001:db8::1::2", "<script>", "x" * 5000],
    ids=["300 digits", "words", "five parts", "two ::", "markup", "5000 letters"],
)
def test_a_forwarded_value_that_is_no_address_is_refused(client, make_user, forwarded):
    user = make_user()
    response = _sign_in(client, user, forwarded)
    assert response.status_code == 400
    assert "X-Forwarded-For" in response.get_data(as_text=True)
    assert client.get("/login", headers={"X-Forwarded-For": forwarded}).status_code == 400
    assert _stored() == ([], [])
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


@pytest.mark.parametrize(
    ("forwarded", "stored"),
    [
        ("fe80::1%" + "e" * 300, "fe80::1"),  # an interface zone means nothing to us
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("[2001:db8::2]:8443", "2001:db8::2"),
        ("198.51.100.7:5555", "198.51.100.7"),
        ("203.0.113.9, 198.51.100.8", "198.51.100.8"),  # the last hop is the trusted one
        (LONGEST, str(ipaddress.ip_address(LONGEST))),  # 45 characters, stored shorter
    ],
    ids=["long zone", "uncompressed", "bracketed with port", "v4 with port", "chain", "mapped"],
)
def test_a_forwarded_address_is_stored_short_and_normalised(client, make_user, forwarded, stored):
    user = make_user()
    response = _sign_in(client, user, forwarded)
    assert response.status_code == 303
    sessions, events = _stored()
    assert sessions == [stored] and events == [stored]
    assert all(len(ip) <= 45 for ip in sessions + events)
