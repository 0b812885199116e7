"""Hostile input to every form of the app, found from app.url_map and the rendered pages.

For each POST route (new routes are picked up automatically), hypothesis posts random and
adversarial values — very long strings, NUL and control characters, invalid UTF-8, SQL and HTML
metacharacters, numbers where text is expected and the reverse, missing, duplicated and unknown
fields, a file where text is expected — with a valid CSRF token, as an anonymous visitor, a plain
user, an organization owner and an administrator. What a person would notice: never a server
error, and a refused request (4xx) leaves no row behind.
"""

from __future__ import annotations

import io
import re
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from tests.system.browser import parse_forms

EXAMPLES = 15
ROLES = ("anonymous", "user", "owner", "admin")
# The audit log records refused attempts on purpose (SPEC §6), so it may grow on a 4xx.
GROWS_ON_REFUSAL = {"audit_events"}


def _rules():
    app = create_app({"TESTING": True, "SECRET_KEY": "collect", "DATABASE_URL": "sqlite://"})
    rules = [r for r in app.url_map.iter_rules() if "POST" in (r.methods or ())]
    return sorted({r.rule: r for r in rules}.values(), key=lambda r: r.rule)


POST_RULES = _rules()
GET_RULES: list[str] = []  # filled from the app under test


# --------------------------------------------------------------------------- the world


class World:
    """The rows the path arguments point at, and one signed-in client per role."""

    def __init__(self, app, factory) -> None:
        from app.models import Membership, Organization, Project, Role

        self.app, self.factory = app, factory
        self.users = {
            "user": _user("plainuser"),
            "owner": _user("orgowner"),
            "admin": _user("siteadmin", is_admin=True),
        }
        self.victim = _user("victim")
        owner = self.users["owner"]
        org = Organization(slug="fuzz-org", name="Fuzz Org", owner_id=owner.id)
        db.session.add(org)
        db.session.flush()
        db.session.add_all(
            [
                Membership(organization_id=org.id, user_id=owner.id, role=Role.OWNER),
                Membership(organization_id=org.id, user_id=self.users["user"].id, role=Role.WORKER),
                Membership(organization_id=org.id, user_id=self.victim.id, role=Role.SUPERVISOR),
            ]
        )
        project = Project(name="Fuzz project", organization_id=org.id, created_by_id=owner.id)
        db.session.add(project)
        db.session.commit()
        victim_session, _ = factory.session_for(self.victim)
        self.args = {
            "slug": org.slug,
            "user_id": self.victim.id,
            "project_id": project.id,
            "session_id": victim_session.id,
            "invitation_id": 1,
            "token": "x" * 43,
            "filename": "css/app.css",
            "idp": "lab-saml",  # tests/browser/walk_world.py's provider file
        }
        from app.models import Passkey

        passkey = Passkey(
            user_id=self.users["user"].id, credential_id=b"fuzz", public_key=b"", name="Fuzz key"
        )
        db.session.add(passkey)
        db.session.commit()
        self.args["passkey_id"] = passkey.id
        try:
            from app.models import Invitation

            invitation, token = Invitation.issue(org, "invitee@example.com", Role.WORKER, owner, 7)
            db.session.add(invitation)
            db.session.commit()
            self.args.update(invitation_id=invitation.id, token=token)
        except (AttributeError, TypeError):  # the invitations model may still be changing
            db.session.rollback()

    def path(self, rule: str) -> str:
        def fill(match: re.Match) -> str:
            name = match.group(1).split(":")[-1]
            return str(self.args.get(name, 1))

        return re.sub(r"<([^>]+)>", fill, rule)

    def client(self, role: str):
        client = self.app.test_client()
        if role != "anonymous":
            self.factory.sign_in(client, self.users[role])
        return client


