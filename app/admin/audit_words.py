"""Audit events as people read them: "alice disabled bob", "carol changed setting Site name".

One table from action code to a short label (for the action filter) and a sentence whose
placeholders are {actor}, {target}, {org} and {setting}. The raw code stays what the log stores
and what the TSV export writes; a code not listed here (a newer feature's) reads as itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter

from app import settings

WORDS: dict[str, tuple[str, str]] = {
    "signup": ("Signed up", "{actor} signed up"),
    "login.ok": ("Signed in", "{actor} signed in"),
    "login.failed": ("Sign-in failed", "Failed sign-in as {target}"),
    "logout": ("Signed out", "{actor} signed out"),
    "sso.login": ("Signed in with SSO", "{actor} signed in through single sign-on"),
    "sso.failed": ("SSO sign-in failed", "Failed single sign-on through {target}"),
    "sso.link_offered": ("SSO link offered", "Single sign-on offered to link {target}"),
    "sso.linked": ("Identity linked", "{actor} linked a single sign-on identity"),
    "sso.unlinked": ("Identity unlinked", "{actor} unlinked a single sign-on identity"),
    "session.active": ("Used a session", "{actor} used the site"),
    "session.revoked": ("Sessions ended", "{actor} ended sessions of {target}"),
    "token.created": ("API token created", "{actor} created an API token for {target}"),
    "token.revoked": ("API token revoked", "{actor} revoked an API token of {target}"),
    "password.changed": ("Password changed", "{actor} changed their password"),
    "factor.app_added": ("Authenticator app added", "{actor} set up an authenticator app"),
    "factor.app_removed": ("Authenticator app removed", "{actor} removed their authenticator app"),
    "factor.passkey_added": ("Passkey added", "{actor} added a passkey"),
    "factor.passkey_removed": ("Passkey removed", "{actor} removed a passkey"),
    "factor.codes_regenerated": ("Recovery codes renewed", "{actor} made new recovery codes"),
    "factor.recovery_code_used": ("Recovery code used", "{actor} signed in with a recovery code"),
    "factor.failed": ("Second factor failed", "A wrong second factor was given for {target}"),
    "factor.device_remembered": ("Device remembered", "{actor} chose to remember a device"),
    "factor.device_forgotten": ("Device forgotten", "{actor} forgot a remembered device"),
    "recovery.ok": ("Recovered", "{target} recovered their account with the security question"),
    "recovery.failed": ("Recovery failed", "Failed recovery for {target}"),
    "recovery.locked": ("Recovery closed", "Question recovery closed for {target}"),
    "recovery.temporary_password_used": (
        "Temporary password used",
        "{actor} signed in with a temporary password",
    ),
    "recovery.link_requested": ("Recovery link asked for", "Recovery link asked for {target}"),
    "recovery.link_sent": ("Recovery link sent", "Recovery link sent to {target}"),
    "recovery.link_not_sent": ("Recovery link not sent", "No recovery link sent for {target}"),
    "account.email_changed": ("Email changed", "{actor} changed their email address"),
    "account.question_changed": ("Question changed", "{actor} changed their security question"),
    "account.email_verification_sent": (
        "Verification link sent",
        "Verification link sent to {target}",
    ),
    "account.email_verified": ("Email verified", "{actor} verified their email address"),
    "admin.default_created": ("Default admin created", "Default administrator {target} created"),
    "admin.user_created": ("User created", "{actor} created {target}"),
    "admin.user_updated": ("User edited", "{actor} edited {target}"),
    "admin.user_disabled": ("User disabled", "{actor} disabled {target}"),
    "admin.user_enabled": ("User enabled", "{actor} enabled {target}"),
    "admin.user_unlocked": ("User unlocked", "{actor} unlocked {target}"),
    "admin.user_deleted": ("User deleted", "{actor} deleted {target}"),
    "admin.user_renamed": ("User renamed", "{actor} renamed {target}"),
    "admin.factors_reset": ("Second factors reset", "{actor} reset the second factors of {target}"),
    "admin.password_reset": (
        "Temporary password set",
        "{actor} set a temporary password for {target}",
    ),
    "admin.email_verified": ("Email vouched for", "{actor} marked the email of {target} verified"),
    "settings.changed": ("Setting changed", "{actor} changed setting {setting}"),
    "org.created": ("Organization created", "{actor} created organization {target}"),
    "org.member_added": ("Member added", "{actor} added {target} to {org}"),
    "org.require_2fa": (
        "Second factor requirement",
        "{actor} changed whether {org} requires a second factor",
    ),
    "org.updated": ("Organization edited", "{actor} edited organization {target}"),
    "org.deleted": ("Organization deleted", "{actor} deleted organization {target}"),
    "org.role_changed": ("Role changed", "{actor} changed the role of {target} in {org}"),
    "org.member_removed": ("Member removed", "{actor} removed {target} from {org}"),
    "org.member_left": ("Member left", "{actor} left {org}"),
    "org.ownership_transferred": ("Ownership transferred", "{actor} gave {org} to {target}"),
    "invitation.created": ("Invitation sent", "{actor} invited {target} to {org}"),
    "invitation.resent": ("Invitation resent", "{actor} invited {target} to {org} again"),
    "invitation.revoked": ("Invitation withdrawn", "{actor} withdrew the invitation of {target}"),
    "invitation.accepted": ("Invitation accepted", "{actor} joined {org}"),
    "invitation.declined": ("Invitation declined", "{actor} declined to join {org}"),
    "project.created": ("Project created", "{actor} created project {target}"),
    "project.assigned": ("Project assigned", "{actor} assigned people to project {target}"),
    "project.deleted": ("Project deleted", "{actor} deleted project {target}"),
    "project.transferred": ("Project moved", "{actor} moved project {target}"),
    "plan.granted": ("Plan granted", "{actor} granted a plan to {target}"),
    "plan.revoked": ("Plan revoked", "{actor} revoked the plan of {target}"),
    "subscription.created": ("Subscription started", "Subscription started for {target}"),
    "subscription.updated": ("Subscription changed", "Subscription changed for {target}"),
    "subscription.cancelled": ("Subscription cancelled", "Subscription cancelled for {target}"),
}

# Words for a value the event lacks: no actor means the command line or a Stripe webhook; an
# organization deleted since leaves no slug.
MISSING = {
    "actor": "the system",
    "target": "someone",
    "org": "an organization",
    "setting": "(unknown)",
}


@dataclass(frozen=True)
class Part:
    """A piece of a sentence: plain text, or a name the page may link (kind = the placeholder)."""

    text: str
    kind: str = "text"


def label(action: str) -> str:
    return WORDS[action][0] if action in WORDS else action


def actions() -> list[tuple[str, str]]:
    """(code, label) for the action filter, by label."""
    return sorted(((code, words[0]) for code, words in WORDS.items()), key=lambda a: a[1])


def _setting_label(detail: str | None) -> str:
    key = (detail or "").partition(":")[0].strip()
    found = settings.DEFINITIONS.get(key)
    return found.label if found else key


def sentence(event, org_slug: str | None = None) -> list[Part]:
    """The event in words, as parts; an unknown code is the code itself."""
    if event.action not in WORDS:
        return [Part(event.action)]
    values = {
        "actor": event.actor_name,
        "target": event.target,
        "org": org_slug,
        "setting": _setting_label(event.detail),
    }
    parts = []
    for text, field, _spec, _conversion in Formatter().parse(WORDS[event.action][1]):
        if text:
            parts.append(Part(text))
        if field:
            value = values[field]
            parts.append(Part(value, field) if value else Part(MISSING[field]))
    if parts and parts[0].kind == "text":
        parts[0] = Part(parts[0].text[:1].upper() + parts[0].text[1:])
    return parts


def plain(event, org_slug: str | None = None) -> str:
    return "".join(p.text for p in sentence(event, org_slug))
