"""Statistics per day: a chart, a table and the same table as TSV."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template, request

from app.admin import bp, statistics
from app.admin.export import text_error, tsv_response
from app.admin.forms import DateRangeForm
from app.extensions import utcnow


def _range_form() -> DateRangeForm:
    return DateRangeForm(formdata=request.args)


# The quick ranges above the chart: (label, days), each ending today.
RANGES = (("7 days", 7), ("30 days", 30), ("90 days", 90), ("1 year", 365))


@bp.get("/stats")
def stats():
    form = _range_form()
    keys = statistics.measures(request.args.getlist("measure"))
    if not form.validate():
        return _page(form, keys), 422
    days = statistics.per_day(form.start.data, form.end.data)
    return _page(form, keys, days)


def _page(form: DateRangeForm, keys: tuple[str, ...], days=None) -> str:
    today = utcnow().date()
    return render_template(
        "admin/stats.html",
        form=form,
        days=days,
        columns=statistics.COLUMNS,
        colours=statistics.COLOURS,
        chosen=keys,
        # the URL keeps the measures only when they differ from the default
        measure_args=list(keys) if keys != statistics.CHARTED else None,
        ranges=[(label, today - timedelta(days=n - 1), today) for label, n in RANGES],
        totals=statistics.totals(days) if days else None,
        chart=statistics.chart(days, keys) if days else None,
    )


@bp.get("/stats.tsv")
def stats_tsv():
    form = _range_form()
    if not form.validate():
        return text_error(form.first_error)
    start, end = form.start.data, form.end.data
    rows = statistics.table_rows(statistics.per_day(start, end))
    return tsv_response(f"gatehouse-stats-{start}-{end}.tsv", statistics.HEADER, rows)
