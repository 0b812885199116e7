"""/admin/sso: the configured identity providers, the URLs to paste into each, and the last
federated sign-ins (SPEC §8)."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from app.admin import audit_words, bp
from app.extensions import db
from app.models import AuditEvent
from app.sso import accounts, config

EVENTS = ("sso.login", "sso.failed", "sso.linked", "sso.unlinked", "sso.link_offered")


@bp.get("/sso")
def sso_overview():
    """The providers, the URLs to paste into each, and the last federated sign-ins."""
    found = config.current()
    recent = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(EVENTS))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "admin/sso.html",
        config=found,
        providers=found.everything(),
        recent=recent,
        required=sorted(accounts.required_domains()),
        words=audit_words,
    )
