"""Service tokens in /admin/tokens, revoking anyone's token, the token count in /admin/users."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from app import tokens
from app.extensions import db, utcnow
from app.models import ApiToken, AuditEvent
from tests.admin.tables import read_table
from tests.admin.test_users_table import usernames

SECRET = re.compile(r'<code class="secret" id="new-token">(gth_[A-Za-z0-9_-]+)</code>')
GOOD = {"name": "provisioning", "expires_in_days": "90", "scopes": ["scim", "read:users"]}


def test_an_admin_creates_a_service_token(admin_client, admin):
    response = admin_client.submit("/admin/tokens", GOOD)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    raw = SECRET.search(response.get_data(as_text=True)).group(1)
    token = db.session.scalars(select(ApiToken)).one()
    assert token.user_id is None and token.created_by_id == admin.id
    assert token.scope_list == ["read:users", "scim"]
    assert tokens.authenticate(raw) is not None
    headers, rows = read_table(admin_client.get("/admin/tokens").get_data(as_text=True))
    assert headers[0] == "Name" and rows[0][0] == "provisioning" and raw not in repr(rows)


def test_service_token_form_refuses_bad_input(admin_client):
    response = admin_client.submit("/admin/tokens", {**GOOD, "expires_in_days": "400"})
    assert response.status_code == 422 and 'id="expires_in_days-error"' in response.text
    assert db.session.scalars(select(ApiToken)).first() is None


def test_an_admin_revokes_anyones_token(admin_client, admin, make_user):
    bob = make_user(username="bob")
    token, _ = tokens.issue(bob, "bob's laptop", 30, ["read:users"])
    db.session.commit()
    page = admin_client.get(f"/admin/tokens?user={bob.id}").get_data(as_text=True)
    assert "Tokens of bob" in page and "bob&#39;s laptop" in page
    response = admin_client.submit(
        f"/admin/tokens/{token.id}/revoke?next=/admin/tokens?user={bob.id}", page="/admin/tokens"
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/tokens?user={bob.id}"
    db.session.expire_all()
    assert token.revoked_at is not None
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "token.revoked")).one()
    assert event.actor_id == admin.id and event.target_user_id == bob.id
    again = admin_client.submit(f"/admin/tokens/{token.id}/revoke", page="/admin/tokens")
    assert again.status_code == 303  # already revoked: said in a flash, nothing written
    assert (
        len(
            db.session.scalars(
                select(AuditEvent.id).where(AuditEvent.action == "token.revoked")
            ).all()
        )
        == 1
    )


@pytest.mark.parametrize(
    "method, url",
    [("get", "/admin/tokens"), ("post", "/admin/tokens"), ("post", "/admin/tokens/1/revoke")],
)
def test_only_administrators_see_the_page(client, make_user, login_as, method, url):
    anonymous = client.get(url) if method == "get" else client.submit(url, GOOD, page="/login")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    login_as(make_user(username="carol"))
    refused = client.get(url) if method == "get" else client.submit(url, GOOD)
    assert refused.status_code == 404


def live_tokens(user_ids: list[int], per_user: int) -> None:
    now = utcnow()
    rows = [
        {
            "user_id": uid,
            "name": f"t{k}",
            "prefix": "gth_abcdefgh",
            "token_hash": f"{uid:08d}{k:04d}".ljust(64, "f"),
            "scopes": "read:users",
            "created_at": now,
            "expires_at": now + timedelta(days=1),
        }
        for uid in user_ids
        for k in range(per_user)
    ]
    db.session.execute(insert(ApiToken), rows)
    db.session.commit()


def test_the_users_table_counts_live_tokens(admin_client, admin, make_user):
    bob = make_user(username="bob")
    live_tokens([bob.id], 3)
    tokens.issue(bob, "old", 30, ["read:users"])[0].revoked_at = utcnow()
    tokens.issue(bob, "gone", 30, ["read:users"])[0].expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    headers, rows = read_table(admin_client.get("/admin/users").get_data(as_text=True))
    column = headers.index("Tokens")
    counts = {row[0].split()[0]: row[column] for row in rows}
    assert counts == {"bob": "3", "root": "0"}


def test_the_token_count_costs_no_query_per_row(admin_client, admin, bulk, count_queries):
    ids = bulk.users(110, prefix="many")
    live_tokens(ids, 2)

    def run(n: int) -> int:
        with count_queries() as count:
            response = admin_client.get(f"/admin/users?per_page={n}")
            assert response.status_code == 200
            assert len(usernames(response.get_data(as_text=True))) == n
        return count()

    assert run(10) == run(100)
