"""What the page shell (templates/base.html and its partials) needs, cheaply: the URLs it links
on every page, and /favicon.ico.

The layout links the same dozen endpoints and assets on every page. They depend only on the URL
map and the request's script root, so each is built once per script root and kept on the app:
two dozen url_for calls a page were a measurable share of the dashboard's cost against the
floor of bench/http.
"""

from __future__ import annotations

from flask import Flask, current_app, redirect, request, url_for

_BOUND = 512  # script roots come from trusted proxies only, but never let the cache grow


def _cached(key: tuple[str, str, str], build) -> str:
    cache: dict = current_app.extensions.setdefault("shell_urls", {})
    url = cache.get(key)
    if url is None:
        if len(cache) >= _BOUND:
            cache.clear()
        url = cache[key] = build()
    return url


def link(endpoint: str) -> str:
    """url_for(endpoint) of an endpoint without arguments, built once per script root."""
    return _cached((request.script_root, endpoint, ""), lambda: url_for(endpoint))


def asset(filename: str) -> str:
    """url_for("static", filename=…), built once per script root."""
    return _cached(
        (request.script_root, "static", filename), lambda: url_for("static", filename=filename)
    )


def _for_this_request() -> dict:
    """`link` and `asset` for the templates of this request: the script root and the cache are
    looked up once per page, not on each of its two dozen links."""
    root = request.script_root
    cache: dict = current_app.extensions.setdefault("shell_urls", {})
    if len(cache) >= _BOUND:
        cache.clear()

    def page_link(endpoint: str) -> str:
        url = cache.get((root, endpoint, ""))
        return url if url is not None else link(endpoint)

    def page_asset(filename: str) -> str:
        url = cache.get((root, "static", filename))
        return url if url is not None else asset(filename)

    return {"link": page_link, "asset": page_asset}


def favicon():
    """Browsers ask for /favicon.ico whatever the page links; point them at the SVG icon."""
    return redirect(asset("favicon.svg"), 301)


def init_app(app: Flask) -> None:
    app.add_template_global(link, "link")  # outside a request's render (mail), and for Python
    app.add_template_global(asset, "asset")
    app.context_processor(_for_this_request)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
