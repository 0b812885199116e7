"""Statistics per day: a chart, a table and the same table as TSV."""

from __future__ import annotations

from flask import render_template, request

from app.admin import bp, statistics
from app.admin.export import text_error, tsv_response
from app.admin.forms import DateRangeForm


def _range_form() -> DateRangeForm:
    return DateRangeForm(formdata=request.args)


@bp.get("/stats")
def stats():
    form = _range_form()
    if not form.validate():
        return render_template("admin/stats.html", form=form, days=None), 422
    days = statistics.per_day(form.start.data, form.end.data)
    return render_template(
        "admin/stats.html",
        form=form,
        days=days,
        columns=statistics.COLUMNS,
        totals=statistics.totals(days),
        chart=statistics.chart(days),
    )


@bp.get("/stats.tsv")
def stats_tsv():
    form = _range_form()
    if not form.validate():
        return text_error(form.first_error)
    start, end = form.start.data, form.end.data
    rows = statistics.table_rows(statistics.per_day(start, end))
    return tsv_response(f"gatehouse-stats-{start}-{end}.tsv", statistics.HEADER, rows)
