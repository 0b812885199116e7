"""SECURITY 30: an invitation is answered from /invitations only by a verified address that
matches it; otherwise only through its token link. Mail over a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db, utcnow
from app.models import Invitation, Membership, User
from tests.auth.helpers import signup_data
from tests.factories import PASSWORD

BASE = "http://gatehouse.example.com"
INVITATION_LINK = re.compile(re.escape(BASE) + r"(/invitations/[A-Za-z0-9_-]{43})")
VERIFY_LINK = re.compile(re.escape(BASE) + r"(/account/verify-email/[A-Za-z0-9_-]+)")


@pytest.fixture
def app_overrides(smtp_server):
    return smtp_server.config()


@pytest.fixture
def invited(client, make_user, make_org, login_as, smtp_server):
    """alice's organization Acme has invited bob@example.com (nobody has that address yet)."""
    alice = make_user("alice", email_verified_at=utcnow())
    org = make_org(owner=alice, slug="acme", name="Acme")
    login_as(alice)
    client.submit(
        "/orgs/acme/invitations", {"email": "bob@example.com", "role": "worker"}, page="/orgs/acme"
    )
    client.submit("/logout", page="/orgs/acme")
    [path] = INVITATION_LINK.findall(smtp_server.messages[0].get_content())
    smtp_server.messages.clear()
    smtp_server.recipients.clear()
    return org, path


def members(org) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.organization_id == org.id)
    )


def invitation_id() -> int:
    return db.session.scalar(select(Invitation.id))


def answer_by_id(client, verb: str):
    return client.submit(f"/invitations/by-id/{invitation_id()}/{verb}", page="/invitations")


def test_signing_up_with_an_invitees_address_does_not_claim_the_invitation(
    client, invited, smtp_server
):
    org, _ = invited
    assert client.submit("/signup", signup_data(email="bob@example.com")).status_code == 303
    page = client.get("/invitations").get_data(as_text=True)
    assert "Acme" in page and "Verify your email address" in page
    assert f"/invitations/by-id/{invitation_id()}/accept" not in page
    for verb in ("accept", "decline"):
        refused = answer_by_id(client, verb)
        assert refused.status_code == 403, verb
        assert "not verified" in refused.get_data(as_text=True)
    assert members(org) == 1
    invitation = db.session.scalar(select(Invitation))
    assert invitation.accepted_at is None and invitation.declined_at is None


def test_after_following_the_emailed_link_accepting_from_the_list_works(
    client, invited, smtp_server
):
    org, _ = invited
    client.submit("/signup", signup_data(email="bob@example.com"))
    [path] = VERIFY_LINK.findall(smtp_server.messages[0].get_content())
    assert client.submit(path, page=path).status_code == 303
    page = client.get("/invitations").get_data(as_text=True)
    assert f"/invitations/by-id/{invitation_id()}/accept" in page
    accepted = answer_by_id(client, "accept")
    assert accepted.status_code == 303 and accepted.headers["Location"].endswith("/orgs/acme")
    assert members(org) == 2


def test_the_token_link_still_works_for_an_unverified_account_with_the_address(
    client, invited, make_user, login_as
):
    org, path = invited
    bob = make_user("bob", email="bob@example.com")
    assert bob.email_verified_at is None
    login_as(bob)
    assert answer_by_id(client, "accept").status_code == 403
    response = client.submit(path + "/accept", page=path)
    assert response.status_code == 303 and response.headers["Location"].endswith("/orgs/acme")
    assert members(org) == 2


def test_changing_the_profile_to_an_invitees_address_does_not_claim_it(
    client, invited, make_user, login_as
):
    org, _ = invited
    mallory = make_user("mallory", email="mallory@example.com", email_verified_at=utcnow())
    login_as(mallory)
    changed = {"display_name": "M", "email": "bob@example.com", "current_password": PASSWORD}
    assert client.submit("/account", changed).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, mallory.id).email_verified_at is None
    assert "Acme" in client.get("/invitations").get_data(as_text=True)
    assert answer_by_id(client, "accept").status_code == 403
    assert members(org) == 1


def test_without_mail_only_an_admin_can_verify_and_the_list_says_so(
    app, client, invited, make_user, login_as, admin
):
    org, _ = invited
    app.config["MAIL_SERVER"] = None
    bob = make_user("bob", email="bob@example.com")
    login_as(bob)
    page = client.get("/account").get_data(as_text=True)
    assert "Not verified" in page and "an administrator" in page
    assert "/account/verify-email/resend" not in page
    refused = client.submit("/account/verify-email/resend", page="/account")
    assert refused.status_code == 409 and "does not send mail" in refused.get_data(as_text=True)
    assert answer_by_id(client, "accept").status_code == 403

    login_as(admin)
    response = client.submit(
        f"/admin/users/{bob.id}/verify-email", page=f"/admin/users/{bob.id}/edit"
    )
    assert response.status_code == 303
    login_as(bob)
    assert answer_by_id(client, "accept").status_code == 303
    assert members(org) == 2
