"""The audit log: filter, page through, export."""

from __future__ import annotations

from flask import render_template, request

from app import paging
from app.admin import audit_log, bp
from app.admin.export import text_error, tsv_response
from app.admin.forms import AuditFilterForm
from app.admin.web import url_with

KNOWN_ACTIONS = (
    "signup",
    "login.ok",
    "login.failed",
    "logout",
    "session.active",
    "session.revoked",
    "password.changed",
    "recovery.ok",
    "recovery.failed",
    "recovery.locked",
    "recovery.temporary_password_used",
    "account.email_changed",
    "account.question_changed",
    "admin.default_created",
    "admin.user_created",
    "admin.user_updated",
    "admin.user_disabled",
    "admin.user_enabled",
    "admin.user_unlocked",
    "admin.user_deleted",
    "settings.changed",
    "org.created",
    "project.created",
    "subscription.created",
    "subscription.cancelled",
)
TSV_HEADER = ("Time (UTC)", "Actor", "Action", "Target", "IP", "Browser", "Detail")


def _filters() -> tuple[AuditFilterForm, audit_log.AuditFilter | None]:
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        return form, None
    return form, audit_log.AuditFilter(
        user=form.user.data or "",
        action=form.action.data or "",
        start=form.start.data,
        end=form.end.data,
    )


@bp.get("/audit")
def audit():
    form, filters = _filters()
    if filters is None:
        return render_template("admin/audit.html", form=form, page=None, actions=KNOWN_ACTIONS), 422
    page = audit_log.audit_page(filters, *paging.requested())
    return render_template(
        "admin/audit.html", form=form, page=page, actions=KNOWN_ACTIONS, url_with=url_with
    )


@bp.get("/audit.tsv")
def audit_tsv():
    form, filters = _filters()
    if filters is None:
        return text_error(next(e for f in form for e in f.errors))
    rows = (
        (created_at.strftime("%Y-%m-%d %H:%M:%S"), *rest)
        for created_at, *rest in audit_log.export_rows(filters)
    )
    return tsv_response("gatehouse-audit.tsv", TSV_HEADER, rows)
