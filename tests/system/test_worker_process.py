"""`make run`'s process model: gunicorn with GATEHOUSE_EMBEDDED_WORKER=1 starts the task queue's
consumer beside its web workers (deploy/gunicorn.conf.py).

What a person running it would notice: mail queued by a request is delivered by that consumer;
Ctrl-C (SIGINT to the terminal's process group) stops everything and leaves no process behind;
even a master killed with SIGKILL leaves no consumer running.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest
import requests

from tests.mail.smtp_server import SmtpServer
from tests.system.conftest import ROOT, VENV_BIN, app_environment, flask_cli, free_port, wait_for

pytestmark = pytest.mark.system


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def site(tmp_path, smtp):
    """A migrated SQLite site whose emailed recovery link is on, and the environment to serve it."""
    instance = tmp_path / "instance"
    instance.mkdir()
    database = instance / "gatehouse.db"
    env = app_environment(
        f"sqlite:///{database}",
        "memory://",
        instance,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        GATEHOUSE_EMBEDDED_WORKER=1,
        GUNICORN_WORKERS=1,
        GUNICORN_THREADS=2,
    )
    flask_cli(env, "db", "upgrade")
    flask_cli(
        env, "create-admin", "--username", "alice", "--email", "alice@example.com",
        "--password", "a long and private passphrase",
    )  # fmt: skip
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES "
            "('recovery_email_link', 'true', '2026-01-01 00:00:00')"
        )
    return env


def serve(env: dict, log: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn in a process group of its own, as a shell's foreground job is."""
    port = free_port()
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ERROR_LOG": str(log)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        process_group=0,
    )
    return process, port


def consumer_pid(log: Path) -> int | None:
    found = re.search(r"Task queue consumer started \(pid: (\d+)\)", log.read_text())
    return int(found.group(1)) if found else None


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def group_alive(pgid: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def ask_for_a_link(port: int) -> None:
    session = requests.Session()
    page = session.get(f"http://127.0.0.1:{port}/forgot", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = session.post(
        f"http://127.0.0.1:{port}/forgot",
        data={"login": "alice", "csrf_token": token},
        timeout=10,
    )
    assert answer.status_code == 200 and "Check your email" in answer.text


def test_the_embedded_consumer_delivers_and_ctrl_c_stops_everything(site, smtp, tmp_path):
    log = tmp_path / "gunicorn.log"
    gunicorn, port = serve(site, log)
    try:
        consumer = wait_for(lambda: consumer_pid(log), 60, "the consumer")
        wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/healthz").ok, 60, "gunicorn")
        assert alive(consumer)
        ask_for_a_link(port)
        wait_for(lambda: smtp.messages, 30, "the recovery mail")
        assert smtp.recipients == [["alice@example.com"]]
        assert "/forgot/link/" in smtp.messages[0].get_content()

        os.killpg(gunicorn.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        assert gunicorn.wait(timeout=40) == 0
        wait_for(lambda: not alive(consumer), 20, "the consumer to stop")
        wait_for(lambda: not group_alive(gunicorn.pid), 20, "every process to stop")
        assert "Task queue consumer stopped" in log.read_text()
    finally:
        if gunicorn.poll() is None:
            os.killpg(gunicorn.pid, signal.SIGKILL)
            gunicorn.wait()


def test_a_killed_master_leaves_no_consumer_behind(site, tmp_path):
    log = tmp_path / "gunicorn.log"
    gunicorn, port = serve(site, log)
    try:
        consumer = wait_for(lambda: consumer_pid(log), 60, "the consumer")
        wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/healthz").ok, 60, "gunicorn")
        gunicorn.kill()  # SIGKILL: no on_exit hook runs
        gunicorn.wait()
        wait_for(lambda: not alive(consumer), 20, "the consumer to die with its master")
        wait_for(lambda: not group_alive(gunicorn.pid), 40, "every process to stop")
    finally:
        for pid in group_alive(gunicorn.pid):
            os.kill(pid, signal.SIGKILL)
