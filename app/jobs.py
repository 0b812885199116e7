"""The task queue (Huey): work that must not run inside a request, today the mail outbox.

Services never send: they add an outbox row (app/mail.py) in their own transaction. When that
transaction commits, one "deliver the outbox" task is queued; a consumer (`flask worker`) runs
it, and a periodic sweep every minute catches anything a lost task or a restart left behind —
the rows, not the queue, are the durable part, so the queue may lose entries without losing mail.

Where the queue lives (HUEY_URL):
- `redis://…` / `rediss://…`: Redis, for production (every web worker and host shares it);
- `sqlite:///path`: a SQLite file, the embedded default (`instance/huey.db`);
- `memory://`: one process only (tests).
Unset, it follows RATELIMIT_STORAGE_URI when that is Redis, else the SQLite file. HUEY_IMMEDIATE
runs each task at once in the caller (the tests' default).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask
from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger("gatehouse.jobs")
_PENDING = "gatehouse.outbox_pending"  # on a session's info: this transaction queued mail


class Queue(Huey):
    """Huey whose storage is chosen by the app's config and opened on first use, so importing
    the app opens nothing and each gunicorn worker opens its own connection after the fork."""

    def __init__(self, name: str) -> None:
        self._lock = threading.Lock()
        self._storage: Any = None
        self.app: Flask | None = None
        super().__init__(name, results=False, storage_class=MemoryStorage)

    def configure(self, app: Flask, storage_class: type, options: dict, immediate: bool) -> None:
        with self._lock:
            if self._storage is not None:
                self._storage.close()
            self.app = app
            self.storage_class, self.storage_kwargs = storage_class, options
            self._immediate = immediate
            self._storage = None

    @property
    def storage(self) -> Any:
        if self._storage is None:
            with self._lock:
                if self._storage is None:
                    self._storage = self.create_storage()
        return self._storage

    @storage.setter
    def storage(self, value: Any) -> None:
        self._storage = value


huey = Queue("gatehouse")


def queue_url(app: Flask) -> str:
    if app.config.get("HUEY_URL"):
        return app.config["HUEY_URL"]
    limits = app.config.get("RATELIMIT_STORAGE_URI") or ""
    if limits.startswith(("redis://", "rediss://")):
        return limits
    return "sqlite:///" + os.path.join(app.instance_path, "huey.db")


def storage_for(url: str) -> tuple[type, dict]:
    if url.startswith(("redis://", "rediss://")):
        return RedisStorage, {"url": url}
    if url.startswith("sqlite:///"):
        return SqliteStorage, {"filename": url.removeprefix("sqlite:///")}
    if url == "memory://":
        return MemoryStorage, {}
    raise ValueError("HUEY_URL must start with redis://, rediss://, sqlite:/// or be memory://")


def init_app(app: Flask) -> None:
    storage_class, options = storage_for(queue_url(app))
    huey.configure(app, storage_class, options, bool(app.config.get("HUEY_IMMEDIATE")))
    app.cli.add_command(worker)


# --- the tasks --------------------------------------------------------------------------------


@contextmanager
def _app_context() -> Iterator[None]:
    if huey.app is None:
        raise RuntimeError("app.jobs is not initialised: create the app first")
    with huey.app.app_context():
        yield


@huey.task()
def deliver_outbox() -> None:
    """Send the mail that is due; after a failure, come back when the earliest retry is due."""
    from app import outbox

    with _app_context():
        run = outbox.deliver()
    if run.retry_in is not None:
        deliver_outbox.schedule(delay=run.retry_in.total_seconds())


@huey.task()
def send_recovery_link(login: str) -> None:
    """/forgot in link mode: the account lookup, the link and its mail, out of the request."""
    from app.auth import recovery_link

    with _app_context():
        recovery_link.send_for(login)


@huey.periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    """Every minute: what no task picked up (after a restart, a lost entry); then old rows."""
    from app import outbox

    with _app_context():
        outbox.deliver()
        outbox.purge()


def enqueue(task: Any, *args: Any) -> bool:
    """Queue `task(*args)`; False (logged) when the queue cannot be reached. The caller has
    committed by then, so this never fails it."""
    try:
        task(*args)
    except Exception:  # noqa: BLE001 - any storage error; the request has already succeeded
        log.exception("could not queue %s", getattr(task, "name", task))
        return False
    return True


def kick() -> None:
    """Queue one delivery run. If the queue is unreachable the mail waits for the sweep."""
    enqueue(deliver_outbox)


def deliver_after_commit(session: Session) -> None:
    """Called where mail is queued: once `session`'s transaction commits, deliver it."""
    session.info[_PENDING] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_PENDING, False):
        kick()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


# --- the consumer -----------------------------------------------------------------------------


@click.command("worker")
@click.option("--threads", default=2, show_default=True, help="Tasks run at the same time.")
def worker(threads: int) -> None:
    """Run the task queue's consumer (outbox delivery); Ctrl-C or SIGINT stops it gracefully."""
    logging.basicConfig(
        level=logging.INFO,
        format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
    )
    if huey.immediate:
        raise click.ClickException("HUEY_IMMEDIATE is on: there is no queue to consume.")
    consumer = huey.create_consumer(
        workers=threads, worker_type="thread", periodic=True, max_delay=2.0
    )
    consumer.run()
