"""Run requests at the same moment, each in its own thread, as a threaded server would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from app.extensions import db

T = TypeVar("T")


def simultaneously(calls: list[Callable[[], T]], timeout: float = 60) -> list[T]:
    """Each call's result, in order, the calls released together by a barrier.

    The test's own transaction is committed first: outside a request it is a write transaction,
    which on SQLite holds the write lock and would keep every thread waiting. Each thread gets
    its own app context (and db.session) from its test client, as a worker thread would; an
    exception in a thread fails the test.
    """
    db.session.commit()
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = calls[index]()
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    if errors:
        raise errors[0]
    return results


def at_once(*calls: Callable[[], Any], timeout: float = 60) -> list[Any]:
    return simultaneously(list(calls), timeout)
