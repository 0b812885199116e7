"""gunicorn settings for Gatehouse: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment (GUNICORN_*), so the systemd unit, the system
tests and the benchmarks all run this same file.
"""

import gc
import logging
import multiprocessing
import os
import signal
import subprocess
import sys

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")

# Rate limits live in one process's memory unless Redis holds them, so without Redis run one
# process with threads; with Redis, the usual 2 × cores + 1 synchronous workers (nginx in front
# buffers slow clients, so a sync worker is never held by a slow upload or download).
_shared_limits = os.environ.get("RATELIMIT_STORAGE_URI", "").startswith(("redis", "rediss"))
workers = int(
    os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1 if _shared_limits else 1)
)
threads = int(os.environ.get("GUNICORN_THREADS", 1 if _shared_limits else 8))
worker_class = "gthread" if threads > 1 else "sync"

# A request that runs longer than this is stuck (the slowest honest one is an argon2 hash of a
# few tens of milliseconds): the worker is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 20))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))  # used by gthread workers only
backlog = int(os.environ.get("GUNICORN_BACKLOG", 2048))
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = max_requests // 10
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Reject absurd request lines and headers before they reach the app.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# %(h)s is REMOTE_ADDR as the app used it: behind nginx, werkzeug's ProxyFix (TRUSTED_PROXIES hops)
# has already replaced the proxy's address with the client's, so this is the real client and a
# client cannot forge it past the trusted proxy. %(M)s is the time taken in milliseconds.
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s"'
# gunicorn itself only uses this to trust X-Forwarded-Proto; keep it to the local proxy.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def post_worker_init(worker):
    """Send the application's own log records (gatehouse.*, flask-limiter) to gunicorn's error log.

    Without this they are lost: the app configures no handler and Flask-Limiter adds a
    NullHandler, so e.g. "Rate limit storage unreachable - falling back to in-memory storage"
    would never reach an operator.
    """
    handlers = list(worker.log.error_log.handlers)
    if not handlers:
        handlers = [logging.StreamHandler(sys.stderr)]
    formatter = logging.Formatter(
        "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S %z"
    )
    level = getattr(logging, os.environ.get("GATEHOUSE_LOG_LEVEL", "INFO").upper(), logging.INFO)
    for name in ("gatehouse", "flask-limiter"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.propagate = False
        for handler in handlers:
            if handler not in logger.handlers:
                logger.addHandler(handler)
    for handler in handlers:
        handler.setFormatter(formatter)
    # Everything loaded so far (the app, its models, SQLAlchemy, Jinja) lives as long as the
    # worker: moved out of the collector's reach, full collections no longer walk it on every
    # few hundred requests (a fifth of a dashboard request's CPU under load).
    gc.freeze()


# --- the task queue's consumer beside the web workers (`make run`) ----------------------------
# With GATEHOUSE_EMBEDDED_WORKER=1 the master also starts `flask worker` (app/jobs.py: the mail
# outbox) and stops it when it exits or reloads, so one command and one Ctrl-C serve the
# embedded default. Production runs the consumer as its own systemd unit instead
# (deploy/systemd/gatehouse-worker.service) and leaves this unset.
_consumer: subprocess.Popen | None = None


def _die_with_the_master() -> None:
    """In the consumer, before exec: SIGTERM when the master dies, even by SIGKILL (no orphan)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _start_consumer(server) -> None:
    global _consumer
    if os.environ.get("GATEHOUSE_EMBEDDED_WORKER") != "1":
        return
    # Its own process group: a Ctrl-C reaches the master only, which then stops the consumer
    # once, gracefully (a second SIGINT would cut its shutdown short).
    _consumer = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
        preexec_fn=_die_with_the_master,
        process_group=0,
    )
    server.log.info("Task queue consumer started (pid: %s)", _consumer.pid)


def _stop_consumer(server) -> None:
    global _consumer
    consumer, _consumer = _consumer, None
    if consumer is None or consumer.poll() is not None:
        return
    consumer.send_signal(signal.SIGINT)  # graceful: the task in hand finishes
    try:
        consumer.wait(timeout=graceful_timeout)
    except subprocess.TimeoutExpired:
        consumer.kill()
        consumer.wait()
    server.log.info("Task queue consumer stopped")


def when_ready(server):
    _start_consumer(server)


def on_reload(server):
    _stop_consumer(server)
    _start_consumer(server)


def on_exit(server):
    _stop_consumer(server)
