"""/api/docs: the API reference for people, rendered by the vendored Swagger UI from the
OpenAPI document (no CDN; the page's only scripts are files of static/)."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for

bp = Blueprint("api_docs", __name__)


@bp.get("/api/docs")
def reference():
    return render_template("api/docs.html", spec_url=url_for("api-docs.openapi_json"))
