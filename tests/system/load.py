"""A bounded load generator: N threads, each a signed-in person with its own source address
(127.0.0.x, so per-IP limits treat them as different people), doing a realistic mix until a
deadline. It records every request's route, status and latency, and every write the server
acknowledged (a 303 after a POST), so that the test can look for each one in the database.

The mix adapts to the routes the app has when the test runs: actions whose route is missing are
left out (the organization and project pages are being built by other engineers).
"""

from __future__ import annotations

import random
import re
import statistics
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from tests.system.browser import Browser, Response, parse_forms

MAX_REQUESTS_PER_CLIENT = 20_000  # a hard bound on top of the deadline


@dataclass
class Person:
    username: str
    password: str
    source: str
    admin: bool = False
    org_slug: str | None = None


@dataclass
class Record:
    route: str
    status: int  # 0 when the connection failed
    started: float
    elapsed: float
    error: str | None = None


@dataclass
class Acks:
    sign_ins: Counter = field(default_factory=Counter)  # username -> acknowledged sign-ins
    # (name, id if the redirect named it) of each created project
    projects: list[tuple[str, int | None]] = field(default_factory=list)
    edits: dict[int, str] = field(default_factory=dict)  # project id -> last acknowledged name
    invitations: list[str] = field(default_factory=list)  # invited emails


class Routes:
    """What the app offers now, from its url_map (endpoint -> (rule, methods))."""

    def __init__(self, rules: dict[str, tuple[str, set[str]]]) -> None:
        self.rules = rules

    def find(self, pattern: str, method: str = "GET") -> str | None:
        """The first rule matching the regular expression `pattern` that accepts `method`."""
        for rule, methods in sorted(self.rules.values()):
            if re.fullmatch(pattern, rule) and method in methods:
                return rule
        return None


SIGN_IN_EVERY = 10  # seconds: six sign-ins a minute, under the default limit of ten per address

PROJECTS = r"/projects/?"
PROJECT_NEW = r"/projects/new"
PROJECT_EDIT = r"/projects/<[^>]+>/edit"
INVITE = r"/orgs/<[^>]+>/invitations"
ADMIN_USERS = r"/admin/users/?"


class Client(threading.Thread):
    def __init__(
        self, port: int, person: Person, routes: Routes, load: Load, seed: int, tls=None
    ) -> None:
        super().__init__(daemon=True, name=f"load-{person.username}")
        self.person, self.routes, self.load = person, routes, load
        self.browser = Browser(port, source=person.source, tls=tls, timeout=20)
        self.random = random.Random(seed)
        self.my_projects: list[int] = []
        self.signed_in_at = float("-inf")

    # -- recording
    def call(self, route: str, method: str, path: str, fields=None) -> Response | None:
        started = time.monotonic()
        try:
            response = self.browser.request(method, path, fields=fields)
        except Exception as exc:  # noqa: BLE001 - a failed connection is a result, recorded
            self.load.record(
                Record(
                    route, 0, started, time.monotonic() - started, f"{type(exc).__name__}: {exc}"
                )
            )
            return None
        self.load.record(Record(route, response.status, started, response.elapsed))
        return response

    def form(self, route: str, page: str) -> list[dict]:
        """The POST forms of a page."""
        response = self.call(f"GET {route}", "GET", page)
        if response is None or response.status != 200:
            return []
        return [f for f in parse_forms(response.text).forms if f["method"] == "post"]

    # -- actions
    def sign_in(self) -> bool:
        page = self.call("GET /login", "GET", "/login")
        token = page.csrf_token() if page is not None and page.status == 200 else None
        if token is None:
            return False
        response = self.call(
            "POST /login",
            "POST",
            "/login",
            {"login": self.person.username, "password": self.person.password, "csrf_token": token},
        )
        if response is not None and response.status in (302, 303):
            self.load.acks_lock_do(lambda a: a.sign_ins.update([self.person.username]))
            self.signed_in_at = time.monotonic()
            return True
        return False

    def sign_out_and_in(self) -> None:
        # A person signs out and in again now and then, not several times a second: at most
        # every SIGN_IN_EVERY seconds, which keeps each client under the sign-in limit.
        if time.monotonic() - self.signed_in_at < SIGN_IN_EVERY:
            return self.dashboard()
        page = self.call("GET /account/sessions", "GET", "/account/sessions")
        token = page.csrf_token() if page is not None else None
        if token:
            self.call("POST /logout", "POST", "/logout", {"csrf_token": token})
        self.sign_in()

    def dashboard(self) -> None:
        self.call("GET /", "GET", "/")

    def sessions_page(self) -> None:
        self.call("GET /account/sessions", "GET", "/account/sessions")

    def admin_users(self) -> None:
        page = self.random.choice(
            [
                "/admin/users",
                "/admin/users?page=2",
                "/admin/users?sort=-last_login",
                "/admin/users?q=load",
            ]
        )
        self.call("GET /admin/users", "GET", page)

    def project_list(self) -> None:
        self.call("GET /projects", "GET", self.routes.find(PROJECTS))

    def create_project(self) -> None:
        rule = self.routes.find(PROJECT_NEW, "POST")
        target = next((f for f in self.form(rule, rule) or [] if "name" in f["fields"]), None)
        if target is None:
            return
        name = f"p-{uuid.uuid4().hex[:12]}"
        fields = {k: v for k, v in target["fields"].items() if v is not None}
        fields.update(name=name, description=f"Load test project of {self.person.username}")
        response = self.call(f"POST {rule}", "POST", target["action"] or rule, fields)
        if response is not None and response.status in (302, 303):
            found = re.search(r"/projects/(\d+)", response.header("Location") or "")
            project_id = int(found.group(1)) if found else None
            self.load.acks_lock_do(lambda a: a.projects.append((name, project_id)))
            if project_id:
                self.my_projects.append(project_id)

    def edit_project(self) -> None:
        rule = self.routes.find(PROJECT_EDIT, "POST")
        if not self.my_projects:
            return
        project_id = self.random.choice(self.my_projects)
        path = re.sub(r"<[^>]+>", str(project_id), rule)
        target = next((f for f in self.form(rule, path) or [] if "name" in f["fields"]), None)
        if target is None:
            return
        name = f"e-{uuid.uuid4().hex[:12]}"
        fields = {k: v for k, v in target["fields"].items() if v is not None}
        fields.update(name=name, description="edited under load")
        response = self.call(f"POST {rule}", "POST", target["action"] or path, fields)
        if response is not None and response.status in (302, 303):
            self.load.acks_lock_do(lambda a: a.edits.__setitem__(project_id, name))

    def invite(self) -> None:
        slug = self.person.org_slug
        page = self.call("GET /orgs/<slug>", "GET", f"/orgs/{slug}")
        token = page.csrf_token() if page is not None and page.status == 200 else None
        if not token:
            return
        email = f"inv-{uuid.uuid4().hex[:12]}@example.com"
        response = self.call(
            "POST /orgs/<slug>/invitations",
            "POST",
            f"/orgs/{slug}/invitations",
            {"email": email, "role": "worker", "csrf_token": token},
        )
        if response is not None and response.status in (302, 303):
            self.load.acks_lock_do(lambda a: a.invitations.append(email))

    def mix(self) -> list[tuple[int, callable]]:
        r = self.routes
        actions = [(6, self.dashboard), (1, self.sessions_page), (1, self.sign_out_and_in)]
        if r.find(PROJECTS):
            actions.append((3, self.project_list))
        if r.find(PROJECT_NEW, "POST"):
            actions.append((2, self.create_project))
        if r.find(PROJECT_EDIT, "POST"):
            actions.append((2, self.edit_project))
        if self.person.org_slug and r.find(INVITE, "POST"):
            actions.append((2, self.invite))
        if self.person.admin and r.find(ADMIN_USERS):
            actions.append((4, self.admin_users))
        return actions

    def run(self) -> None:
        try:
            if not self.sign_in():
                self.load.record(Record("sign-in failed", 0, time.monotonic(), 0, "no session"))
            actions = self.mix()
            weights = [w for w, _ in actions]
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= self.load.deadline or self.load.stopping.is_set():
                    break
                self.random.choices(actions, weights)[0][1]()
        finally:
            self.browser.close()


