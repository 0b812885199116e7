"""Headers, cookies, proxies, error pages and the access rules of every route (SECURITY.md)."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import text
from werkzeug.routing import IntegerConverter, UUIDConverter

from app import create_app
from app.extensions import db
from tests.conftest import base_config
from tests.factories import PASSWORD
from tests.formclient import FormClient

REQUIRED_CSP = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}
# Written out on purpose: a route someone adds later is private unless it is listed here.
PUBLIC_GET = [
    re.compile(p)
    for p in (
        r"^/login$",
        r"^/signup$",
        r"^/forgot$",
        r"^/forgot/answer$",
        r"^/healthz$",
        r"^/forgot/link/<[^>]+>$",  # the emailed recovery link is followed by a signed-out person
        r"^/static/",
        r"^/favicon\.ico$",  # a redirect to the static icon
        r"^/invitations/<[^>]+>$",
        r"^/billing/webhook(/|$)",
        r"^/login/sso$",  # single sign-on starts and returns signed out (SPEC §8)
        r"^/auth/(oidc|saml|social)/",
        r"^/scim/v2(/|$)",  # a bearer token or 401, never the sign-in page (tests/scim)
    )
]
# The SAML response arrives by a cross-site POST from the identity provider: its signature and
# the id of our request it answers protect it, not our token.
CSRF_EXEMPT = {"/billing/webhook", "/auth/saml/<idp>/acs"}
# SCIM clients authenticate with a bearer token; no cookie is read there (tests/scim).
CSRF_EXEMPT |= {"/scim/v2", "/scim/v2/<path:rest>"}


def csp(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {
        part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()
    }


def assert_hardened(response) -> None:
    directives = csp(response)
    for name, value in REQUIRED_CSP.items():
        assert directives.get(name) == value, (response.status, name, directives)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers.get("Referrer-Policy")
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


def offline_app(database, **extra):
    """An app whose database is a closed port on this machine."""
    _fresh, instance = database
    url = "postgresql+psycopg://postgres@127.0.0.1:1/gatehouse_nowhere"
    return create_app(base_config(url, instance), **extra)


# --- headers and error pages ------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/login", 200),
        ("GET", "/no-such-page", 404),
        ("TRACE", "/login", 405),
        ("DELETE", "/login", 405),
        ("GET", "/account", 302),
        ("GET", "/static/css/app.css", 200),
        ("GET", "/healthz", 200),
    ],
)
def test_every_response_carries_the_security_headers(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert_hardened(response)


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500, 503])
def test_error_pages_render_in_the_layout(app, code):
    from app.errors import MESSAGES, render_error

    with app.test_request_context("/"):
        html, status = render_error(code)
    assert status == code
    assert MESSAGES[code][0] in html and 'class="site-header"' in html and f"Error {code}" in html


def test_body_over_the_limit_gets_413(client):
    client.get("/login")
    response = client.post("/login", data={"login": "x" * (1024 * 1024 + 10), "password": "y"})
    assert response.status_code == 413
    assert "larger than this site accepts" in response.get_data(as_text=True)
    assert_hardened(response)


def test_unexpected_error_gives_500_page_without_traceback(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/test-explode", "test_explode", explode)
    response = client.get("/test-explode")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html
    assert "Traceback" not in html and "secret internals" not in html
    assert_hardened(response)


def test_database_outage_gives_503_pages(database):
    app = offline_app(database)
    client = app.test_client()
    for path in ("/login", "/signup", "/healthz"):
        response = client.get(path)
        assert response.status_code == 503, path
        body = response.get_data(as_text=True)
        assert "Traceback" not in body and "psycopg" not in body
        assert_hardened(response)
    assert "database" in client.get("/login").get_data(as_text=True)
    assert client.get("/healthz").get_json()["database"] == "down"


def test_sign_in_during_an_outage_is_a_503_not_a_rate_limit_storage_failure(database, caplog):
    app = offline_app(database, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    with caplog.at_level("WARNING", logger="flask-limiter"):
        for _ in range(3):
            response = client.post("/login", data={"login": "ann", "password": "x" * 20})
            assert response.status_code == 503
    assert not [r for r in caplog.records if r.name == "flask-limiter"], caplog.text


def test_error_pages_keep_their_status_during_an_outage(database):
    """A 404 or 429 needs no database, but its layout asks for the site name and who is signed
    in: with the database down that must not turn the page into a 500."""
    app = offline_app(database, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Not found" in response.get_data(as_text=True)
    assert_hardened(response)
    # Sign-in limits live outside the database: past the limit (10 a minute per address by
    # default), the answer is 429, not the 503 of the attempts before it, and never a 500.
    statuses = [
        client.post("/login", data={"login": "ann", "password": "x" * 20}).status_code
        for _ in range(12)
    ]
    first_429 = statuses.index(429)
    assert statuses[0] == 503 and set(statuses[first_429:]) == {429}, statuses
    assert set(statuses[:first_429]) == {503}, statuses


def test_production_config_does_not_propagate_exceptions(database):
    _fresh, instance = database
    app = create_app({**base_config("sqlite://", instance), "TESTING": False})
    assert not app.config["PROPAGATE_EXCEPTIONS"] and not app.debug


# --- cookies, HTTPS and proxies ---------------------------------------------------------------


def cookie_header(response, name_suffix="session") -> str:
    return next(
        (
            h
            for h in response.headers.getlist("Set-Cookie")
            if h.split("=", 1)[0].endswith(name_suffix)
        ),
        "",
    )


def test_plain_http_cookie_flags(client, make_user):
    make_user(username="flags")
    response = client.submit("/login", {"login": "flags", "password": PASSWORD})
    cookie = cookie_header(response)
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie


def proxied_app(app, database, proxies: int):
    """A second app on the same database, behind `proxies` trusted proxies."""
    from flask import url_for

    _fresh, instance = database
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    behind = create_app(base_config(url, instance), TRUSTED_PROXIES=proxies)
    behind.test_client_class = FormClient
    behind.add_url_rule(
        "/test-external", "test_external", lambda: url_for("auth.login", _external=True)
    )
    return behind


HTTPS = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "198.51.100.7",
    "X-Forwarded-Host": "gatehouse.example.com",
}


def test_behind_a_trusted_proxy_https_gives_secure_host_cookie_and_hsts(app, database):
    client = proxied_app(app, database, 1).test_client()
    response = client.get("/login", headers=HTTPS)
    cookie = cookie_header(response)
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    location = client.get("/account", headers=HTTPS).headers["Location"]
    assert location.startswith("/login") or location.startswith("https://")
    link = client.get("/test-external", headers=HTTPS).get_data(as_text=True)
    assert link == "https://gatehouse.example.com/login"


def test_only_the_trusted_number_of_hops_is_believed(app, database, make_user):
    make_user(username="hops")
    client = proxied_app(app, database, 1).test_client()
    client.submit(
        "/login",
        {"login": "hops", "password": "wrong one"},
        headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7"},
    )
    from tests.auth.helpers import actions

    assert actions("login.failed")[0].ip == "198.51.100.7"


def test_untrusted_forwarded_headers_are_ignored(client):
    response = client.get("/login", headers=HTTPS)
    assert cookie_header(response).startswith("session=")
    assert "Secure" not in cookie_header(response)
    assert "Strict-Transport-Security" not in response.headers


def test_authenticated_pages_are_not_cached(client, make_user, login_as):
    login_as(make_user(username="cached"))
    for path in ("/", "/account", "/account/sessions", "/account/password"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
        assert_hardened(response)


def test_no_store_is_decided_without_the_database(app, make_user):
    """After a view commits, the signed-in user's columns are expired; deciding no-store must
    not reload them (while PostgreSQL shut down, that reload turned a saved form into a 500)."""
    from flask import g
    from sqlalchemy.orm.exc import DetachedInstanceError

    from app.extensions import db
    from app.security import set_security_headers

    user = make_user(username="expired")
    db.session.expire(user)
    db.session.expunge(user)  # any load of its columns now raises instead of querying
    with pytest.raises(DetachedInstanceError):
        _ = user.is_disabled
    with app.test_request_context("/"):
        g._login_user = user
        response = set_security_headers(app.response_class("saved"))
    assert response.headers["Cache-Control"] == "no-store"


def test_every_authenticated_page_offers_sign_out(client, make_user, login_as):
    login_as(make_user(username="exit"))
    for path in (
        "/",
        "/account",
        "/account/sessions",
        "/account/password",
        "/account/security-question",
    ):
        assert 'action="/logout"' in client.get(path).get_data(as_text=True), path


def test_sql_metacharacters_get_ordinary_answers(client, make_user):
    make_user(username="bobby")
    for name in ("bobby'; DROP TABLE users; --", "' OR '1'='1", '"; SELECT 1; --'):
        response = client.submit("/login", {"login": name, "password": "' OR 1=1 --"})
        assert response.status_code == 401
    assert db.session.execute(text("SELECT count(*) FROM users")).scalar() == 1


def test_script_in_names_is_escaped(client, make_user, login_as):
    login_as(make_user(username="xss", display_name="<script>alert(1)</script>"))
    html = client.get("/account").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


# --- walking the URL map ----------------------------------------------------------------------


def _value_for(rule, argument):
    converter = rule._converters.get(argument)
    if isinstance(converter, UUIDConverter):
        return uuid.uuid4()
    if isinstance(converter, IntegerConverter):
        return 1
    return "1"


def urls(app, method: str, where=lambda rule: True) -> list[str]:
    found = []
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or not where(rule):
            continue
        values = {arg: _value_for(rule, arg) for arg in rule.arguments}
        found.append(rule.build(values, append_unknown=False)[1])
    return sorted(set(found))


def snapshot() -> dict:
    db.session.expire_all()
    return {
        table.name: db.session.execute(table.select().order_by(*table.primary_key.columns)).all()
        for table in db.metadata.sorted_tables
    }


def test_every_post_route_refuses_a_missing_csrf_token(app, client, admin, login_as):
    login_as(admin)
    client.get("/")
    targets = urls(app, "POST", lambda r: r.rule not in CSRF_EXEMPT)
    assert "/logout" in targets and "/login" in targets and "/signup" in targets
    before = snapshot()
    wrong = {url: client.post(url, data={"x": "1"}).status_code for url in targets}
    assert {url: code for url, code in wrong.items() if code != 400} == {}
    bad_token = client.post("/logout", data={"csrf_token": "forged"})
    assert bad_token.status_code == 400
    assert snapshot() == before
    assert client.get("/").status_code == 200, "still signed in: nothing changed"


def test_every_private_get_route_sends_anonymous_users_to_login(app, client):
    private = urls(app, "GET", lambda r: not any(p.search(r.rule) for p in PUBLIC_GET))
    assert "/" in private and "/account/sessions" in private
    leaks = {}
    for url in private:
        response = client.get(url)
        if response.status_code != 302 or not response.headers["Location"].startswith("/login"):
            leaks[url] = response.status_code
    assert leaks == {}


def test_every_admin_route_is_404_for_a_signed_in_non_admin(app, client, make_user, login_as):
    login_as(make_user(username="curious"))
    token = client.csrf_token("/account")
    is_admin = lambda rule: rule.rule.startswith("/admin")  # noqa: E731
    answers = {("GET", url): client.get(url).status_code for url in urls(app, "GET", is_admin)}
    answers.update(
        {
            ("POST", url): client.post(url, data={"csrf_token": token}).status_code
            for url in urls(app, "POST", is_admin)
        }
    )
    assert answers, "the admin panel has routes"
    assert {key: code for key, code in answers.items() if code != 404} == {}
