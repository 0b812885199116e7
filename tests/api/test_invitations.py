"""/api/v1/orgs/<slug>/invitations: sent, listed, resent and withdrawn as on the organization
page, mailed the same way, and never showing a token (SPEC §5, §9)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import settings
from app.extensions import db
from app.models import Invitation
from tests.api.support import accounts, audit_details, by_token, problem, refused_for_scope
from tests.concurrency import at_once

URL = "/api/v1/orgs/acme/invitations"


@pytest.fixture
def app_overrides(smtp_server):
    return smtp_server.config()


@pytest.fixture
def team(make_org):
    """acme: alice owner, bob maintainer, carol supervisor; seats for 10 members (the tests of
    the limit lower it)."""
    names = ("alice", "bob", "carol", "mallory")
    people = dict(zip(names, accounts(*names), strict=True))
    members = {people["bob"]: "maintainer", people["carol"]: "supervisor"}
    make_org(owner=people["alice"], slug="acme", members=members)
    seats(10)
    return people


def seats(n: int) -> None:
    settings.set_many({"free_org_members": n})
    db.session.commit()


def invitations() -> list[tuple[str, str]]:
    db.session.expire_all()
    return list(
        db.session.execute(select(Invitation.email, Invitation.role).order_by(Invitation.id))
    )


def invite(api, token: str, email: str = "dan@example.com", role: str = "worker"):
    return api("POST", URL, token, json={"email": email, "role": role})


def test_an_invitation_is_saved_audited_and_mailed_but_its_token_never_shown(
    team, make_token, api, smtp_server
):
    answer = invite(api, make_token(team["alice"], "write:orgs"), role="maintainer")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert set(body) == {
        "id",
        "email",
        "role",
        "invited_by_id",
        "created_at",
        "expires_at",
        "expired",
    }
    assert (body["email"], body["role"], body["expired"]) == (
        "dan@example.com",
        "maintainer",
        False,
    )
    assert answer.headers["Location"].endswith(f"{URL}/{body['id']}")
    assert invitations() == [("dan@example.com", "maintainer")]
    assert audit_details("invitation.created") == ["maintainer; token: test token"]
    assert smtp_server.recipients == [["dan@example.com"]]
    link = smtp_server.messages[0].get_content().split("/invitations/")[1].split()[0]
    assert link not in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("actor", "role", "status"),
    [
        ("bob", "worker", 201),
        ("bob", "supervisor", 201),
        ("bob", "maintainer", 403),  # a maintainer invites supervisors and workers only
        ("carol", "worker", 403),  # supervisors do not invite
        ("mallory", "worker", 404),  # outsiders learn nothing
        ("alice", "owner", 422),  # nobody is invited as owner
    ],
)
def test_who_may_invite_whom(team, make_token, api, actor, role, status):
    answer = invite(api, make_token(team[actor], "write:orgs"), role=role)
    if status == 201:
        assert answer.status_code == 201 and invitations() == [("dan@example.com", role)]
        return
    problem(answer, status)
    assert invitations() == []


def test_scopes(team, make_token, api):
    reader = make_token(team["alice"], "read:orgs")
    writer = make_token(team["alice"], "write:orgs")
    refused_for_scope(invite(api, reader), "write:orgs")
    refused_for_scope(api("GET", URL, writer), "read:orgs")
    assert invitations() == []


def test_the_plan_counts_pending_invitations_as_seats(team, make_token, api):
    seats(4)
    token = make_token(team["alice"], "write:orgs")
    assert invite(api, token).status_code == 201
    body = problem(invite(api, token, email="erin@example.com"), 422)
    assert "reached the Free plan's 4 members (pending invitations count)" in body["detail"]
    assert invitations() == [("dan@example.com", "worker")]


def test_a_second_pending_invitation_to_one_address_is_a_conflict(team, make_token, api):
    token = make_token(team["alice"], "write:orgs")
    assert invite(api, token).status_code == 201
    body = problem(invite(api, token, email="DAN@example.com"), 409)
    assert "already has a pending invitation" in body["detail"]


def test_a_site_without_mail_refuses_rather_than_make_an_undeliverable_invitation(
    team, make_token, api, app
):
    app.config["MAIL_SERVER"] = None
    body = problem(invite(api, make_token(team["alice"], "write:orgs")), 409)
    assert "sends no mail" in body["detail"]
    assert invitations() == []


def test_the_list_is_for_those_who_may_invite(team, make_token, api):
    invite(api, make_token(team["alice"], "write:orgs"), role="maintainer")
    answer = api("GET", URL, make_token(team["bob"], "read:orgs"))
    assert answer.status_code == 200
    assert [(i["email"], i["role"]) for i in answer.get_json()] == [
        ("dan@example.com", "maintainer")
    ]
    problem(api("GET", URL, make_token(team["carol"], "read:orgs")), 403)
    problem(api("GET", URL, make_token(team["mallory"], "read:orgs")), 404)


def test_resend_renews_the_link_mails_it_and_is_audited(team, make_token, api, smtp_server):
    token = make_token(team["alice"], "write:orgs")
    created = invite(api, token).get_json()
    old_hash = db.session.scalar(select(Invitation.token_hash))
    answer = api("POST", f"{URL}/{created['id']}/resend", token)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["id"] == created["id"]
    db.session.expire_all()
    assert db.session.scalar(select(Invitation.token_hash)) != old_hash
    assert smtp_server.recipients == [["dan@example.com"]] * 2
    assert by_token("invitation.resent")


def test_withdraw_deletes_it_and_is_audited(team, make_token, api):
    token = make_token(team["bob"], "write:orgs", "read:orgs")
    created = invite(api, token).get_json()
    assert api("GET", f"{URL}/{created['id']}", token).status_code == 200
    assert api("DELETE", f"{URL}/{created['id']}", token).status_code == 204
    assert invitations() == []
    assert by_token("invitation.revoked")
    problem(api("DELETE", f"{URL}/{created['id']}", token), 404)
    problem(api("GET", f"{URL}/{created['id']}", token), 404)


def test_a_maintainer_cannot_resend_or_withdraw_a_maintainers_invitation(team, make_token, api):
    created = invite(api, make_token(team["alice"], "write:orgs"), role="maintainer").get_json()
    token = make_token(team["bob"], "write:orgs")
    problem(api("POST", f"{URL}/{created['id']}/resend", token), 403)
    problem(api("DELETE", f"{URL}/{created['id']}", token), 403)
    assert invitations() == [("dan@example.com", "maintainer")]


def test_the_last_seat_goes_to_one_of_two_simultaneous_invitations(app, team, make_token):
    seats(4)  # 3 members: one seat left
    token = make_token(team["alice"], "write:orgs")

    def send(email: str) -> int:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        answer = client.post(URL, json={"email": email, "role": "worker"}, headers=headers)
        return answer.status_code

    statuses = at_once(lambda: send("dan@example.com"), lambda: send("erin@example.com"))

    assert sorted(statuses) == [201, 422], statuses
    assert len(invitations()) == 1
