"""Fixtures for tests that drive headless Chromium through Playwright, for every area.

`live_server` serves the app, on a fresh database from the `database` fixture, with werkzeug in a
thread on a free loopback port; it yields LiveServer(url, app). `page` is a Playwright page in a
fresh browser context; the test fails on any console error, page error or CSP violation, and a
screenshot of the last state goes to test-artifacts/screenshots/<test name>.png.

The walk of every page (test_pages.py) shares one server and one browser context per role across
many tests, so the pieces are also offered on their own: `serve(app)` and `watch(page)`.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests.conftest import ON_POSTGRES, REQUIRE_ALL, _empty_tables, base_config, own_limiter_keys

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Chromium reports CSP violations in the console; the listener also catches those it does not.
REPORT_CSP = (
    "document.addEventListener('securitypolicyviolation', e => console.error("
    "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
)


class LiveServer(NamedTuple):
    url: str
    app: Flask


def _unavailable(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def serve(database, overrides: dict | None = None) -> Iterator[LiveServer]:
    """The app on a fresh database (`database` is the fixture's value), served until the end."""
    fresh, instance = database
    app = create_app({**base_config(fresh(), instance), **(overrides or {})})
    own_limiter_keys(app)
    if ON_POSTGRES:
        with app.app_context():
            _empty_tables()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def live_server(database):
    with serve(database) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()
    playwright.stop()


def _console(message, problems: list[str]) -> None:
    # Chromium also logs every 4xx/5xx as "Failed to load resource"; pages answer 401/404/422 on
    # purpose, so statuses are judged by _subresource instead.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(f"console error: {message.text} at {message.location.get('url')}")


def _subresource(response, problems: list[str]) -> None:
    """A stylesheet, script or image that fails to load is a bug; a page's own status is not."""
    request = response.request
    if (
        response.status >= 400
        and request.resource_type != "document"
        and not request.url.endswith("/favicon.ico")
    ):
        problems.append(f"{request.resource_type} {request.url} answered {response.status}")


def watch(page) -> list[str]:
    """A list that fills with every console error, page error, CSP violation and failed
    subresource of `page` (CSP violations are reported only for documents loaded after this)."""
    page.context.add_init_script(REPORT_CSP)
    problems: list[str] = []
    page.on("console", lambda message: _console(message, problems))
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("response", lambda response: _subresource(response, problems))
    return problems


@pytest.fixture
def page(browser, request):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = watch(page)
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    try:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    finally:
        context.close()
    if problems:
        pytest.fail("the browser reported errors:\n" + "\n".join(problems))
