"""Personal access tokens (SPEC §9): shown once, stored as a hash, revoked by their owner."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app import tokens
from app.admin import services as admin_services
from app.extensions import db, utcnow
from app.models import ApiToken, AuditEvent
from tests.concurrency import at_once
from tests.factories import PASSWORD

SECRET = re.compile(r'<code class="secret" id="new-token">(gth_[A-Za-z0-9_-]+)</code>')
GOOD = {"name": "backup script", "expires_in_days": "30", "scopes": ["read:users", "read:orgs"]}


@pytest.fixture
def alice(make_user, login_as):
    user = make_user(username="alice")
    login_as(user)
    return user


def create(client, **changes):
    return client.submit("/account/tokens", {**GOOD, **changes})


def everything_stored() -> str:
    """Every row of the tables a token could leak into, as text."""
    rows = [*db.session.execute(text("SELECT * FROM api_tokens"))]
    rows += [*db.session.execute(text("SELECT * FROM audit_events"))]
    return repr(rows)


def test_creation_shows_the_token_once_and_keeps_only_its_hash(client, alice):
    response = create(client)
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    raw = SECRET.search(response.get_data(as_text=True)).group(1)
    assert raw.startswith("gth_") and len(raw) >= 4 + 43  # 256 bits, base64url
    db.session.expire_all()
    token = db.session.scalars(select(ApiToken)).one()
    assert token.user_id == alice.id and token.created_by_id == alice.id
    assert token.token_hash == tokens.digest(raw) and token.prefix == raw[:12]
    assert token.scope_list == ["read:users", "read:orgs"]
    assert timedelta(days=29, hours=23) < token.expires_at - utcnow() <= timedelta(days=30)
    assert raw not in everything_stored()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "token.created")).one()
    assert event.detail == "backup script" and event.target_user_id == alice.id
    again = client.get("/account/tokens").get_data(as_text=True)
    assert raw not in again and raw[:12] in again and "backup script" in again


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "x" * 101}, "name", "longer than 100"),
        ({"expires_in_days": ""}, "expires_in_days", "from 1 to 365"),
        ({"expires_in_days": "0"}, "expires_in_days", "from 1 to 365"),
        ({"expires_in_days": "366"}, "expires_in_days", "from 1 to 365"),
        ({"expires_in_days": "soon"}, "expires_in_days", "from 1 to 365"),
        ({"expires_in_days": "9" * 40}, "expires_in_days", "from 1 to 365"),
        ({"scopes": []}, "scopes", "Choose at least one scope."),
        ({"scopes": ["read:users", "delete:everything"]}, "scopes", "not a valid choice"),
        ({"scopes": ["admin"]}, "scopes", "not a valid choice"),
        ({"scopes": ["scim"]}, "scopes", "not a valid choice"),
    ],
)
def test_bad_input_is_refused_next_to_its_field(client, alice, changes, field, message):
    response = create(client, **changes)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert error and message in error.group(1)
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_the_service_refuses_admin_scopes_to_a_person(alice):
    with pytest.raises(Exception, match="scopes offered"):
        tokens.issue(alice, "x", 30, ["read:users", "admin"])
    assert tokens.scopes_for(alice) == ("read:users", "write:users", "read:orgs", "write:orgs")


def test_an_administrator_may_give_admin_and_scim(client, admin, login_as):
    login_as(admin)
    assert create(client, scopes=["admin", "scim"]).status_code == 200
    token = db.session.scalars(select(ApiToken)).one()
    assert token.scope_list == ["admin", "scim"] and token.user_id == admin.id


def test_revoke_own_token(client, alice):
    create(client)
    token = db.session.scalars(select(ApiToken)).one()
    response = client.submit(f"/account/tokens/{token.id}/revoke", page="/account/tokens")
    assert response.status_code == 303 and response.headers["Location"] == "/account/tokens"
    db.session.expire_all()
    assert token.revoked_at is not None
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "Revoked the token backup script." in page
    assert '<td class="wrap">backup script</td>' not in page and "You have no tokens." in page
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "token.revoked"))
    assert [e.detail for e in events] == ["backup script"]


def test_a_person_cannot_revoke_anothers_token(client, alice, make_user):
    bob = make_user(username="bob")
    token, _ = tokens.issue(bob, "bob's", 30, ["read:users"])
    db.session.commit()
    response = client.submit(f"/account/tokens/{token.id}/revoke", page="/account/tokens")
    assert response.status_code == 404
    db.session.expire_all()
    assert token.revoked_at is None
    assert client.submit("/account/tokens/999999/revoke", page="/account/tokens").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, make_user):
    for response in (
        client.get("/account/tokens"),
        client.submit("/account/tokens", GOOD, page="/login"),
        client.submit("/account/tokens/1/revoke", page="/login"),
    ):
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- authenticate (the future API's bearer check) --------------------------------------------


def issued(user, **fields) -> tuple[ApiToken, str]:
    token, raw = tokens.issue(user, "t", 30, ["read:users"])
    for key, value in fields.items():
        setattr(token, key, value)
    db.session.commit()
    return token, raw


def test_authenticate_accepts_a_live_token_and_records_its_use(alice):
    token, raw = issued(alice)
    assert tokens.authenticate(raw, "192.0.2.7") is token
    db.session.commit()
    db.session.expire_all()
    assert token.last_used_ip == "192.0.2.7" and token.last_used_at is not None
    first = token.last_used_at
    assert tokens.authenticate(raw, "192.0.2.8") is token  # within the minute: not rewritten
    db.session.commit()
    db.session.expire_all()
    assert token.last_used_at == first and token.last_used_ip == "192.0.2.7"


def test_authenticate_refuses_revoked_expired_unknown_and_a_disabled_owner(alice, admin):
    _, revoked = issued(alice, revoked_at=utcnow())
    _, expired = issued(alice, expires_at=utcnow() - timedelta(seconds=1))
    _, live = issued(alice)
    for raw in (revoked, expired, live[:-1] + "x", "", "Bearer " + live, live[4:]):
        assert tokens.authenticate(raw) is None
    assert tokens.authenticate(live) is not None
    alice.is_disabled = True
    db.session.commit()
    assert tokens.authenticate(live) is None


def test_disabling_a_user_revokes_their_tokens(alice, admin):
    token, raw = issued(alice)
    admin_services.disable(admin, alice)
    db.session.commit()
    alice.is_disabled = False  # enabling again does not bring the tokens back
    db.session.commit()
    db.session.expire_all()
    assert token.revoked_at is not None and tokens.authenticate(raw) is None


def test_tokens_go_with_the_account(alice, admin):
    issued(alice)
    admin_services.delete_user(admin, alice, "alice")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_two_simultaneous_revokes_write_one_event(app, alice, factory):
    token, _ = issued(alice)
    clients = [app.test_client(), app.test_client()]
    csrf = []
    for c in clients:
        factory.sign_in(c, alice)
        csrf.append(c.csrf_token("/account/tokens"))
    url = f"/account/tokens/{token.id}/revoke"
    responses = at_once(
        *(
            lambda c=c, t=t: c.post(url, data={"csrf_token": t})
            for c, t in zip(clients, csrf, strict=True)
        )
    )
    assert all(r.status_code < 500 for r in responses)
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "token.revoked"))
    assert len(list(events)) == 1
    assert token.revoked_at is not None


def live_tokens(user_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)
        )
    )


@pytest.mark.parametrize("revoke", [False, True])
def test_a_password_change_revokes_the_tokens_only_when_asked(client, alice, revoke):
    create(client)
    fields = {
        "current_password": PASSWORD,
        "new_password": "lantern orchard quietly folding",
        "new_password_confirm": "lantern orchard quietly folding",
    }
    if revoke:
        fields["revoke_tokens"] = "y"
    assert "Also revoke my API tokens" in client.get("/account/password").get_data(as_text=True)
    assert client.submit("/account/password", fields).status_code == 303
    assert live_tokens(alice.id) == (0 if revoke else 1)
    detail = db.session.scalar(
        select(AuditEvent.detail).where(AuditEvent.action == "password.changed")
    )
    assert ("API tokens revoked: 1" in detail) is revoke
