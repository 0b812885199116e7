"""Two people create an organization with the same short name at the same moment.

The uniqueness check runs before the insert, so both can pass it; the unique constraint then
refuses the second insert. That refusal must reach the loser as the form with the reason next to
the field, never a 500. `blind_check` makes the check see nothing, so the constraint is certain to
be what decides (without it, which of the two guards answers depends on timing).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Membership, Organization
from app.orgs import services
from tests.concurrency import simultaneously
from tests.orgs.test_routes import ORG_FORM


def slug_error(html: str) -> str:
    found = re.search(r'id="slug-error">([^<]*)<', html)
    return found.group(1) if found else ""


@pytest.mark.parametrize("blind_check", [True, False], ids=["check-passed", "real-check"])
def test_two_people_creating_the_same_slug_at_once(
    app, factory, make_user, monkeypatch, blind_check
):
    if blind_check:
        monkeypatch.setattr(services, "slug_taken", lambda _slug: False)
    people = [make_user("alice"), make_user("bob")]
    clients = []
    for person in people:
        client = app.test_client()
        factory.sign_in(client, person)
        clients.append((client, client.csrf_token("/orgs/new")))

    def create(client, token):
        def call():
            response = client.post("/orgs/new", data={**ORG_FORM, "csrf_token": token})
            return response.status_code, response.get_data(as_text=True)

        return call

    results = simultaneously([create(*pair) for pair in clients])

    statuses = sorted(status for status, _ in results)
    assert statuses[0] == 303 and statuses[1] in (409, 422), statuses
    loser = next(html for status, html in results if status != 303)
    assert "already taken" in slug_error(loser)
    assert 'value="Acme Laboratory"' in loser, "the form comes back filled in"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 1
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 1
