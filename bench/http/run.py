"""HTTP benchmark of Gatehouse under gunicorn on PostgreSQL with 100,000 users, against a floor.

    .venv/bin/python bench/http/run.py                      # seeds a fresh database, drops it
    .venv/bin/python bench/http/run.py --database-url URL   # reuse a database bench/seed.py filled

What it does, all on 127.0.0.1:
1. a database filled by bench/seed.py (100,000 users, 300,000 sessions, 1,000,000 audit events),
   plus one organization owned by user000002 with 1,000 projects;
2. a private Redis for the rate limits, and two gunicorn servers started with the same
   deploy/gunicorn.conf.py: Gatehouse (wsgi:app) and the floor (bench/floor_app.py: the base
   layout around one query);
3. wrk against each route (a warm-up, then --duration seconds at --connections): the sign-in
   page, a signed-in dashboard, /admin/users, the organization's project list (1,000 projects)
   and POST /login (bench/http/login.lua, real sign-ins), each right after a floor run;
4. prints requests/s, latency percentiles and each route's ratio to the floor run just before
   it (so both share whatever else the machine is doing; the median of --rounds such pairs),
   and the CPU time each request cost the server's workers and PostgreSQL (steadier than
   requests/s on a shared machine), the cost of one argon2 verify with the app's parameters,
   alone and as verifies per second on every core at once (the bound on POST /login), and the
   resident memory of each worker after the load; saves it all as JSON in bench/results/.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
OWNER, MEMBER_PASSWORD = "user000002", "bench admin password 2026"  # seed.py: one password
ORG_SLUG, PROJECTS = "bench-org", 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not start within {seconds} s")


# --------------------------------------------------------------------------- data


def psycopg_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def add_organization(url: str) -> None:
    """One organization owned by user000002 with 1,000 projects; sign-in limits opened up."""
    import psycopg

    with psycopg.connect(psycopg_dsn(url)) as conn:
        if conn.execute("SELECT 1 FROM organizations WHERE slug = %s", [ORG_SLUG]).fetchone():
            return
        owner = conn.execute("SELECT id FROM users WHERE username = %s", [OWNER]).fetchone()[0]
        now = datetime.now(UTC)
        org = conn.execute(
            "INSERT INTO organizations (slug, name, owner_id, created_at) "
            "VALUES (%s, %s, %s, %s) RETURNING id",
            [ORG_SLUG, "Bench Org", owner, now],
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO memberships (organization_id, user_id, role, created_at) "
            "VALUES (%s, %s, 'owner', %s)",
            [org, owner, now],
        )
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO projects (name, description, organization_id, created_by_id, "
                "created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (f"Project {i:04d}", f"Benchmark project number {i}", org, owner, now, now)
                    for i in range(PROJECTS)
                ],
            )
        # A minute of wrk signs in far more often than 10 times; 1000 is the setting's maximum.
        conn.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES "
            "('login_ip_per_minute', '1000', %s) ON CONFLICT (key) DO UPDATE "
            "SET value = EXCLUDED.value",
            [now],
        )
        conn.execute("ANALYZE")


def create_seeded_database(server: str) -> str:
    import psycopg

    name = f"gatehouse_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(
        psycopg_dsn(server.rsplit("/", 1)[0] + "/postgres"), autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server.rsplit("/", 1)[0] + f"/{name}"
    print(f"seeding {name} with bench/seed.py …", flush=True)
    subprocess.run([sys.executable, str(ROOT / "bench/seed.py"), url], check=True, cwd=ROOT)
    return url


def drop_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(psycopg_dsn(url.rsplit("/", 1)[0] + "/postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- servers


class Server:
    def __init__(self, app: str, env: dict, workers: int | None) -> None:
        self.port = free_port()
        env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_LOG_LEVEL": "warning",
            "GATEHOUSE_LOG_LEVEL": "WARNING",
        }
        if workers:
            env["GUNICORN_WORKERS"] = str(workers)
        self.proc = subprocess.Popen(
            # No access log: writing it is not what is measured.
            [
                str(BIN / "gunicorn"),
                "-c",
                "deploy/gunicorn.conf.py",
                "--access-logfile",
                "/dev/null",
                app,
            ],
            cwd=ROOT,
            env=env,
        )
        wait_for(lambda: self.get("/healthz" if app == "wsgi:app" else "/")[0] == 200, 60, app)

    def get(self, path: str, cookie: str = "") -> tuple[int, str, list]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = conn.getresponse()
            return response.status, response.read().decode(), response.getheaders()
        finally:
            conn.close()

    def post(self, path: str, fields: dict, cookie: str) -> tuple[int, list]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(
                "POST",
                path,
                body=urllib.parse.urlencode(fields),
                headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            )
            response = conn.getresponse()
            response.read()
            return response.status, response.getheaders()
        finally:
            conn.close()

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()]

    def rss_mib(self) -> list[float]:
        sizes = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            kib = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))
            sizes.append(round(kib / 1024, 1))
        return sizes

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def cookie_from(headers: list) -> str:
    cookies = [v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie"]
    return "; ".join(cookies)


def flush_limits(port: int) -> None:
    """Empty the bench's private Redis: the rate limits a round used up are not the next's."""
    with socket.create_connection(("127.0.0.1", port), 5) as conn:
        conn.sendall(b"FLUSHALL\r\n")
        assert conn.recv(16).startswith(b"+OK")


def settled(server: Server, cookie: str, path: str = "/") -> str:
    """The cookie a browser holds once it has shown `path`: a response's Set-Cookie replaces it
    (a flash message read, the CSRF secret stored) until a response sets none. wrk repeats one
    Cookie header; without this, every request of the run re-read the same flash message and
    wrote a new cookie, which no browser does."""
    for _ in range(5):
        status, _, headers = server.get(path, cookie)
        assert status == 200, (path, status)
        fresh = cookie_from(headers)
        if not fresh:
            return cookie
        cookie = fresh
    raise AssertionError(f"the session cookie of {path} never settles")


def login_form(server: Server) -> tuple[str, str]:
    """(cookie, csrf token) of a fresh visitor on the sign-in page."""
    status, html, headers = server.get("/login")
    assert status == 200, status
    return cookie_from(headers), TOKEN.search(html).group(1)


def sign_in(server: Server, username: str, password: str) -> str:
    cookie, token = login_form(server)
    status, headers = server.post(
        "/login", {"login": username, "password": password, "csrf_token": token}, cookie
    )
    assert status == 303, f"sign-in of {username} answered {status}"
    return cookie_from(headers)


# --------------------------------------------------------------------------- measuring


def wrk(
    url: str,
    seconds: int,
    connections: int,
    cookie: str = "",
    script: str | None = None,
    env: dict | None = None,
) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(
        cmd + [url],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
        timeout=seconds + 60,
    ).stdout
    latency = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50_ms": latency.get("50"),
        "p90_ms": latency.get("90"),
        "p99_ms": latency.get("99"),
        "non_2xx_3xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else None,
    }


def busy_seconds() -> float:
    """CPU time the whole machine has spent busy since boot (/proc/stat), less what finished
    child processes (wrk) used: the server side's time, whichever processes it ran in."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4]  # all but idle and iowait
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return busy / os.sysconf("SC_CLK_TCK") - children.ru_utime - children.ru_stime


