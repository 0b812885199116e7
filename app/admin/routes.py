from flask import render_template

from app.admin import bp


@bp.get("/")
def overview():
    return render_template("admin/overview.html")
