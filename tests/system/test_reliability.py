"""Gatehouse under load and through failures: gunicorn (3 workers) + private PostgreSQL + private
Redis, on loopback. Each test is bounded in time and request count and stops by itself; the
figures it measures are printed and saved under test-artifacts/ for the report."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections import Counter

import pytest

from tests.system import data
from tests.system.browser import Browser
from tests.system.conftest import ROOT, app_environment, wait_for
from tests.system.load import Load, Person, format_summary

pytestmark = pytest.mark.system

LOAD_SECONDS = float(os.environ.get("GATEHOUSE_LOAD_SECONDS", 60))
ARTIFACTS = ROOT / "test-artifacts"


def save(name: str, figures: dict) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(figures, indent=2))
    print(f"\n{name}: {json.dumps(figures, indent=2)}")


@pytest.fixture(scope="module")
def population(gatehouse_database):
    """50 people: 5 admins, 10 organization owners, 35 plain users. Plan limits are raised so that
    a minute of project creation does not run into the Free plan's caps (that is not under test);
    sign-in limits stay on, and each person has a source address of their own."""
    url, _name, _instance = gatehouse_database
    admins = data.create_users(url, "loadadmin", 5, admin=True)
    owners = data.create_users(url, "loadowner", 10)
    plain = data.create_users(url, "loaduser", 35)
    for owner in owners:
        data.create_org(url, owner, f"org-{owner}")
    data.set_settings(
        url,
        free_personal_projects=10000,
        free_org_projects=10000,
        free_org_members=10000,
        free_owned_orgs=1000,
    )
    people = (
        [Person(n, data.PASSWORD, "", admin=True) for n in admins]
        + [Person(n, data.PASSWORD, "", org_slug=f"org-{n}") for n in owners]
        + [Person(n, data.PASSWORD, "") for n in plain]
    )
    return url, people


def people_from(population, first_address: int, count: int) -> list[Person]:
    _url, people = population
    chosen = []
    for i in range(count):
        p = people[i % len(people)]
        chosen.append(
            Person(p.username, p.password, f"127.0.{first_address}.{i + 1}", p.admin, p.org_slug)
        )
    return chosen


@pytest.fixture(scope="module")
def environment(gatehouse_database, private_redis):
    url, _name, instance = gatehouse_database
    return app_environment(url, private_redis.url, instance)


def check_acknowledged_writes(url: str, load: Load) -> dict:
    """Every write the clients were told succeeded is in the database."""
    acks = load.acks
    users = list(acks.sign_ins)
    sessions = (
        dict(
            data.query(
                url,
                "SELECT u.username, count(s.id) FROM users u JOIN user_sessions s "
                "ON s.user_id = u.id WHERE u.username = ANY(:names) GROUP BY u.username",
                names=users,
            )
        )
        if users
        else {}
    )
    missing_sessions = {
        u: (n, sessions.get(u, 0)) for u, n in acks.sign_ins.items() if sessions.get(u, 0) < n
    }
    assert not missing_sessions, f"acknowledged sign-ins without a session row: {missing_sessions}"
    if acks.projects:
        created = {n for (n,) in data.query(url, "SELECT name FROM projects")}
        # A created project's name may since have been replaced by an acknowledged edit.
        missing = [(n, i) for n, i in acks.projects if n not in created and i not in acks.edits]
        assert not missing, f"acknowledged projects missing: {missing[:5]}"
    for project_id, name in acks.edits.items():
        assert data.query(url, "SELECT name FROM projects WHERE id = :id", id=project_id) == [
            (name,)
        ], f"project {project_id} lost its acknowledged name {name}"
    if acks.invitations:
        invited = {e for (e,) in data.query(url, "SELECT email FROM invitations")}
        missing = [e for e in acks.invitations if e not in invited]
        assert not missing, f"acknowledged invitations missing: {missing[:5]}"
    assert not data.open_session_mismatches(url), "users.open_sessions disagrees with the rows"
    return {
        "sign_ins": sum(acks.sign_ins.values()),
        "projects": len(acks.projects),
        "project_edits": len(acks.edits),
        "invitations": len(acks.invitations),
    }


def test_fifty_clients_for_a_minute_without_a_server_error(population, environment, start_gunicorn):
    url, _ = population
    server = start_gunicorn(environment, workers=3)
    load = Load(
        server.port, people_from(population, 1, 50), data.route_rules(url), LOAD_SECONDS
    ).run()
    summary = load.summary()
    print("\n" + format_summary(summary))
    save("load-50-clients", summary)

    errors = load.server_errors()
    assert not errors, f"{len(errors)} server errors, e.g. {errors[:3]}"
    failures = load.failures()
    assert not failures, f"{len(failures)} failed connections, e.g. {failures[:3]}"
    assert summary["acknowledged"]["sign_ins"] >= 50
    # Nobody ran into the sign-in limit, so no client went on signed out (the mix stays real).
    assert "429" not in summary["routes"]["POST /login"]["statuses"], summary["routes"]
    check_acknowledged_writes(url, load)
    assert "Traceback" not in server.errors()


def test_database_restart_gives_503_then_recovers_without_restarting_gunicorn(
    population, environment, start_gunicorn, private_postgres
):
    url, _ = population
    # Workers normally retire after max_requests; off here, so that a changed worker is a crash.
    server = start_gunicorn({**environment, "GUNICORN_MAX_REQUESTS": "0"}, workers=3)
    workers_before = set(server.worker_pids())
    load = Load(server.port, people_from(population, 2, 8), data.route_rules(url), 25)
    probes: list[tuple[float, int]] = []
    load.start()
    try:
        time.sleep(8)
        stopping = time.monotonic()
        private_postgres.stop()
        down = time.monotonic()
        while time.monotonic() < down + 5:  # PostgreSQL stays down for 5 s
            probes.append((time.monotonic(), server.get("/healthz")[0]))
            time.sleep(0.25)
        outage_page = Browser(server.port).get("/login")
        restarting = time.monotonic()  # PostgreSQL may answer before pg_ctl returns
        private_postgres.start()
        up = time.monotonic()
        recovered_at = wait_for(
            lambda: server.get("/healthz")[0] == 200 and time.monotonic(),
            15,
            "healthz after the restart",
            0.05,
        )
    finally:
        if not private_postgres.running:
            private_postgres.start()
        load.join()
    summary = load.summary()
    recovery = recovered_at - up
    # Requests answered entirely while PostgreSQL was down (a request sent during the outage
    # may wait in gunicorn's queue and be served after the restart: that one may succeed).
    during = [r for r in load.records if down <= r.started and r.started + r.elapsed <= restarting]
    after = [r for r in load.records if r.started >= up + 5]
    figures = {
        "outage_s": round(up - down, 2),
        "stop_took_s": round(down - stopping, 2),
        "healthz_recovery_s": round(recovery, 2),
        "restart_took_s": round(up - restarting, 2),
        "requests_answered_during_outage": len(during),
        "statuses_during_outage": dict(Counter(r.status for r in during)),
        "server_errors_other_than_503": len(
            [r for r in load.records if r.status >= 500 and r.status != 503]
        ),
        "server_errors_after_recovery": len([r for r in after if r.status >= 500]),
        "load": summary,
    }
    save("database-restart", figures)

    assert probes and all(status == 503 for _, status in probes), probes
    assert outage_page.status == 503 and "Temporarily unavailable" in outage_page.text

    # Pages that need the database give the 503 page. Answers that need none are right too: a
    # client already signed out (its sign-in failed during the outage) is sent to /login, the
    # sign-in form renders from the settings each worker keeps for a few seconds, and sign-ins
    # over the limit get 429 (the limits live in Redis).
    def unexpected(record) -> bool:
        return not (
            record.status in (503, 302)
            or (record.route, record.status) in {("GET /login", 200), ("POST /login", 429)}
        )

    assert during and not [r for r in during if unexpected(r)], (
        figures,
        [r for r in during if unexpected(r)][:5],
    )
    # Signed-in clients mostly load these pages; each of them must have met the 503 page.
    for page in ("GET /", "GET /projects", "GET /account/sessions"):
        assert any(r.route == page and r.status == 503 for r in during), (
            page,
            figures["statuses_during_outage"],
        )
    assert not load.failures(), load.failures()[:3]
    assert recovery <= 5, f"/healthz answered again only {recovery:.1f} s after PostgreSQL"
    bad_after = [r for r in after if r.status >= 500 or r.status == 0]
    assert not bad_after, f"errors after recovery: {bad_after[:3]}"
    assert not [r for r in load.records if r.started + r.elapsed < stopping and r.status >= 500]
    assert set(server.worker_pids()) == workers_before  # nothing was restarted
    check_acknowledged_writes(url, load)
    # Connections killed by the shutdown must still end in the 503 page, never a 500.
    assert figures["server_errors_other_than_503"] == 0, (
        figures,
        [
            line
            for line in server.errors().splitlines()
            if "Error handling" in line or "unhandled error" in line
        ][:5],
    )


def _failed_login(client: Browser):
    token = client.get("/login").csrf_token()
    return client.post(
        "/login",
        {
            "login": f"nobody-{uuid.uuid4().hex[:8]}",
            "password": "wrong password",
            "csrf_token": token,
        },
    )


FALLBACK = "falling back to in-memory storage"


def test_redis_outage_falls_back_to_per_process_limits_then_resumes_shared_ones(
    population, environment, start_gunicorn, private_redis
):
    url, _ = population
    limit = 4
    data.set_settings(url, login_ip_per_minute=limit)
    try:
        server = start_gunicorn(environment, workers=3)
        _check_shared_limit(server, private_redis, "127.0.3.1", limit)

        private_redis.stop()
        down = time.monotonic()
        person = Browser(server.port, source="127.0.3.2")
        assert person.sign_in("loaduser0", data.PASSWORD).status == 303
        assert person.get("/").status == 200
        # Each worker now counts alone: somewhere between `limit` and 3 × `limit` attempts.
        client = Browser(server.port, source="127.0.3.3")
        statuses = []
        for _ in range(3 * limit + 1):
            statuses.append(_failed_login(client).status)
            if statuses[-1] == 429:
                break
        assert statuses[-1] == 429, statuses
        assert len(statuses) > limit and set(statuses[:-1]) == {401}, statuses
        logged = server.errors().count(FALLBACK)
        assert 1 <= logged <= 3, f"fallback logged {logged} times"  # once per worker at most

        private_redis.start()
        back = time.monotonic()
        # Shared limits resume when every worker counts in Redis again: a run of requests from
        # fresh addresses, each on a new connection, all recorded there (workers re-check Redis
        # with a growing back-off). The run is long enough that each of the 3 workers served
        # some of it: with 9, a worker still counting alone was sometimes left for the check.
        streak, attempt = 0, 0
        deadline = back + 60
        while streak < 30 and time.monotonic() < deadline:
            attempt += 1
            address = f"127.0.4.{attempt % 250 + 1}"
            _failed_login(Browser(server.port, source=address))
            seen = any(address in key for key in private_redis.client().keys("*"))
            streak = streak + 1 if seen else 0
        resumed = time.monotonic() - back
        assert streak >= 30, "shared limits did not resume within 60 s"
        _check_shared_limit(server, private_redis, "127.0.3.9", limit)
        assert server.errors().count(FALLBACK) == logged  # not logged again
        save(
            "redis-outage",
            {
                "outage_s": round(back - down, 1),
                "attempts_before_429_during_outage": len(statuses),
                "fallback_log_lines": logged,
                "shared_limits_resumed_after_s": round(resumed, 1),
            },
        )
    finally:
        if private_redis.proc is None:
            private_redis.start()
        data.set_settings(url, login_ip_per_minute=10)


def _check_shared_limit(server, redis, address: str, limit: int) -> None:
    client = Browser(server.port, source=address)
    statuses = [_failed_login(client).status for _ in range(limit + 1)]
    assert statuses == [401] * limit + [429], statuses
    assert any(address in key for key in redis.client().keys("*"))


def test_a_killed_worker_is_replaced_and_only_its_request_fails(
    population, environment, start_gunicorn
):
    url, _ = population
    server = start_gunicorn(environment, workers=3)
    load = Load(server.port, people_from(population, 5, 12), data.route_rules(url), 15)
    load.start()
    try:
        time.sleep(5)
        victim = server.worker_pids()[0]
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        replaced = wait_for(
            lambda: (
                len(pids := server.worker_pids()) == 3 and victim not in pids and time.monotonic()
            ),
            15,
            "a replacement worker",
        )
    finally:
        load.join()
    failures = load.failures() + load.server_errors()
    figures = {
        "replacement_after_s": round(replaced - killed_at, 2),
        "failed_requests": len(failures),
        "failures": [f"{r.route}: {r.status} {r.error}" for r in failures],
        "requests": len(load.records),
    }
    save("worker-kill", figures)
    # A sync worker serves one request at a time: at most that one request is lost.
    assert len(failures) <= 1, figures
    # ...and it was sent before the kill (it may have waited in the listen queue for a while).
    assert all(r.started <= killed_at + 0.5 for r in failures), figures
    later = [r for r in load.records if r.started > replaced]
    assert later and all(200 <= r.status < 500 for r in later)
    check_acknowledged_writes(url, load)
