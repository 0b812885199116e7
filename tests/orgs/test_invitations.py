"""Invitations: tokens, expiry, single use, bound to the email, resend, decline, sign-up."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from sqlalchemy import func, select

from app import settings
from app.extensions import db, utcnow
from app.models import AuditEvent, Invitation, Membership, Role, UserSession

LINK = re.compile(r"http://gatehouse\.example\.com/invitations/([A-Za-z0-9_-]{43})")


def invite(client, slug="acme", email="bob@example.com", role="worker"):
    """Send an invitation from the org page; returns (response after redirect, token)."""
    response = client.submit(
        f"/orgs/{slug}/invitations",
        {"email": email, "role": role},
        page=f"/orgs/{slug}",
        follow_redirects=True,
    )
    found = LINK.search(response.get_data(as_text=True))
    return response, found.group(1) if found else None


def members(org) -> dict:
    db.session.expire_all()
    return dict(
        db.session.execute(
            select(Membership.user_id, Membership.role).where(Membership.organization_id == org.id)
        ).all()
    )


def test_invitation_token_is_long_random_and_stored_hashed(client, make_user, make_org, login_as):
    alice = make_user("alice")
    make_org(owner=alice, slug="acme")
    login_as(alice)
    response, token = invite(client)
    assert token is not None, "without mail the inviter sees the link once"
    html = response.get_data(as_text=True)
    assert "Invitation link for bob@example.com" in html
    # shown as a link with a copy button, not as text in a message
    assert (
        f'id="new-invitation-link" href="http://gatehouse.example.com/invitations/{token}"' in html
    )
    assert 'data-copy="#new-invitation-link"' in html
    invitation = db.session.scalar(select(Invitation))
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert len(token) >= 43  # 32 bytes = 256 bits
    assert invitation.expires_at - utcnow() > timedelta(days=6, hours=23)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "invitation.created")
        )
        == 1
    )
    # The link is shown once: the org page afterwards does not repeat it.
    assert token not in client.get("/orgs/acme").get_data(as_text=True)


def test_link_ignores_the_request_host(app):
    from app import mail

    with app.test_request_context("/orgs/acme/invitations", base_url="http://evil.example.org"):
        assert mail.invitation_link("tok") == "http://gatehouse.example.com/invitations/tok"


def test_accept_by_the_invited_person(client, make_user, make_org, login_as, factory):
    alice, bob = make_user("alice"), make_user("bob", email="Bob@Example.com")
    org = make_org(owner=alice, slug="acme", name="Acme")
    login_as(alice)
    _, token = invite(client, email="bob@example.com", role="supervisor")

    record = login_as(bob)
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200 and "Join Acme" in page.get_data(as_text=True)
    response = client.submit(f"/invitations/{token}/accept", page=f"/invitations/{token}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/orgs/acme")
    assert members(org) == {alice.id: Role.OWNER, bob.id: Role.SUPERVISOR}
    assert db.session.get(UserSession, record.id).workspace_org_id == org.id
    # Single use: the token is dead now.
    assert client.get(f"/invitations/{token}").status_code == 404
    assert client.submit(f"/invitations/{token}/accept", page="/orgs/acme").status_code == 404


def test_someone_else_cannot_accept(client, make_user, make_org, login_as):
    alice, mallory = make_user("alice"), make_user("mallory")
    org = make_org(owner=alice, slug="acme")
    login_as(alice)
    _, token = invite(client, email="bob@example.com")
    login_as(mallory)
    page = client.get(f"/invitations/{token}").get_data(as_text=True)
    assert "is not the invited" in page and "Accept" not in page
    response = client.submit(f"/invitations/{token}/accept", page="/invitations")
    assert response.status_code == 403
    assert members(org) == {alice.id: Role.OWNER}
    assert db.session.scalar(select(Invitation.accepted_at)) is None


def test_expired_invitation_is_refused(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme")
    login_as(alice)
    _, token = invite(client)
    invitation = db.session.scalar(select(Invitation))
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    login_as(bob)
    assert client.get(f"/invitations/{token}").status_code == 404
    assert client.submit(f"/invitations/{token}/accept", page="/invitations").status_code == 404
    assert "no pending invitations" in client.get("/invitations").get_data(as_text=True)
    assert members(org) == {alice.id: Role.OWNER}


def test_invitation_lifetime_comes_from_settings(client, make_user, make_org, login_as):
    settings.set_many({"invitation_days": 2})
    db.session.commit()
    alice = make_user("alice")
    make_org(owner=alice, slug="acme")
    login_as(alice)
    invite(client)
    lifetime = db.session.scalar(select(Invitation)).expires_at - utcnow()
    assert timedelta(days=1, hours=23) < lifetime <= timedelta(days=2)


def test_resend_kills_the_old_token(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme")
    login_as(alice)
    _, old = invite(client)
    invitation = db.session.scalar(select(Invitation))
    response = client.submit(
        f"/orgs/acme/invitations/{invitation.id}/resend", page="/orgs/acme", follow_redirects=True
    )
    new = LINK.search(response.get_data(as_text=True)).group(1)
    assert new != old
    login_as(bob)
    assert client.get(f"/invitations/{old}").status_code == 404
    assert client.get(f"/invitations/{new}").status_code == 200
    client.submit(f"/invitations/{new}/accept", page=f"/invitations/{new}")
    assert bob.id in members(org)


def test_delete_withdraws_the_invitation(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    make_org(owner=alice, slug="acme")
    login_as(alice)
    _, token = invite(client)
    invitation_id = db.session.scalar(select(Invitation.id))
    response = client.submit(f"/orgs/acme/invitations/{invitation_id}/delete", page="/orgs/acme")
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "invitation.revoked")
        )
        == 1
    )
    login_as(bob)
    assert client.get(f"/invitations/{token}").status_code == 404


def test_decline_from_the_list(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob", email_verified_at=utcnow())
    org = make_org(owner=alice, slug="acme", name="Acme")
    login_as(alice)
    invite(client)
    login_as(bob)
    page = client.get("/invitations").get_data(as_text=True)
    assert "Acme" in page and "Decline" in page
    invitation_id = db.session.scalar(select(Invitation.id))
    response = client.submit(
        f"/invitations/by-id/{invitation_id}/decline", page="/invitations", follow_redirects=True
    )
    assert "You declined the invitation to Acme" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Invitation.declined_at)) is not None
    assert members(org) == {alice.id: Role.OWNER}
    assert (
        client.submit(f"/invitations/by-id/{invitation_id}/accept", page="/invitations").status_code
        == 404
    )


def test_accept_from_the_list_and_only_my_own(client, make_user, make_org, login_as):
    alice, carol = make_user("alice"), make_user("carol", email_verified_at=utcnow())
    bob = make_user("bob", email_verified_at=utcnow())  # a verified address answers from the list
    org = make_org(owner=alice, slug="acme")
    login_as(alice)
    invite(client)
    invitation_id = db.session.scalar(select(Invitation.id))
    login_as(carol)
    assert (
        client.submit(f"/invitations/by-id/{invitation_id}/accept", page="/invitations").status_code
        == 404
    )
    login_as(bob)
    response = client.submit(f"/invitations/by-id/{invitation_id}/accept", page="/invitations")
    assert response.status_code == 303
    assert members(org) == {alice.id: Role.OWNER, bob.id: Role.WORKER}


def test_a_new_person_signs_up_and_lands_in_the_organization(client, make_user, make_org, login_as):
    alice = make_user("alice")
    org = make_org(owner=alice, slug="acme", name="Acme")
    login_as(alice)
    _, token = invite(client, email="newcomer@example.com")
    client.post("/logout", data={"csrf_token": client.csrf_token("/")})

    page = client.get(f"/invitations/{token}").get_data(as_text=True)
    assert "Sign up" in page and "/signup?email=newcomer@example.com&amp;next=/invitations/" in page
    signup = f"/signup?email=newcomer%40example.com&next=/invitations/{token}"
    form = client.get(signup).get_data(as_text=True)
    assert re.search(r'<input[^>]*id="email"[^>]*value="newcomer@example.com"', form)
    assert "you will go straight back to the invitation to join" in form
    assert f'href="/login?next=/invitations/{token}">Sign in</a>' in form
    response = client.submit(
        signup,
        {
            "email": "newcomer@example.com",
            "username": "newcomer",
            "display_name": "New Comer",
            "password": "a long enough passphrase here",
            "password_confirm": "a long enough passphrase here",
            "security_question": "What was your first pet?",
            "security_answer": "a goldfish called Nemo",
            "accept_terms": "y",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/invitations/{token}")
    response = client.submit(
        f"/invitations/{token}/accept", page=f"/invitations/{token}", follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "Welcome to Acme" in page and 'id="current-workspace">Acme' in page
    assert len(members(org)) == 2


def test_a_visitor_with_an_account_is_asked_to_sign_in(client, make_user, make_org, login_as):
    alice = make_user("alice")
    make_user("bob")
    make_org(owner=alice, slug="acme")
    login_as(alice)
    _, token = invite(client)
    client.post("/logout", data={"csrf_token": client.csrf_token("/")})
    page = client.get(f"/invitations/{token}").get_data(as_text=True)
    assert "Sign in with the account" in page and "/login?next=" in page


def test_cannot_invite_a_member_or_twice(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    make_org(owner=alice, slug="acme", members={bob: Role.WORKER})
    login_as(alice)
    response, _ = invite(client, email="BOB@example.com")
    assert "already a member" in response.get_data(as_text=True)
    invite(client, email="carol@example.com")
    response, _ = invite(client, email="Carol@Example.com")
    assert "already has a pending invitation" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1


def test_invalid_invite_form_rerenders_with_422(client, make_user, make_org, login_as):
    alice = make_user("alice")
    make_org(owner=alice, slug="acme")
    login_as(alice)
    for data in (
        {"email": "not an email", "role": "worker"},
        {"email": "x@example.com", "role": "owner"},
        {"email": "x@example.com", "role": "admin"},
    ):
        response = client.submit("/orgs/acme/invitations", data, page="/orgs/acme")
        assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
