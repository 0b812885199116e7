"""A small stdlib HTTP client that behaves like a browser for the system tests: one connection
kept alive when the server allows it, a cookie jar, the page's CSRF token, a chosen source address
(127.0.0.x) so that several clients on one machine are several clients to the server."""

from __future__ import annotations

import http.client
import re
import ssl
import time
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
RETRYABLE = (
    http.client.RemoteDisconnected,
    ConnectionResetError,
    BrokenPipeError,
    http.client.CannotSendRequest,
    http.client.BadStatusLine,
)


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    elapsed: float
    set_cookies: list[str] = field(default_factory=list)

    def header(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return default

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def csrf_token(self) -> str | None:
        found = TOKEN.search(self.text)
        return found.group(1) if found else None


class Browser:
    def __init__(
        self,
        port: int,
        *,
        host: str = "127.0.0.1",
        tls: ssl.SSLContext | None = None,
        source: str | None = None,
        timeout: float = 15,
    ) -> None:
        self.port, self.host, self.tls, self.source = port, host, tls, source
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.origin = f"{'https' if tls else 'http'}://{host}:{port}"
        self.last_page: str | None = None  # sent as Referer, as a browser does (same origin)
        self._conn: http.client.HTTPConnection | None = None
        self._reused = False

    def _connect(self) -> http.client.HTTPConnection:
        source = (self.source, 0) if self.source else None
        if self.tls:
            conn = http.client.HTTPSConnection(
                self.host, self.port, context=self.tls, timeout=self.timeout, source_address=source
            )
        else:
            conn = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout, source_address=source
            )
        return conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self,
        method: str,
        path: str,
        fields=None,
        headers: dict | None = None,
        body: bytes | None = None,
    ) -> Response:
        headers = dict(headers or {})
        if fields is not None:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.setdefault("User-Agent", "gatehouse-system-test")
        if self.last_page:
            headers.setdefault("Referer", self.origin + self.last_page)
        for attempt in (1, 2):
            if self._conn is None:
                self._conn, self._reused = self._connect(), False
            started = time.perf_counter()
            try:
                self._conn.request(method, path, body=body, headers=headers)
                raw = self._conn.getresponse()
                data = raw.read()
            except RETRYABLE:
                # A kept-alive connection the server closed while idle: retry once on a new one.
                reused = self._reused
                self.close()
                if attempt == 1 and reused:
                    continue
                raise
            except Exception:
                self.close()
                raise
            elapsed = time.perf_counter() - started
            response = Response(
                raw.status, raw.getheaders(), data, elapsed, raw.headers.get_all("Set-Cookie") or []
            )
            self._store_cookies(response.set_cookies)
            if method == "GET" and response.status == 200:
                self.last_page = path
            if raw.will_close:
                self.close()
            else:
                self._reused = True
            return response
        raise AssertionError("unreachable")

    def _store_cookies(self, set_cookies: list[str]) -> None:
        for line in set_cookies:
            first, _, attributes = line.partition(";")
            name, _, value = first.strip().partition("=")
            expired = re.search(r"(?i)max-age=0\b|expires=Thu, 01 Jan 1970", attributes)
            if expired:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, fields: dict | list, **kw) -> Response:
        return self.request("POST", path, fields=fields, **kw)

    def submit(self, path: str, fields: dict, page: str | None = None, **kw) -> Response:
        """GET the form page for its CSRF token, then POST the fields with it."""
        token = self.get(page or path).csrf_token()
        return self.post(path, {**fields, "csrf_token": token or ""}, **kw)

    def sign_in(self, login: str, password: str, **kw) -> Response:
        return self.submit("/login", {"login": login, "password": password}, **kw)


class FormParser(HTMLParser):
    """The forms of a page: action, method and the names and values of their fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self.forms.append(
                {
                    "action": a.get("action") or "",
                    "method": (a.get("method") or "get").lower(),
                    "fields": {},
                }
            )
        elif self.forms and tag in {"input", "textarea", "select"} and a.get("name"):
            kind = (a.get("type") or tag).lower()
            fields = self.forms[-1]["fields"]
            if kind in {"checkbox", "radio"} and "checked" not in a:
                fields.setdefault(a["name"], None)
            else:
                fields[a["name"]] = a.get("value") or ""
            if tag == "select":
                self._select = a["name"]
        elif tag == "option" and self._select and self.forms:
            fields = self.forms[-1]["fields"]
            if not fields.get(self._select) or "selected" in a:
                fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def parse_forms(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser
