"""The data the walk of every page (test_pages.py) is shown: what a team's instance holds after a
few weeks, with the values that break layouts on purpose.

- names at their column's limit: a 50-character unbroken username, 100-character unbroken display
  name, organization name and project name, a 40-character slug, an email address near 100
  characters, long descriptions, full-length IPv6 addresses and 200+ character user agents;
- names with markup (`<script>`, `<b>`, `<i>`), which must be shown as text;
- enough rows that every admin table has several and the audit log has more than one page:
  users in every state (admin, disabled, locked, never signed in, unverified, must change password),
  sessions on several devices, organizations with plans, pending invitations both ways, projects
  personal and shared, and three weeks of audit events for the statistics chart.

`build(app)` returns World(users, args): the sign-in name of each role, and the value of every
path argument the routes take (see test_pages._fill).
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

from app.extensions import db, utcnow
from app.models import (
    ApiToken,
    AuditEvent,
    FederatedIdentity,
    Invitation,
    Membership,
    Organization,
    Project,
    ProjectAssignee,
    Role,
    Subscription,
    User,
    UserSession,
)
from tests.factories import Factory


def _unbroken(word: str, length: int) -> str:
    return (word * length)[:length]


# Each at its column's limit, without a space or hyphen where a line could break.
UNBROKEN_USERNAME = _unbroken("Wolfeschlegelsteinhausenbergerdorff", 50)
UNBROKEN_NAME = _unbroken("HubertBlaineWolfeschlegelsteinhausenbergerdorff", 100)
UNBROKEN_ORG = _unbroken("InternationalConsortiumForReproducibleResearchInfrastructure", 100)
UNBROKEN_PROJECT = _unbroken("Annotation", 100)
LONG_SLUG = "northwind-research-and-development-labs"  # 39 of 40
LONG_EMAIL = (
    "maximiliana.featherstonehaugh-worthington.research-office@"
    "institute-of-applied-informatics.example.org"
)
LONG_TEXT = (
    "Shared workspace of the applied research group: annotation campaigns for the city archive, "
    "the river survey and the hospital imaging study, with volunteers from three universities. "
    "Ask a maintainer before inviting anyone outside the group; see the wiki for the data policy."
)
USER_AGENTS = (
    "Mozilla/5.0 (Linux; Android 14; SM-S928B Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 "
    "[FB_IAB/FB4A;FBAV/460.0.0.48.109;FBBV/123456789;FBDM/{density=3.0,width=1080,height=2340}]",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
    "curl/8.7.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1 SomeCorporateVPNAgent/12.4.0.3321",
)
IPS = ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "203.0.113.254", "198.51.100.7")


class World(NamedTuple):
    users: dict[str, str]  # role -> username to sign in with
    args: dict[str, object]  # path argument (or "endpoint.argument") -> value


def build(app) -> World:
    factory = Factory(app)
    with app.app_context():
        people = _people(factory)
        orgs = _organizations(people)
        project = _projects(people, orgs)
        _sessions(people)
        _audit(people, orgs)
        _identities(people)
        _api_tokens(people)
        _plans(people, orgs)
        tokens = _invitations(people, orgs)
        verify_token = _verification_link(people["member"])
        db.session.commit()
        users = {role: people[role].username for role in ("member", "owner", "admin", "newcomer")}
        args = {
            "slug": orgs["main"].slug,
            "project_id": project.id,
            "user_id": people["owner"].id,
            "token": tokens["stranger"],
            "member_token": tokens["member"],
            "account.verify_email.token": verify_token,
            "forgetful": people["forgetful"].username,
            "recovering": people["recovering"].username,
        }
    return World(users, args)


def _people(factory: Factory) -> dict[str, User]:
    now = utcnow()
    people = {
        "member": factory.user("jordan", display_name="Jordan Alexander Whitfield-Okonkwo"),
        # The one with every name at its limit: header, member lists, admin tables, audit log.
        "owner": factory.user(UNBROKEN_USERNAME, display_name=UNBROKEN_NAME, email=LONG_EMAIL),
        "admin": factory.user("ada", display_name="Ada Lovelace-Byron", is_admin=True),
        # Created by an admin: must change the password, and has no security question yet.
        "newcomer": factory.user(
            "newbie", must_change_password=True, security_question=None, answer="unused"
        ),
        "forgetful": factory.user("forgetful", display_name="Frances Forgetful"),
        "recovering": factory.user("recovering", display_name="Rory Recovering"),
        "markup": factory.user("markup", display_name="Acme <script>x</script> Admin"),
        "disabled": factory.user("gone", display_name="Former Colleague", is_disabled=True),
        "locked": factory.user("locked.out", failed_logins=100, last_failed_login_at=now),
        "second_admin": factory.user("grace.hopper", display_name="Grace Hopper", is_admin=True),
        "unverified": factory.user("no-mail", email=None, display_name="Person Without Email"),
    }
    for n, (name, display) in enumerate(
        (
            ("li.wei", "Li Wei"),
            ("amara", "Amara Nwosu-Delacroix"),
            ("sven.o", "Sven Østergaard"),
            ("priya_k", "Priya Krishnamurthy"),
            ("tomas", "Tomás Ñúñez de Guzmán y Fernández-Villaverde"),
            ("noor", "Noor"),
        )
    ):
        people[name] = factory.user(name, display_name=display)
        people[name].created_at = now - timedelta(days=3 * n + 1)
        people[name].last_login_at = now - timedelta(hours=7 * n) if n % 3 else None
    people["newcomer"].security_answer_hash = None
    people["admin"].email_verified_at = now
    people["owner"].last_login_at = now - timedelta(minutes=3)
    return people


def _organizations(people: dict[str, User]) -> dict[str, Organization]:
    main = _org(
        LONG_SLUG,
        UNBROKEN_ORG,
        people["owner"],
        description=LONG_TEXT,
        email=LONG_EMAIL,
        phone="+44 (0)20 7946 0958 ext. 4471",
        location="Building 7, Room 3.141, Innovation Campus, Cambridge",
    )
    _members(main, {people["member"]: Role.WORKER, people["markup"]: Role.MAINTAINER})
    _members(main, {people[n]: Role.SUPERVISOR for n in ("li.wei", "amara", "sven.o")})
    _members(main, {people[n]: Role.WORKER for n in ("priya_k", "tomas", "disabled")})
    markup = _org(
        "acme",
        "Acme <script>x</script>",
        people["markup"],
        description="An organization with <b>markup</b> in it",
    )
    _members(markup, {people["member"]: Role.SUPERVISOR, people["owner"]: Role.MAINTAINER})
    return {
        "main": main,
        "markup": markup,
        "lab": _org("city-archive", "City Archive Volunteers", people["second_admin"]),
        "river": _org("river-survey", "River Survey 2026", people["noor"]),
    }


def _org(slug: str, name: str, owner: User, **fields) -> Organization:
    org = Organization(slug=slug, name=name, owner_id=owner.id, **fields)
    db.session.add(org)
    db.session.flush()
    db.session.add(Membership(organization_id=org.id, user_id=owner.id, role=Role.OWNER))
    return org


def _members(org: Organization, roles: dict[User, Role]) -> None:
    for user, role in roles.items():
        db.session.add(Membership(organization_id=org.id, user_id=user.id, role=role))


def _projects(people: dict[str, User], orgs: dict[str, Organization]) -> Project:
    owner, member = people["owner"], people["member"]
    shared = [
        _project(UNBROKEN_PROJECT, owner, org=orgs["main"], description=LONG_TEXT),
        _project("Launch <i>site</i>", owner, org=orgs["main"], description="First project"),
        _project("River survey: spring transects", owner, org=orgs["main"]),
    ]
    for project in shared[:2]:
        db.session.add(ProjectAssignee(project_id=project.id, user_id=member.id))
    _project("Thesis figures and the appendix that keeps growing", member, personal=True)
    _project("Reading list", member, personal=True, description="Papers to annotate.")
    _project("Personal sandbox", owner, personal=True)
    return shared[0]


def _project(name: str, creator: User, org=None, personal=False, **fields) -> Project:
    project = Project(
        name=name,
        organization_id=org.id if org is not None else None,
        personal_owner_id=creator.id if personal else None,
        created_by_id=creator.id,
        **fields,
    )
    db.session.add(project)
    db.session.flush()
    return project


def _sessions(people: dict[str, User]) -> None:
    """Other devices, besides the browser the walk signs in with."""
    now = utcnow()
    devices = {"member": USER_AGENTS[:4], "owner": USER_AGENTS[3:], "li.wei": USER_AGENTS[1:3]}
    for name, agents in devices.items():
        user = people[name]
        for n, agent in enumerate(agents):
            db.session.add(
                UserSession(
                    token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
                    user_id=user.id,
                    created_at=now - timedelta(hours=5 * n + 1),
                    last_seen_at=now - timedelta(minutes=13 * n + 2),
                    expires_at=now + timedelta(days=20),
                    remember=n % 2 == 1,
                    ip=IPS[n % len(IPS)],
                    user_agent=agent[:255],
                )
            )
        user.open_sessions += len(agents)
        user.last_login_at = now - timedelta(hours=1)


AUDITED = (
    ("login.ok", "owner", None),
    ("login.failed", None, "jordan@example.com"),
    ("signup", "li.wei", None),
    ("org.updated", "owner", "description, email, phone, location"),
    ("invitation.created", "owner", LONG_EMAIL),
    ("admin.user_disabled", "admin", None),
    ("settings.changed", "admin", "login_ip_per_minute 10 → 20; session_idle_minutes 60 → 90"),
    ("project.created", "member", UNBROKEN_PROJECT),
    ("session.revoked", "admin", None),
    ("recovery.failed", None, None),
    ("sso.login", "member", "corp-sign-in"),
    ("sso.failed", None, "corp-sign-in: state: the answer does not match a sign-in begun here"),
)

# Identity providers as an operator names them: a long name, both protocols, two social ones.
# The walk only renders pages; nothing here is contacted (port 9 is discard).
SSO_FILE = """
sso:
  enabled: true
  selection_mode: email_address
  identity_providers:
    - id: corp-sign-in
      protocol: OIDC
      name: Corporate Directory of Whitfield-Okonkwo International Holdings
      server_url: http://127.0.0.1:9/
      client_id: gatehouse
      client_secret: not-a-secret
      email_domain: example.com
    - id: lab-saml
      protocol: SAML
      name: Lab SAML
      entity_id: http://127.0.0.1:9/saml/idp
      sso_url: http://127.0.0.1:9/saml/sso
      x509_cert: MIIBnotarealcertificate
      email_domain: lab.example