# Fields named by SPEC.md for forms a page shows only in states the World does not set up.
SPEC_FIELDS = {
    "/forgot/answer": ["answer"],
    "/billing/checkout": ["plan", "interval", "org", "seats", "invoice_details"],
    "/orgs/<slug>/transfer": ["new_owner", "confirm_slug"],
    "/orgs/<slug>/members/<int:user_id>/role": ["role"],
    "/orgs/<slug>/delete": ["confirm_slug"],
    "/auth/saml/<idp>/acs": ["SAMLResponse", "RelayState"],
    "/login/sso": ["email"],
    # Passkeys: the forms are posted by static/js/passkeys.js with the authenticator's answer.
    "/login/passkey": ["credential"],
    "/login/verify/passkey": ["credential", "remember_device"],
    "/account/security/passkeys": ["name", "credential"],
    "/account/security/passkeys/<int:passkey_id>/rename": ["name"],
    "/account/security/passkeys/<int:passkey_id>/delete": ["password"],
}
FORMS: dict[str, dict[str, str]] = {}  # form action path -> field names and default values


HASHES: dict[str, str] = {}


def _user(username: str, **fields):
    """A user whose password and answer hashes are computed once per session (argon2 is slow on
    purpose, and the fuzzing is about the forms, not the hashing)."""
    from app import passwords
    from app.models import User
    from tests.factories import ANSWER, PASSWORD, QUESTION

    if not HASHES:
        HASHES.update(
            password=passwords.hash_password(PASSWORD), answer=passwords.hash_answer(ANSWER)
        )
    user = User(
        username=username,
        email=f"{username}@example.com",
        display_name=username.title(),
        security_question=QUESTION,
        password_hash=HASHES["password"],
        security_answer_hash=HASHES["answer"],
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def _form_fields(world: World, path: str) -> dict[str, str]:
    """Field names and default values of the forms posting to `path`, from every page that the
    four roles can see — where a browser finds them. The crawl runs once per test session: every
    test builds the same World, so the same paths."""
    if not FORMS:
        for role in ROLES:
            client = world.client(role)
            for rule in GET_RULES:
                page = client.get(world.path(rule))
                if page.status_code != 200 or "html" not in (page.content_type or ""):
                    continue
                for form in parse_forms(page.get_data(as_text=True)).forms:
                    if form["method"] != "post":
                        continue
                    action = urllib.parse.urlsplit(form["action"] or world.path(rule)).path
                    fields = FORMS.setdefault(action, {})
                    for name, value in form["fields"].items():
                        if name != "csrf_token":
                            fields.setdefault(name, value or "")
        db.session.rollback()
    return FORMS.get(path, {})


def _row_counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        t.name: db.session.scalar(select(func.count()).select_from(t))
        for t in db.metadata.sorted_tables
    }


# --------------------------------------------------------------------------- the values

NASTY = [
    "",
    " ",
    "\t\n",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\r\nSet-Cookie: x=1",
    "\u202e\u200b",
    "'",
    '"',
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    "1; SELECT pg_sleep(5)--",
    "%",
    "_",
    "\\",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
    "${7*7}",
    "../../etc/passwd",
    "javascript:alert(1)",
    "//evil.example",
    "https://evil.example/",
    "-1",
    "0",
    "2147483648",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "3.5",
    "true",
    "on",
    "owner",
    "maintainer",
    "worker",
    "personal",
    "solo",
    "team",
    "month",
    "year",
    "fuzz-org",
    "victim",
    "admin",
    "😀" * 60,
    "Ω" * 300,
    "a" * 5000,
    "x@example.com",
    "correct horse battery staple",
]
text_value = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=80),
    st.text(st.characters(codec="utf-8", exclude_categories=()), max_size=30),
    st.integers().map(str),
    st.sampled_from(["a", "é", "\x00", "'"]).map(lambda c: c * 20_000),
).map(lambda s: s.encode("utf-8", "surrogatepass"))
raw_bytes = st.binary(max_size=40) | st.just(b"\xff\xfe\xc3\x28\xed\xa0\x80")  # invalid UTF-8
value = st.one_of(text_value, text_value, text_value, raw_bytes)


@st.composite
def submissions(draw, known: dict[str, str]):
    """(role, list of (name, bytes) pairs)."""
    role = draw(st.sampled_from(ROLES))
    pairs: list[tuple[str, bytes]] = []
    for name, default in known.items():
        choice = draw(st.sampled_from(["fuzz", "fuzz", "default", "missing", "twice"]))
        if choice == "missing":
            continue
        if choice == "default":
            pairs.append((name, default.encode()))
            continue
        pairs.append((name, draw(value)))
        if choice == "twice":
            pairs.append((name, draw(value)))
    if draw(st.booleans()):
        pairs.append(
            (
                draw(
                    st.sampled_from(
                        [
                            "is_admin",
                            "role",
                            "owner_id",
                            "id",
                            "next",
                            "workspace",
                            "user_id",
                            "x" * 300,
                        ]
                    )
                ),
                draw(value),
            )
        )
    return role, pairs


def _post(client, path: str, pairs, token: str):
    body = "&".join(
        f"{urllib.parse.quote_from_bytes(n.encode())}={urllib.parse.quote_from_bytes(v)}"
        for n, v in pairs
    )
    body = f"csrf_token={token}" + ("&" + body if body else "")
    return client.post(path, data=body.encode(), content_type="application/x-www-form-urlencoded")


def _check(role: str, path: str, sent, response, before: dict[str, int]) -> None:
    status = response.status_code
    assert status < 500, f"{role} POST {path} with {sent!r:.500} gave {status}"
    if 400 <= status < 500:
        after = _row_counts()
        grown = {
            t: (before[t], after[t])
            for t in before
            if after[t] != before[t] and t not in GROWS_ON_REFUSAL
        }
        assert not grown, f"{role} POST {path} answered {status} but changed rows: {grown}"


# --------------------------------------------------------------------------- the test


@pytest.fixture
def app_overrides() -> dict:
    """Single sign-on on, so its forms (Continue with SSO, the SAML ACS) take the input too."""
    from tests.browser.walk_world import sso_overrides

    return sso_overrides()


def _world(app, factory) -> World:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # an unhandled error must show as the 500 page
    GET_RULES[:] = sorted(
        r.rule
        for r in app.url_map.iter_rules()
        if "GET" in (r.methods or ())
        and not r.rule.startswith("/static")
        and not r.rule.endswith(".tsv")
    )
    return World(app, factory)


@pytest.mark.parametrize("rule", [r.rule for r in POST_RULES])
def test_hostile_form_input_never_gives_a_server_error(rule, app, factory):
    world = _world(app, factory)
    path = world.path(rule)
    known = {name: "" for name in SPEC_FIELDS.get(rule, [])} | _form_fields(world, path)

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(submissions(known))
    def attempt(submission):
        role, pairs = submission
        client = world.client(role)
        token = client.csrf_token()
        before = _row_counts()
        response = _post(client, path, pairs, token)
        db.session.rollback()
        _check(role, path, pairs, response, before)

    attempt()


@pytest.mark.parametrize(
    "rule", [r.rule for r in POST_RULES if r.rule not in {"/logout", "/billing/webhook"}]
)
def test_a_file_sent_in_a_text_field_is_refused_not_a_server_error(rule, app, factory):
    """multipart/form-data with a file where every form expects text (no form takes files)."""
    world = _world(app, factory)
    path = world.path(rule)
    known = _form_fields(world, path) or {"name": ""}
    for role in ("owner", "admin"):
        client = world.client(role)
        data = {"csrf_token": client.csrf_token()}
        data.update({name: (io.BytesIO(b"GIF89a\x00<script>"), "f.gif") for name in known})
        before = _row_counts()
        response = client.post(path, data=data, content_type="multipart/form-data")
        db.session.rollback()
        _check(role, path, sorted(known), response, before)
