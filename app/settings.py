"""Admin settings: definitions with defaults and ranges, stored as rows of `settings`.

Values are read once per request (kept on `g`) from a per-process copy tagged with the settings'
revision: a row of its own (REVISION_KEY) that every change through `set_many` renews in the same
transaction. A signed-in request gets the revision in its session lookup's statement
(app/auth/sessions.py), an anonymous one reads that single row; when it differs from the copy's,
the copy is read again. So a change is in force on every worker from the next request, with no
extra query for signed-in pages.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any, cast

from flask import current_app, g, has_request_context
from sqlalchemy import select

from app.extensions import db
from app.models import Setting


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    default: Any
    minimum: int | None = None
    maximum: int | None = None
    group: str = "General"
    help: str = ""

    @property
    def kind(self) -> type:
        return type(self.default)


DEFINITIONS: dict[str, Definition] = {
    d.key: d
    for d in (
        Definition(
            "site_name",
            "Site name",
            "Gatehouse",
            1,
            60,
            help="Shown in the header, in every page title and in the mail the site sends.",
        ),
        Definition(
            "registration_open",
            "Registration open",
            True,
            group="Accounts",
            help="Anyone may create an account. When off, only administrators create them and "
            "the sign-up page says registration is closed.",
        ),
        Definition(
            "password_min_length",
            "Minimum password length",
            15,
            6,
            64,
            "Accounts",
            "The shortest password anyone may choose. NIST SP 800-63B-4 asks for 15 when the "
            "password is the only factor.",
        ),
        Definition(
            "login_ip_per_minute",
            "Sign-in attempts per minute per IP",
            10,
            1,
            1000,
            "Limits",
            "Sign-in attempts one address may make in a minute, successful or not.",
        ),
        Definition(
            "login_account_per_minute",
            "Failed sign-ins per minute per account",
            5,
            1,
            100,
            "Limits",
            "Failed sign-ins one account may have in a minute, from any address.",
        ),
        Definition(
            "login_max_failures",
            "Consecutive failures before sign-in stops",
            100,
            5,
            100,
            "Limits",
            "Password sign-in then stays closed until an admin unlocks the account or a "
            "recovery succeeds.",
        ),
        Definition(
            "recovery_answers_per_day",
            "Wrong answers per account per 24 h",
            5,
            1,
            20,
            "Limits",
            "Wrong security answers before question recovery closes for that account.",
        ),
        Definition(
            "recovery_ip_per_hour",
            "Recovery answers per hour per IP",
            20,
            1,
            1000,
            "Limits",
            "Security answers one address may send in an hour.",
        ),
        Definition(
            "forgot_account_per_hour",
            "Recovery requests per hour per account",
            5,
            1,
            100,
            "Limits",
            "Each can mail a recovery link, which cancels the last one.",
        ),
        Definition(
            "forgot_ip_per_hour",
            "Recovery requests per hour per IP",
            20,
            1,
            10000,
            "Limits",
            "Recovery requests one address may start in an hour.",
        ),
        Definition(
            "signup_ip_per_hour",
            "Sign-ups per hour per IP",
            10,
            1,
            10000,
            "Limits",
            "Accounts one address may create in an hour.",
        ),
        Definition(
            "signup_email_per_hour",
            "Sign-ups per hour per email address",
            5,
            1,
            100,
            "Limits",
            "Sign-up attempts with the same email address in an hour.",
        ),
        Definition(
            "temp_password_minutes",
            "Temporary password lifetime (minutes)",
            15,
            5,
            1440,
            "Sessions",
            "How long a temporary password from recovery, or an emailed recovery link, works.",
        ),
        Definition(
            "session_idle_minutes",
            "Session idle timeout (minutes)",
            60,
            5,
            1440,
            "Sessions",
            "A session unused this long ends. Sessions with “Remember me” do not time out.",
        ),
        Definition(
            "session_lifetime_hours",
            "Session lifetime (hours)",
            12,
            1,
            720,
            "Sessions",
            "The longest a session lasts, however active, unless “Remember me” was ticked.",
        ),
        Definition(
            "remember_days",
            "Remember-me lifetime (days)",
            30,
            1,
            30,
            "Sessions",
            "How long a session started with “Remember me” lasts.",
        ),
        Definition(
            "invitation_days",
            "Invitation lifetime (days)",
            7,
            1,
            60,
            "Organizations",
            "How long an invitation to join an organization can be accepted.",
        ),
        Definition(
            "recovery_email_link",
            "Require an emailed link before the security question",
            False,
            group="Accounts",
            help="Only someone who can read the account's mail then sees its question. Only "
            "takes effect when mail is configured.",
        ),
        Definition(
            "free_personal_projects",
            "Free: projects in a personal workspace",
            3,
            0,
            10000,
            "Plans",
            "Projects a person on the Free plan may keep in their personal workspace.",
        ),
        Definition(
            "free_owned_orgs",
            "Free: organizations a person may own",
            1,
            0,
            1000,
            "Plans",
            "Organizations a person on the Free plan may create and own.",
        ),
        Definition(
            "free_org_members",
            "Free: members per organization (owner included)",
            3,
            1,
            10000,
            "Plans",
            "Members plus pending invitations of an organization on the Free plan.",
        ),
        Definition(
            "free_org_projects",
            "Free: projects per organization",
            3,
            0,
            10000,
            "Plans",
            "Projects an organization on the Free plan may have.",
        ),
        Definition(
            "solo_org_members",
            "Solo: members per owned organization",
            2,
            1,
            10000,
            "Plans",
            "Members plus pending invitations of each organization a Solo subscriber owns.",
        ),
        Definition(
            "stats_max_days",
            "Longest statistics range (days)",
            366,
            7,
            3660,
            "Admin",
            "The most days the statistics page and its export cover at once.",
        ),
        Definition(
            "sso_required_domains",
            "Domains that must use single sign-on",
            "",
            0,
            500,
            "Accounts",
            "Email domains, separated by commas (example.com, example.org). Accounts with such "
            "an address cannot sign in with a password and are sent to their identity provider; "
            "administrators keep their password.",
        ),
        Definition(
            "require_2fa_admins",
            "Administrators must use a second factor",
            False,
            group="Security",
            help="An authenticator app or a passkey, asked for after the password. An "
            "administrator without one can only enroll until they have.",
        ),
        Definition(
            "require_2fa_everyone",
            "Everyone must use a second factor",
            False,
            group="Security",
            help="As above, for every account. Organization owners can also require it of "
            "their members only.",
        ),
        Definition(
            "factor_grace_days",
            "Days to enroll once required",
            7,
            0,
            90,
            "Security",
            "How long a person who must use a second factor may still go on without one, "
            "counted from the first sign-in after the requirement applied; 0 asks at once.",
        ),
    )
}


REVISION_KEY = "_revision"
_CACHE = "gatehouse.settings"  # app.extensions key: (revision, values), per app and process
_UNSEEN = object()


def _revision_query():
    return select(Setting.value).where(Setting.key == REVISION_KEY)


def revision_column():
    """The revision as a column, for statements that fetch it on the side."""
    return _revision_query().scalar_subquery()


def seen_revision(revision: str | None) -> None:
    """Record the revision another statement of this request fetched (the session lookup)."""
    if has_request_context():
        g.settings_revision = revision


def _load() -> tuple[str | None, dict[str, Any]]:
    stored = {row.key: row.value for row in db.session.scalars(select(Setting))}
    revision = stored.pop(REVISION_KEY, None)
    values = {
        key: json.loads(stored[key]) if key in stored else d.default
        for key, d in DEFINITIONS.items()
    }
    return revision, values


def _cached() -> dict[str, Any]:
    copy = current_app.extensions.get(_CACHE)
    if copy is not None:
        revision = g.get("settings_revision", _UNSEEN)
        if revision is _UNSEEN:
            revision = db.session.scalar(_revision_query())
        if copy[0] == revision:
            return copy[1]
    revision, values = _load()
    # Not after a write in this request: the values may not be committed yet.
    if not g.get("settings_written"):
        current_app.extensions[_CACHE] = (revision, values)
    return values


def all_values() -> dict[str, Any]:
    if not has_request_context():
        return _load()[1]
    if "settings" not in g:
        g.settings = _cached()
    return g.settings


def get(key: str) -> Any:
    return all_values()[key]


def problem(key: str, value: Any) -> str | None:
    """Why `value` is not acceptable for `key`, or None."""
    d = DEFINITIONS[key]
    if not isinstance(value, d.kind):
        return f"{d.label}: expected a {d.kind.__name__}."
    size = len(value) if isinstance(value, str) else cast(float, value)
    if d.kind is not bool and d.minimum is not None and size < d.minimum:
        return f"{d.label} must be at least {d.minimum}."
    if d.kind is not bool and d.maximum is not None and size > d.maximum:
        return f"{d.label} must be at most {d.maximum}."
    return None


def set_many(values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Store the values that changed; returns {key: (old, new)}. The caller commits."""
    current = _load()[1]
    changed = {}
    for key, value in values.items():
        if problem(key, value):
            raise ValueError(problem(key, value))
        if current[key] != value:
            changed[key] = (current[key], value)
            db.session.merge(Setting(key=key, value=json.dumps(value)))
    if changed:  # every worker reads the settings again at its next request
        db.session.merge(Setting(key=REVISION_KEY, value=secrets.token_hex(8)))
    current_app.extensions.pop(_CACHE, None)
    if has_request_context():
        g.pop("settings", None)
        g.settings_written = True
    return changed