class Load:
    def __init__(self, port: int, people: list[Person], rules, duration: float, tls=None) -> None:
        self.routes = Routes(rules)
        self.records: list[Record] = []
        self.acks = Acks()
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self.duration = duration
        self.deadline = 0.0
        self.clients = [
            Client(port, p, self.routes, self, seed=i, tls=tls) for i, p in enumerate(people)
        ]

    def record(self, record: Record) -> None:
        with self._lock:
            self.records.append(record)

    def acks_lock_do(self, change) -> None:
        with self._lock:
            change(self.acks)

    def start(self) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + self.duration
        for client in self.clients:
            client.start()

    def join(self) -> None:
        for client in self.clients:
            client.join(self.duration + 60)
        self.finished = time.monotonic()
        if any(c.is_alive() for c in self.clients):
            self.stopping.set()
            raise AssertionError("a load client did not stop")

    def run(self) -> Load:
        self.start()
        self.join()
        return self

    # -- results
    def server_errors(self, since: float = 0, until: float = float("inf")) -> list[Record]:
        return [r for r in self.records if r.status >= 500 and since <= r.started < until]

    def failures(self, since: float = 0, until: float = float("inf")) -> list[Record]:
        return [r for r in self.records if r.status == 0 and since <= r.started < until]

    def summary(self) -> dict:
        wall = self.finished - self.started
        by_route: dict[str, list[Record]] = defaultdict(list)
        for r in self.records:
            by_route[r.route].append(r)
        routes = {}
        for route, records in sorted(by_route.items()):
            times = sorted(r.elapsed * 1000 for r in records)
            routes[route] = {
                "requests": len(records),
                "rps": round(len(records) / wall, 1),
                "p50_ms": round(percentile(times, 50), 1),
                "p95_ms": round(percentile(times, 95), 1),
                "p99_ms": round(percentile(times, 99), 1),
                "statuses": dict(Counter(r.status for r in records)),
            }
        all_times = [r.elapsed * 1000 for r in self.records]
        return {
            "clients": len(self.clients),
            "seconds": round(wall, 1),
            "requests": len(self.records),
            "rps": round(len(self.records) / wall, 1),
            "median_ms": round(statistics.median(all_times), 1) if all_times else None,
            "routes": routes,
            "acknowledged": {
                "sign_ins": sum(self.acks.sign_ins.values()),
                "projects": len(self.acks.projects),
                "project_edits": len(self.acks.edits),
                "invitations": len(self.acks.invitations),
            },
        }


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = (len(sorted_values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def format_summary(summary: dict) -> str:
    lines = [
        f"{summary['clients']} clients, {summary['seconds']} s, {summary['requests']} "
        f"requests, {summary['rps']} req/s",
        f"{'route':42} {'n':>6} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7}  statuses",
    ]
    for route, s in summary["routes"].items():
        lines.append(
            f"{route:42} {s['requests']:6} {s['rps']:7} {s['p50_ms']:7} "
            f"{s['p95_ms']:7} {s['p99_ms']:7}  {s['statuses']}"
        )
    lines.append(f"acknowledged writes: {summary['acknowledged']}")
    return "\n".join(lines)
