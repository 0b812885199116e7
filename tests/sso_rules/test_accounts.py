"""The rules a federated sign-in follows, whatever the protocol (SPEC §8), through the shared
`finish` step a checked provider answer ends in, and the pages around it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import passwords, settings
from app.extensions import db
from app.models import AuditEvent, FederatedIdentity, User, UserSession
from app.sso import accounts, config, web
from tests.concurrency import at_once
from tests.factories import PASSWORD


def arrive(app, client, provider_id: str, said: accounts.Assertion, next_path=None):
    """What a protocol's callback does once the provider's answer checked out."""
    provider = config.current().providers[provider_id]
    with app.test_request_context("/auth/callback", method="POST"):
        from flask import session

        with client.session_transaction() as stored:
            session.update(stored)
        response = web.finish(provider, said, next_path)
        if isinstance(response, tuple):
            return response
        saved = dict(session)
    with client.session_transaction() as stored:
        stored.clear()
        stored.update(saved)
    return response


def said(subject="sub-1", email="ann@corp.example", verified=True, **kw):
    return accounts.Assertion(subject=subject, email=email, email_verified=verified, **kw)


def identities() -> list[tuple[str, str, int]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(FederatedIdentity.provider, FederatedIdentity.subject, FederatedIdentity.user_id)
    )
    return [tuple(row) for row in rows]


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_first_sign_in_creates_the_account_and_a_session(app, client):
    response = arrive(
        app, client, "corp", said(username="ann.b", display_name="Ann B"), "/projects"
    )
    assert response.status_code == 303 and response.headers["Location"] == "/projects"
    user = db.session.scalar(select(User).where(User.email_key == "ann@corp.example"))
    assert user.username == "ann.b" and user.display_name == "Ann B" and not user.password_set
    assert user.email_verified and identities() == [("corp", "sub-1", user.id)]
    assert db.session.scalar(select(func.count(UserSession.id))) == 1
    assert client.get("/").status_code == 200
    assert [e.detail for e in events("sso.login")] == ["corp"]


def test_the_next_sign_in_finds_the_account_by_subject_not_by_address(app, client):
    arrive(app, client, "corp", said())
    other = app.test_client()
    response = arrive(app, other, "corp", said(email="renamed@corp.example"))
    assert response.status_code == 303
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert db.session.scalar(select(FederatedIdentity.email)) == "renamed@corp.example"
    assert other.get("/").status_code == 200


def test_a_taken_username_gets_a_number(app, client, make_user):
    make_user(username="ann", email="someone@else.example")
    arrive(app, client, "corp", said())
    assert (
        db.session.scalar(select(User.username).where(User.email_key == "ann@corp.example"))
        == "ann2"
    )


def test_an_existing_account_is_linked_only_after_its_password(app, client, make_user):
    ann = make_user(username="ann", email="ann@corp.example")
    response = arrive(app, client, "corp", said())
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")
    assert identities() == [] and client.get("/").status_code == 302, "nobody signed in yet"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sign in to it once" in page and 'value="ann@corp.example"' in page
    signed = client.submit("/login", {"login": "ann@corp.example", "password": PASSWORD})
    assert signed.status_code == 303
    assert identities() == [("corp", "sub-1", ann.id)]
    assert [e.detail for e in events("sso.linked")] == ["corp"]
    again = app.test_client()
    assert arrive(app, again, "corp", said()).status_code == 303
    assert again.get("/").status_code == 200


def test_a_link_offered_to_one_account_is_not_made_for_another(app, client, make_user):
    make_user(username="ann", email="ann@corp.example")
    make_user(username="bob", email="bob@corp.example")
    arrive(app, client, "corp", said())
    assert client.submit("/login", {"login": "bob", "password": PASSWORD}).status_code == 303
    assert identities() == []


def test_an_unverified_address_never_links_to_the_account_that_has_it(app, client, make_user):
    make_user(username="ann", email="ann@corp.example")
    page, status = arrive(app, client, "corp", said(verified=False))
    assert status == 403 and "did not confirm that the address is yours" in page
    assert identities() == [] and client.get("/").status_code == 302
    failures = [e.detail for e in events("sso.failed")]
    assert len(failures) == 1 and failures[0].startswith("unverified email: ")


def test_closed_registration_creates_accounts_only_for_a_jit_provider(app, client):
    with app.test_request_context(method="POST"):
        settings.set_many({"registration_open": False})
        db.session.commit()
    page, status = arrive(app, client, "corp", said())
    assert status == 403 and "registration is closed" in page
    assert db.session.scalar(select(func.count(User.id))) == 0
    response = arrive(app, client, "lab", said(subject="uid-7", email="cy@lab.example"))
    assert response.status_code == 303
    assert identities()[0][:2] == ("lab", "uid-7")


def test_a_disabled_account_is_not_signed_in(app, client):
    arrive(app, client, "corp", said())
    db.session.execute(User.__table__.update().values(is_disabled=True))
    db.session.commit()
    other = app.test_client()
    page, status = arrive(app, other, "corp", said())
    assert status == 403 and "disabled" in page and other.get("/").status_code == 302


@pytest.mark.parametrize("answer", [said(subject=""), said(email=None)])
def test_an_answer_without_subject_or_address_signs_nobody_in(app, client, answer):
    _page, status = arrive(app, client, "corp", answer)
    assert status == 403 and db.session.scalar(select(func.count(User.id))) == 0


def test_password_sign_in_is_refused_for_a_domain_that_must_use_sso(app, client, make_user, admin):
    make_user(username="dee", email="dee@corp.example")
    admin.email = "root@corp.example"
    with app.test_request_context(method="POST"):
        settings.set_many({"sso_required_domains": "corp.example, other.example"})
        db.session.commit()
    response = client.submit("/login", {"login": "dee", "password": PASSWORD}, page="/login")
    assert response.status_code == 403
    assert (
        "Continue with SSO" in response.get_data(as_text=True)
        and client.get("/").status_code == 302
    )
    assert client.submit("/login", {"login": "root", "password": PASSWORD}).status_code == 303


def test_sign_in_pages_offer_sso_and_social_buttons(client):
    for page in ("/login", "/signup"):
        html = client.get(page).get_data(as_text=True)
        assert 'href="/login/sso' in html and "Continue with Google" in html
        assert 'href="/auth/social/google/login' in html


def test_continue_with_sso_sends_the_address_to_its_provider(client):
    assert client.get("/login/sso").status_code == 200
    response = client.submit(
        "/login/sso?next=/projects", {"email": "ann@lab.example"}, page="/login/sso"
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/saml/lab/login?next=/projects"
    unknown = client.submit("/login/sso", {"email": "ann@nowhere.example"})
    assert unknown.status_code == 422
    assert "No single sign-on is set up for that address" in unknown.get_data(as_text=True)
    bad = client.submit("/login/sso", {"email": "not an address"})
    assert bad.status_code == 422


def test_identities_are_listed_and_unlinked_but_never_the_last_way_in(app, client):
    arrive(app, client, "corp", said())
    html = client.get("/account/identities").get_data(as_text=True)
    assert "Corp sign-in" in html and "ann@corp.example" in html
    identity_id = db.session.scalar(select(FederatedIdentity.id))
    response = client.submit(
        f"/account/identities/{identity_id}/unlink", page="/account/identities"
    )
    assert response.status_code == 303 and len(identities()) == 1
    assert "your only way to sign in" in client.get("/account/identities").get_data(as_text=True)
    user = db.session.scalar(select(User))
    user.password_set = True  # as if the person had set a password and a question
    user.security_question, user.security_answer_hash = "Pet?", passwords.hash_answer("rex")
    db.session.commit()
    client.submit(f"/account/identities/{identity_id}/unlink", page="/account/identities")
    assert identities() == [] and [e.detail for e in events("sso.unlinked")] == ["corp"]


def test_nobody_unlinks_another_persons_identity(app, client, make_user, login_as):
    arrive(app, client, "corp", said())
    identity_id = db.session.scalar(select(FederatedIdentity.id))
    other = app.test_client()
    login_as(make_user(username="mallory"), other)
    other.submit(f"/account/identities/{identity_id}/unlink", page="/account/identities")
    assert len(identities()) == 1


def test_two_unlinks_at_once_leave_the_last_identity(app, client):
    arrive(app, client, "corp", said())
    user = db.session.scalar(select(User))
    with app.test_request_context(method="POST"):
        accounts.link(user, accounts.Pending(user.id, "lab", "uid-9", "ann@lab.example"))
        db.session.commit()
    assert len(identities()) == 2 and not user.password_set
    ids = list(db.session.scalars(select(FederatedIdentity.id)))
    clients = []
    for identity_id in ids:
        browser = app.test_client()
        with client.session_transaction() as source, browser.session_transaction() as copy:
            copy.update(source)
        token = browser.csrf_token("/account/identities")
        clients.append((browser, identity_id, token))
    db.session.commit()
    responses = at_once(
        *[
            lambda b=b, i=i, t=t: b.post(f"/account/identities/{i}/unlink", data={"csrf_token": t})
            for b, i, t in clients
        ]
    )
    assert [r.status_code for r in responses] == [303, 303]
    assert len(identities()) == 1, "one identity stays: the account has no password"


def test_the_admin_page_lists_providers_and_their_urls(client, admin, login_as):
    login_as(admin)
    html = client.get("/admin/sso").get_data(as_text=True)
    assert "Corp sign-in" in html and "Lab SAML" in html and "Google" in html
    assert "/auth/oidc/corp/login/callback" in html and "/auth/saml/lab/acs" in html
    assert "/auth/saml/lab/metadata" in html and "/auth/social/google/login/callback" in html
