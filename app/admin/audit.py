"""The audit log: filter, page through, export."""

from __future__ import annotations

from flask import render_template, request

from app import paging
from app.admin import audit_log, audit_words, bp
from app.admin.export import text_error, tsv_response
from app.admin.forms import AuditFilterForm
from app.admin.web import url_with

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


def _page(form: AuditFilterForm, page=None):
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        actions=audit_words.actions(),
        words=audit_words,
        url_with=url_with,
        sizes=paging.PER_PAGE_CHOICES,
    )


@bp.get("/audit")
def audit():
    form, filters = _filters()
    if filters is None:
        return _page(form), 422
    return _page(form, audit_log.audit_page(filters, *paging.requested()))


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
