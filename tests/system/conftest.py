"""Processes for the system tests: a private PostgreSQL, a private Redis, gunicorn, nginx.

Everything listens on 127.0.0.1 on a free port and is stopped by its fixture, even when the test
fails. The machine's shared PostgreSQL (5432) and Redis (6379) are never touched: the tests stop
and start their own copies to simulate outages.

A missing tool skips the tests, unless GATEHOUSE_REQUIRE_ALL=1 (CI), where it fails them.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("GATEHOUSE_PG_BIN", "/usr/lib/postgresql/15/bin"))
REQUIRE_ALL = os.environ.get("GATEHOUSE_REQUIRE_ALL") == "1"
SECRET = "system-test-secret-key"


def require(condition: bool, what: str) -> None:
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"{what} is missing and GATEHOUSE_REQUIRE_ALL=1", pytrace=False)
    pytest.skip(f"{what} is missing")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - retried until the deadline
            last = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout} s (last error: {last!r})")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), 0.5).close()
        return True
    except OSError:
        return False


def stop_process(proc: subprocess.Popen | None, sig=signal.SIGTERM, timeout: float = 15) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# --------------------------------------------------------------------------- PostgreSQL


class PrivatePostgres:
    """A throw-away PostgreSQL cluster in a temporary folder, owned by the `postgres` user."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="gh-pg-"))
        self.data = self.dir / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self.dir.chmod(0o700)
        try:
            self._run(
                PG_BIN / "initdb",
                "-D",
                self.data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            )
            self.start()
        except Exception:
            self.destroy()
            raise

    def _run(self, *args, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(a) for a in args]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=60)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=200 -c shared_buffers=128MB"
        )
        self._run(
            PG_BIN / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.dir / "log",
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self) -> None:
        self._run(
            PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "30", "stop", check=False
        )

    @property
    def running(self) -> bool:
        return self._run(PG_BIN / "pg_ctl", "-D", self.data, "status", check=False).returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/{database}",
            autocommit=True,
            connect_timeout=5,
        )

    def create_database(self) -> str:
        name = f"gh_{uuid.uuid4().hex[:10]}"
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def private_postgres():
    require((PG_BIN / "initdb").exists(), f"PostgreSQL binaries in {PG_BIN}")
    if os.geteuid() == 0:
        require(shutil.which("runuser") is not None, "runuser")
    server = PrivatePostgres()
    try:
        yield server
    finally:
        server.destroy()


# --------------------------------------------------------------------------- Redis


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: self.client().ping(), 10, "private Redis")
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self, db: int = 0):
        import redis

        return redis.Redis(
            host="127.0.0.1", port=self.port, db=db, socket_timeout=2, decode_responses=True
        )

    def command(self, *args):
        with self.client() as r:
            return r.execute_command(*args)


@pytest.fixture(scope="session")
def private_redis():
    require(shutil.which("redis-server") is not None, "redis-server")
    server = PrivateRedis()
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- the application


def app_environment(database_url: str, redis_url: str, instance: Path, **extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GUNICORN_", "RATELIMIT_", "STRIPE_", "MAIL_"))
    }
    env.update(
        {
            "FLASK_APP": "wsgi",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": redis_url,
            "GATEHOUSE_INSTANCE": str(instance),
            "TRUSTED_PROXIES": "0",
            "BASE_URL": "http://127.0.0.1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def flask_cli(env: dict, *args: str) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "flask"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"flask {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def gatehouse_database(private_postgres, tmp_path_factory):
    """A fresh database on the private server, migrated with `flask db upgrade` and given its
    administrator with `flask ensure-admin`, as an operator would. Yields (url, name, instance)."""
    name = private_postgres.create_database()
    instance = tmp_path_factory.mktemp("instance")
    env = app_environment(
        private_postgres.url(name), "memory://", instance, ADMIN_PASSWORD="system admin password 1"
    )
    flask_cli(env, "db", "upgrade")
    assert "Created the administrator" in flask_cli(env, "ensure-admin")
    yield private_postgres.url(name), name, instance
    if private_postgres.running:
        with private_postgres.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Gunicorn:
    def __init__(self, env: dict, workers: int, log_dir: Path) -> None:
        self.port = free_port()
        self.env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_THREADS": "1",
        }
        self.workers = workers
        self.access_log = log_dir / f"gunicorn-{self.port}.access.log"
        self.error_log = log_dir / f"gunicorn-{self.port}.error.log"
        self.env["GUNICORN_ACCESS_LOG"] = str(self.access_log)
        self.env["GUNICORN_ERROR_LOG"] = str(self.error_log)
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(self._ready, 60, "gunicorn", 0.2)
        except Exception:
            self.stop()
            raise

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{self.errors()[-3000:]}")
        return len(self.worker_pids()) == self.workers and self.get("/healthz")[0] == 200

    def get(self, path: str, timeout: float = 5) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def errors(self) -> str:
        try:
            return self.error_log.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGTERM, 30)


@pytest.fixture(scope="module")
def start_gunicorn(tmp_path_factory):
    """start_gunicorn(env, workers=3) -> Gunicorn, stopped at the end of the module."""
    started: list[Gunicorn] = []
    log_dir = tmp_path_factory.mktemp("gunicorn")

    def start(env: dict, workers: int = 3) -> Gunicorn:
        server = Gunicorn(env, workers, log_dir)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


NGINX_TEMPLATE = """
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
daemon off;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream gatehouse {{ server 127.0.0.1:{upstream} fail_timeout=0; keepalive 8; }}
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost 127.0.0.1;
        ssl_certificate {dir}/cert.pem;
        ssl_certificate_key {dir}/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        client_max_body_size 1m;
        location /static/ {{
            alias {static}/;
            include {static_conf};
        }}
        location / {{
            include {proxy_conf};
            proxy_pass http://gatehouse;
        }}
    }}
}}
"""


class Nginx:
    """A private nginx with TLS (self-signed, made here) in front of `upstream_port`; it uses the
    project's own deploy/nginx/gatehouse-proxy.conf for the proxy headers."""

    def __init__(self, upstream_port: int, workdir: Path) -> None:
        self.port = free_port()
        self.dir = workdir
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
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                str(workdir / "key.pem"),
                "-out",
                str(workdir / "cert.pem"),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        conf = workdir / "nginx.conf"
        # Started as root, nginx's workers would drop to `nobody`, which cannot write request
        # bodies into pytest's private temporary folder: keep this private instance's workers as
        # the user that owns the folder.
        user = "user root;" if os.geteuid() == 0 else ""
        conf.write_text(
            NGINX_TEMPLATE.format(
                user=user,
                dir=workdir,
                port=self.port,
                upstream=upstream_port,
                static=ROOT / "static",
                proxy_conf=ROOT / "deploy/nginx/gatehouse-proxy.conf",
                static_conf=ROOT / "deploy/nginx/gatehouse-static.conf",
            )
        )
        check = subprocess.run(
            ["nginx", "-t", "-c", str(conf), "-p", str(workdir)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen(
            ["nginx", "-c", str(conf), "-p", str(workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: port_open(self.port), 15, "nginx")
        except Exception:
            self.stop()
            raise

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.dir / "cert.pem"))
        context.check_hostname = True
        return context

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGQUIT, 15)


@pytest.fixture(scope="module")
def start_nginx(tmp_path_factory):
    require(shutil.which("nginx") is not None, "nginx")
    require(shutil.which("openssl") is not None, "openssl")
    started: list[Nginx] = []

    def start(upstream_port: int) -> Nginx:
        server = Nginx(upstream_port, tmp_path_factory.mktemp("nginx"))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