def measured(url: str, seconds: int, connections: int, *extra) -> dict:
    """A wrk run, with the CPU milliseconds per request spent on the server side (gunicorn,
    PostgreSQL, Redis; the machine is otherwise idle)."""
    before = busy_seconds()
    run = wrk(url, seconds, connections, *extra)
    run["cpu_ms_per_request"] = round((busy_seconds() - before) * 1000 / run["requests"], 3)
    return run


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return round(float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 2)


def _hasher():
    from argon2 import PasswordHasher, Type

    from app.config import Defaults

    return PasswordHasher(
        time_cost=Defaults.ARGON2_TIME_COST,
        memory_cost=Defaults.ARGON2_MEMORY_COST,
        parallelism=Defaults.ARGON2_PARALLELISM,
        type=Type.ID,
    )


def _verifies(runs: int) -> list[float]:
    """`runs` timed argon2 verifies with the app's parameters, in ms."""
    hasher = _hasher()
    stored = hasher.hash("a benchmark password")
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        hasher.verify(stored, "a benchmark password")
        times.append((time.perf_counter() - began) * 1000)
    return times


def argon2_cost(cores: int, runs: int = 25) -> dict:
    """One verify alone, and how many verifies per second `cores` processes manage together:
    argon2 is memory-hard, so parallel runs slow each other down, and that sum, not cores ×
    one alone, is the most sign-ins per second the machine could do."""
    from concurrent.futures import ProcessPoolExecutor

    alone = statistics.median(_verifies(runs))
    with ProcessPoolExecutor(cores) as pool:
        list(pool.map(_verifies, [2] * cores))  # start the processes
        began = time.perf_counter()
        done = sum(len(t) for t in pool.map(_verifies, [runs] * cores))
        parallel = done / (time.perf_counter() - began)
    hasher = _hasher()
    return {
        "median_ms": round(alone, 2),
        "parallel_per_s": round(parallel, 1),
        "parameters": f"argon2id m={hasher.memory_cost} KiB "
        f"t={hasher.time_cost} p={hasher.parallelism}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a database bench/seed.py has filled")
    parser.add_argument(
        "--server",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="where to create (and afterwards drop) a fresh seeded database",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database it created")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--rounds", type=int, default=3, help="floor/route pairs per route (median reported)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="GUNICORN_WORKERS (default: the config's 2 × cores + 1)",
    )
    parser.add_argument(
        "--only", default="", help="run only the routes whose name contains this text"
    )
    args = parser.parse_args()
    for tool in ("wrk", "redis-server"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing (apt-get install {tool.split('-')[0]})")

    url = args.database_url or create_seeded_database(args.server)
    redis_port = free_port()
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    servers: list[Server] = []
    try:
        add_organization(url)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-http-secret",
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_port}/0",
            "GATEHOUSE_INSTANCE": str(RESULTS / "instance"),
            "TRUSTED_PROXIES": "0",
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        app = Server("wsgi:app", env, args.workers)
        floor = Server("bench.floor_app:app", env, args.workers)
        servers += [app, floor]

        person = sign_in(app, "user000005", MEMBER_PASSWORD)  # personal workspace
        member = sign_in(app, OWNER, MEMBER_PASSWORD)  # switched to the 1,000-project org
        admin = sign_in(app, "admin", MEMBER_PASSWORD)
        person = settled(app, person)
        member = settled(app, member)
        status, html, _ = app.get("/", member)
        token = TOKEN.search(html).group(1)
        status, headers = app.post(
            "/workspace", {"workspace": ORG_SLUG, "csrf_token": token}, member
        )
        assert status == 303, status
        member = settled(app, cookie_from(headers) or member, "/projects")
        status, html, _ = app.get("/projects", member)
        shown = len(set(re.findall(r'href="/projects/(\d+)"', html)))
        assert status == 200 and shown >= 1, (status, shown)
        admin = settled(app, admin, "/admin/users")
        login_cookie, login_token = login_form(app)
        login_env = {
            "GATEHOUSE_COOKIE": login_cookie,
            "GATEHOUSE_REFERER": f"http://127.0.0.1:{app.port}/login",
            "GATEHOUSE_LOGIN_BODY": urllib.parse.urlencode(
                {"login": "user000003", "password": MEMBER_PASSWORD, "csrf_token": login_token}
            ),
        }

        base = f"http://127.0.0.1:{app.port}"
        floor_url = f"http://127.0.0.1:{floor.port}/"
        plan = [
            ("GET /login", f"{base}/login", "", None, {}),
            ("GET / (dashboard, signed in)", f"{base}/", person, None, {}),
            ("GET /admin/users", f"{base}/admin/users", admin, None, {}),
            (f"GET /projects ({PROJECTS} projects)", f"{base}/projects", member, None, {}),
            (f"GET / (in the {PROJECTS}-project org)", f"{base}/", member, None, {}),
            ("POST /login", f"{base}/login", "", str(ROOT / "bench/http/login.lua"), login_env),
        ]
        # Each route is paired with a floor run just before it, so that whatever else the
        # machine is doing weighs on both; the ratio is route / its own floor. The pair is run
        # --rounds times and the median ratio reported: one pair alone swings by ±15 % here.
        results, floors = {}, []
        for name, target, cookie, script, extra in plan:
            if args.only not in name:
                continue
            rounds = []
            for _ in range(args.rounds):
                flush_limits(redis_port)  # each round starts where the first did (POST /login)
                wrk(floor_url, 2, args.connections)  # warm-up
                floor_run = measured(floor_url, args.duration, args.connections)
                floors.append(floor_run["rps"])
                wrk(target, 2, args.connections, cookie, script, extra)  # warm-up
                run = measured(target, args.duration, args.connections, cookie, script, extra)
                run["floor_rps"] = floor_run["rps"]
                run["ratio_to_floor"] = round(run["rps"] / floor_run["rps"], 3)
                run["cpu_ratio_to_floor"] = round(
                    floor_run["cpu_ms_per_request"] / run["cpu_ms_per_request"], 3
                )
                rounds.append(run)
            rounds.sort(key=lambda run: run["ratio_to_floor"])
            result = {**rounds[len(rounds) // 2], "ratios": [r["ratio_to_floor"] for r in rounds]}
            result["cpu_ratios"] = sorted(r["cpu_ratio_to_floor"] for r in rounds)
            results[name] = result
            print(
                f"{name:36} {result['rps']:8.1f} req/s (floor {result['floor_rps']:.1f}, "
                f"median ratio {result['ratio_to_floor']:.2f} of {result['ratios']}; CPU "
                f"{result['cpu_ms_per_request']} ms a request, floor/route "
                f"{result['cpu_ratios']})  "
                f"p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms  "
                f"non-2xx/3xx {result['non_2xx_3xx']}",
                flush=True,
            )
        floor_rps = statistics.median(floors)
        cores = os.cpu_count() or 1
        argon2 = argon2_cost(cores)
        bound = argon2["parallel_per_s"]
        summary = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cores": cores, "load_average": os.getloadavg()},
            "database": "PostgreSQL, bench/seed.py (100,000 users) + 1,000 projects",
            "gunicorn_workers": len(app.workers()),
            "wrk": {
                "threads": 2,
                "connections": args.connections,
                "seconds": args.duration,
                "rounds": args.rounds,
            },
            "floor_rps_median": round(floor_rps, 1),
            "floor_rps_runs": floors,
            "routes": results,
            "argon2_verify": argon2,
            "login_bound_rps": round(bound, 1),
            "login_share_of_bound": (
                round(results["POST /login"]["rps"] / bound, 3)
                if "POST /login" in results
                else None
            ),
            "worker_rss_mib": {"gatehouse": app.rss_mib(), "floor": floor.rss_mib()},
        }
    finally:
        for server in servers:
            server.stop()
        redis.terminate()
        redis.wait(10)
        if not args.database_url and not args.keep:
            drop_database(url)
    print()
    print(
        f"{'route':36} {'req/s':>8} {'floor':>8} {'ratio':>6} {'p50 ms':>8} {'p90 ms':>8} "
        f"{'p99 ms':>8}"
    )
    for name, r in summary["routes"].items():
        print(
            f"{name:36} {r['rps']:8.1f} {r['floor_rps']:8.1f} {r['ratio_to_floor']:6.2f} "
            f"{r['p50_ms']:8} {r['p90_ms']:8} {r['p99_ms']:8}"
        )
    print(
        f"argon2 verify ({argon2['parameters']}): {argon2['median_ms']} ms alone; {cores} "
        f"processes together: {bound} verifies/s, the most sign-ins/s there can be",
        end="",
    )
    share = summary["login_share_of_bound"]
    print("" if share is None else f"; POST /login reached {share:.0%} of that")
    print(f"worker RSS after the load (MiB): {summary['worker_rss_mib']}")
    out = RESULTS / f"http-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(summary, indent=2))
    print(f"saved {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
