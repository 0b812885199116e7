"""Small HTTP stand-ins for providers that cannot run here or will not misbehave on request:
an OpenID Connect provider whose token endpoint answers whatever ID token a test signs, and
GitHub (its OAuth 2 endpoints and the two API calls sign-in makes)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

Handler = Callable[[dict, dict], tuple[int, Any]]  # (form or query, headers) -> (status, JSON)


class StandIn:
    """A threaded HTTP server on a free loopback port answering JSON from `routes`."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[tuple[str, str, dict, dict]] = []
        routes, seen = self.routes, self.requests

        class Answer(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                params = {k: v[0] for k, v in parse_qs(body or parts.query).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                seen.append((method, parts.path, params, headers))
                handler = routes.get((method, parts.path))
                status, data = handler(params, headers) if handler else (404, {"error": "nf"})
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:  # noqa: N802
                self._answer("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._answer("POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeOidc(StandIn):
    """Discovery, JWKS (the `key` only) and userinfo; the token endpoint answers the ID token
    built from `claims` (set by the test) and signed with `signer` (default: `key`)."""

    CLIENT_ID = "standin-client"

    def __init__(self) -> None:
        super().__init__()
        self.key = RSAKey.generate_key(2048, parameters={"kid": "good", "use": "sig"})
        self.reset()
        base = self.url
        self.routes[("GET", "/.well-known/openid-configuration")] = lambda p, h: (
            200,
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks",
                "userinfo_endpoint": f"{base}/userinfo",
                "id_token_signing_alg_values_supported": ["RS256"],
            },
        )
        self.routes[("GET", "/jwks")] = lambda p, h: (
            200,
            {"keys": [self.key.as_dict(private=False)]},
        )
        self.routes[("POST", "/token")] = lambda p, h: (
            200,
            {"access_token": "at-1", "token_type": "Bearer", "id_token": self.id_token()},
        )
        self.routes[("GET", "/userinfo")] = lambda p, h: (200, self.userinfo)

    def reset(self) -> None:
        self.claims: dict[str, Any] = {}
        self.signer = self.key
        self.userinfo: dict[str, Any] = {
            "sub": "standin-person",
            "email": "standin@example.com",
            "email_verified": True,
        }

    def good_claims(self, nonce: str) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.url,
            "sub": "standin-person",
            "aud": self.CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
        }

    def id_token(self) -> str:
        header = {"alg": "RS256", "kid": self.signer.kid}
        return jwt.encode(header, self.claims, self.signer)


class FakeGitHub(StandIn):
    """github.com's /login/oauth/* and GitHub Enterprise's /api/v3 paths."""

    def __init__(self) -> None:
        super().__init__()
        self.routes[("POST", "/login/oauth/access_token")] = lambda p, h: (
            200,
            {"access_token": "gho_standin", "token_type": "bearer", "scope": "read:user"},
        )
        self.routes[("GET", "/api/v3/user")] = lambda p, h: (
            200,
            {"id": 4242, "login": "octocat", "name": "The Octocat"},
        )
        self.emails = [
            {"email": "octo@old.example", "primary": False, "verified": True},
            {"email": "octocat@example.com", "primary": True, "verified": True},
        ]
        self.routes[("GET", "/api/v3/user/emails")] = lambda p, h: (200, self.emails)