social_account:
  enabled: true
  google: {client_id: g, client_secret: s, server_url: "http://127.0.0.1:9/google"}
  github: {client_id: g, client_secret: s, server_url: "http://127.0.0.1:9/github"}
"""


def sso_overrides() -> dict:
    """Config that turns single sign-on on for the walk (the file lives as long as the run)."""
    folder = Path(tempfile.mkdtemp(prefix="gatehouse-walk-sso-"))
    (folder / "auth_config.yml").write_text(SSO_FILE)
    return {"AUTH_CONFIG_PATH": str(folder / "auth_config.yml")}


def _audit(people: dict[str, User], orgs: dict[str, Organization]) -> None:
    """Three weeks of events, a few a day, so the log pages and the chart has a shape."""
    now = utcnow()
    for n in range(63):
        action, actor_name, detail = AUDITED[n % len(AUDITED)]
        actor = people[actor_name] if actor_name else None
        when = now - timedelta(days=n // 3, hours=n % 5)
        db.session.add(
            AuditEvent(
                created_at=when,
                day=when.date(),
                action=action,
                actor_id=actor.id if actor else None,
                actor_name=actor.username if actor else None,
                target_user_id=people["owner"].id,
                target=people["owner"].username,
                organization_id=orgs["main"].id if action.startswith(("org", "inv")) else None,
                ip=IPS[n % len(IPS)],
                user_agent=USER_AGENTS[n % len(USER_AGENTS)][:255],
                detail=detail,
            )
        )


def _identities(people: dict[str, User]) -> None:
    """The member signs in through the corporate provider and a social one."""
    for provider, subject in (("corp-sign-in", _unbroken("subject", 200)), ("google", "1098")):
        db.session.add(
            FederatedIdentity(
                user=people["member"],
                provider=provider,
                subject=subject,
                email=LONG_EMAIL,
                last_used_at=utcnow() - timedelta(hours=2),
            )
        )


def _api_tokens(people: dict[str, User]) -> None:
    """The member's scripts (one with a long unbroken name) and a service's token."""
    now = utcnow()
    made = (
        (people["member"], people["member"], "nightly backup", "read:users,read:orgs", 2),
        (people["member"], people["member"], _unbroken("token", 100), "write:orgs", None),
        (None, people["admin"], "directory sync", "read:users,write:users,scim", 30),
    )
    for owner, maker, name, scopes, used_minutes_ago in made:
        db.session.add(
            ApiToken(
                user_id=owner.id if owner else None,
                created_by_id=maker.id,
                name=name,
                prefix="gth_" + secrets.token_urlsafe(6)[:8],
                token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
                scopes=scopes,
                created_at=now - timedelta(days=3),
                expires_at=now + timedelta(days=27),
                last_used_at=now - timedelta(minutes=used_minutes_ago)
                if used_minutes_ago
                else None,
                last_used_ip="203.0.113.9" if used_minutes_ago else None,
            )
        )


def _plans(people: dict[str, User], orgs: dict[str, Organization]) -> None:
    now = utcnow()
    team = {"plan": "team", "source": "admin"}
    db.session.add_all(
        [
            Subscription(
                organization_id=orgs["main"].id,
                interval="year",
                status="active",
                seats=12,
                current_period_end=now + timedelta(days=200),
                **team,
            ),
            Subscription(
                organization_id=orgs["river"].id,
                interval="month",
                status="canceled",
                seats=3,
                grace_until=now + timedelta(days=9),
                **team,
            ),
            Subscription(
                user_id=people["member"].id,
                plan="solo",
                interval="month",
                status="active",
                source="admin",
                current_period_end=now + timedelta(days=17),
            ),
        ]
    )


def _invitations(people: dict[str, User], orgs: dict[str, Organization]) -> dict[str, str]:
    """Pending both ways: sent by the main organization, and waiting for the member."""
    owner, member = people["owner"], people["member"]
    tokens = {}
    for email, role in (
        ("newcomer@example.com", Role.WORKER),
        (LONG_EMAIL.replace("maximiliana", "second"), Role.SUPERVISOR),
        ("contractor@example.net", Role.MAINTAINER),
    ):
        invitation, token = Invitation.issue(orgs["main"], email, role, owner, 7)
        db.session.add(invitation)
        tokens.setdefault("stranger", token)
    for org in (orgs["lab"], orgs["river"]):
        invitation, token = Invitation.issue(org, member.email, Role.SUPERVISOR, _owner_of(org), 7)
        db.session.add(invitation)
        tokens.setdefault("member", token)
    return tokens


def _owner_of(org: Organization) -> User:
    return db.session.get(User, org.owner_id)


def _verification_link(user: User) -> str:
    """A live email-verification link for `user`, as the mail would have carried."""
    from app.account import verification

    token = secrets.token_urlsafe(32)
    user.email_verification_hash = verification.digest(token)
    user.email_verification_expires_at = utcnow() + verification.LIFETIME
    return token
