"""Gatehouse as deployed: PostgreSQL, Redis limits, gunicorn with 3 workers, nginx with TLS in
front (TRUSTED_PROXIES=1, deploy/nginx/gatehouse-proxy.conf). What a person behind the proxy
notices: the app knows their real address, limits them and nobody else, and everything is HTTPS."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.system import data
from tests.system.browser import Browser
from tests.system.conftest import ROOT, app_environment, require, wait_for

pytestmark = pytest.mark.system

LOGIN_LIMIT = 5


@pytest.fixture(scope="module")
def stack(gatehouse_database, private_redis, start_gunicorn, start_nginx):
    url, _name, instance = gatehouse_database
    data.create_users(url, "proxied", 2)
    data.set_settings(url, login_ip_per_minute=LOGIN_LIMIT, login_account_per_minute=100)
    redis_url = f"redis://127.0.0.1:{private_redis.port}/1"
    env = app_environment(url, redis_url, instance, TRUSTED_PROXIES=1, BASE_URL="https://localhost")
    gunicorn = start_gunicorn(env, workers=3)
    nginx = start_nginx(gunicorn.port)

    class Stack:
        pass

    stack = Stack()
    stack.url, stack.gunicorn, stack.nginx, stack.redis = url, gunicorn, nginx, private_redis

    def browser(source: str | None = None) -> Browser:
        return Browser(nginx.port, tls=nginx.ssl_context(), source=source)

    stack.browser = browser
    return stack


def test_app_sees_the_client_address_nginx_saw_not_a_forged_one(stack):
    client = stack.browser("127.0.0.2")
    forged = {
        "X-Forwarded-For": "203.0.113.9",
        "X-Real-IP": "203.0.113.9",
        "Forwarded": "for=203.0.113.9",
    }
    token = client.get("/login", headers=forged).csrf_token()
    answer = client.post(
        "/login",
        {"login": "proxied0", "password": data.PASSWORD, "csrf_token": token},
        headers=forged,
    )
    assert answer.status == 303

    rows = data.query(
        stack.url,
        "SELECT ip FROM audit_events WHERE action LIKE 'login%' AND actor_name = 'proxied0'",
    )
    assert rows and {ip for (ip,) in rows} == {"127.0.0.2"}
    assert data.query(
        stack.url,
        "SELECT s.ip FROM user_sessions s JOIN users u "
        "ON u.id = s.user_id WHERE u.username = 'proxied0'",
    ) == [("127.0.0.2",)]
    sessions_page = client.get("/account/sessions", headers=forged)
    assert sessions_page.status == 200
    assert "127.0.0.2" in sessions_page.text and "203.0.113.9" not in sessions_page.text

    # gunicorn's access log names the real client too.
    def logged():
        return re.search(
            r"^127\.0\.0\.2 \[.*\"POST /login ", stack.gunicorn.access_log.read_text(), re.M
        )

    wait_for(logged, 5, "the access log line")
    assert "203.0.113.9" not in stack.gunicorn.access_log.read_text()


def _failed_login(client: Browser, headers: dict | None = None):
    token = client.get("/login").csrf_token()
    return client.post(
        "/login",
        {
            "login": f"nobody-{uuid.uuid4().hex[:8]}",
            "password": "wrong password",
            "csrf_token": token,
        },
        headers=headers or {},
    )


def test_rate_limits_key_on_each_client_address_across_workers(stack):
    first, second = stack.browser("127.0.0.3"), stack.browser("127.0.0.4")
    statuses = [_failed_login(first).status for _ in range(LOGIN_LIMIT)]
    assert statuses == [401] * LOGIN_LIMIT  # spread over 3 workers, counted together in Redis
    throttled = _failed_login(first)
    assert throttled.status == 429
    assert "Too many attempts" in throttled.text and throttled.header("Retry-After")

    # A forged X-Forwarded-For does not buy a fresh allowance: nginx overwrites it.
    for fake in ("198.51.100.1", "127.0.0.4", "198.51.100.2, 127.0.0.9"):
        assert _failed_login(first, {"X-Forwarded-For": fake}).status == 429

    # Another person behind the same proxy is not throttled by the first one's attempts.
    assert _failed_login(second).status == 401
    keys = stack.redis.client(db=1).keys("*")
    assert any("127.0.0.3" in k for k in keys), keys  # the limits really live in Redis


def test_https_cookies_hsts_and_links_behind_the_proxy(stack):
    client = stack.browser("127.0.0.5")
    page = client.get("/login")
    assert page.status == 200
    assert page.header("Strict-Transport-Security", "").startswith("max-age=")
    cookie = next(c for c in page.set_cookies if c.startswith("__Host-"))
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path"} <= attributes and "domain" not in attributes
    assert "SameSite=Lax" in cookie
    assert not re.search(r'(href|action|src)="http://', page.text)

    redirect = client.get("/")
    assert redirect.status in (302, 303)
    location = redirect.header("Location")
    assert location.startswith("/") or location.startswith("https://"), location

    signed_in = client.post(
        "/login", {"login": "proxied1", "password": data.PASSWORD, "csrf_token": page.csrf_token()}
    )
    assert signed_in.status == 303
    assert signed_in.header("Location").startswith(("/", "https://"))
    assert all(c.startswith("__Host-") and "Secure" in c for c in signed_in.set_cookies)
    dashboard = client.get("/")
    assert dashboard.status == 200 and dashboard.header("Cache-Control") == "no-store"

    # The same app reached without the proxy (plain HTTP) sends none of this: the HTTPS
    # behaviour above really comes from nginx's headers.
    direct = Browser(stack.gunicorn.port).get("/login")
    assert direct.header("Strict-Transport-Security") is None
    assert not any(c.startswith("__Host-") or "Secure" in c for c in direct.set_cookies)


def test_forged_proto_host_and_prefix_headers_are_replaced_by_nginx(stack):
    client = stack.browser("127.0.0.6")
    page = client.get(
        "/login",
        headers={
            "X-Forwarded-Proto": "http",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Prefix": "/evil",
            "X-Forwarded-Port": "1",
        },
    )
    assert page.status == 200
    assert page.header("Strict-Transport-Security")  # still seen as HTTPS
    assert any(c.startswith("__Host-") for c in page.set_cookies)
    assert "evil" not in page.text and ":1/" not in page.text


def test_nginx_serves_static_files_with_cache_headers_and_limits_bodies(stack):
    client = stack.browser()
    css = client.get("/static/css/app.css")
    assert css.status == 200 and css.header("Content-Type", "").startswith("text/css")
    assert css.header("Cache-Control") == "public, max-age=3600"
    assert css.header("X-Content-Type-Options") == "nosniff"
    assert css.body == (ROOT / "static/css/app.css").read_bytes()
    assert "/static/css/app.css" not in stack.gunicorn.access_log.read_text()

    big = client.request(
        "POST",
        "/login",
        body=b"x" * (1024 * 1024 + 10),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert big.status == 413
    # Just under the limit reaches the app, which answers as for any bad form (no 5xx).
    near = stack.browser().request(
        "POST",
        "/login",
        body=b"login=" + b"a" * (1024 * 1000),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert near.status in (400, 413, 422)


def test_health_check_through_the_proxy(stack):
    answer = stack.browser().get("/healthz")
    assert answer.status == 200 and b'"database":"up"' in answer.body.replace(b" ", b"")


def test_example_nginx_site_is_valid(tmp_path):
    """deploy/nginx/gatehouse.conf, with its paths pointed at real files, passes `nginx -t`."""
    require(shutil.which("nginx") is not None, "nginx")
    site = (ROOT / "deploy/nginx/gatehouse.conf").read_text()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(tmp_path / "key.pem"),
            "-out",
            str(tmp_path / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    site = (
        site.replace(
            "/etc/letsencrypt/live/gatehouse.example.com/fullchain.pem", str(tmp_path / "cert.pem")
        )
        .replace(
            "/etc/letsencrypt/live/gatehouse.example.com/privkey.pem", str(tmp_path / "key.pem")
        )
        .replace("/srv/gatehouse/", f"{ROOT}/")
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{ include /etc/nginx/mime.types; "
        f"access_log off; include {tmp_path}/site.conf; }}\n"
    )
    check = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert check.returncode == 0, check.stderr
    assert "test is successful" in check.stderr
    assert Path(ROOT / "deploy/systemd/gatehouse.service").read_text().count("ExecStart=") == 1
