"""A test client that submits forms the way a browser does: with the page's CSRF token."""

from __future__ import annotations

import re

from flask.globals import _cv_app
from flask.testing import FlaskClient

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class FormClient(FlaskClient):
    def open(self, *args, **kwargs):
        """Each request gets its own `g`, as in production.

        The test's app context stays pushed (so test and app share one db.session), and Flask
        reuses a pushed app context for requests, so without this `g` (the loaded user, the
        cached settings, the CSRF token) would leak from one request into the next.
        """
        ctx = _cv_app.get(None)
        if ctx is None or ctx.app is not self.application:
            return super().open(*args, **kwargs)
        saved, ctx.g = ctx.g, self.application.app_ctx_globals_class()
        try:
            return super().open(*args, **kwargs)
        finally:
            ctx.g = saved

    def csrf_token(self, page: str | None = None) -> str:
        """The token from `page`, or from any page of the site that carries a form."""
        for url in filter(None, (page, "/account/sessions", "/login")):
            html = self.get(url, follow_redirects=True).get_data(as_text=True)
            found = TOKEN.search(html)
            if found:
                return found.group(1)
        raise AssertionError("no page offered a CSRF token")

    def submit(self, url: str, data: dict | None = None, page: str | None = None, **kw):
        """POST `data` to `url` with the token read from `page` (default: `url` itself)."""
        fields = dict(data or {})
        fields.setdefault("csrf_token", self.csrf_token(page or url))
        return self.post(url, data=fields, **kw)
