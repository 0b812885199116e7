"""The one place that turns a refused use case into an answer, for pages.

A route calls `attempt(service, ...)`: it runs the service, commits, and hands back an Outcome.
A DomainError, or an IntegrityError on a unique name we know (app/integrity.py), rolls back and
becomes `Outcome.error`; the route shows it next to its field (`show_on`), as a flash (`flash`)
or at the top of its page, with `Outcome.status`. Access refusals (NotFound, Forbidden) are not a
page's business: they go on to the error page below, 404 plain, 403 with its reason. Anything
else, an unknown IntegrityError included, propagates (a 500, logged).

An API would call the same `attempt` and render `Outcome.error` (status, message, field) as
problem+json instead of a page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, ParamSpec, TypeVar, cast

from flask import Flask, flash
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from app import integrity
from app.api import bearer, problems
from app.errors import DomainError, Forbidden, NotFound, render_error
from app.extensions import db, discard_session

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    result: T | None = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def value(self) -> T:
        """The service's result; only for an outcome that is ok."""
        assert self.error is None, "a refused outcome has no value"
        return cast(T, self.result)

    @property
    def status(self) -> int:
        return self.error.status if self.error is not None else 200

    @property
    def message(self) -> str | None:
        return self.error.message if self.error is not None else None

    def show_on(self, form: FlaskForm) -> str | None:
        """Put the reason next to the field of `form` it names and return None; if it names
        none of them, return the reason for the page to show elsewhere."""
        if self.error is None:
            return None
        field = form._fields.get(self.error.field or "")
        if field is None:
            return self.error.message
        field.errors = [*field.errors, self.error.message]
        return None

    def flash(self, form: FlaskForm | None = None) -> Outcome[T]:
        """Flash the reason, unless it belongs next to a field of `form`."""
        message = self.show_on(form) if form is not None else self.message
        if message:
            flash(message, "error")
        return self


def attempt(service: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Outcome[T]:
    """Run one use case and commit it; a refusal rolls everything back (see the module doc)."""
    try:
        result = service(*args, **kwargs)
        db.session.commit()
    except (NotFound, Forbidden):
        db.session.rollback()
        raise
    except DomainError as exc:
        db.session.rollback()
        return Outcome(error=exc)
    except IntegrityError as exc:
        db.session.rollback()
        refusal = integrity.refusal_for(exc)
        if refusal is None:
            raise
        return Outcome(error=refusal)
    return Outcome(result=result)


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def refused(exc: DomainError):
        """A refusal no route turned into its page: access refusals, mostly."""
        discard_session()
        if bearer.is_machine_request():
            return problems.answer(
                exc.status,
                exc.message,
                headers=getattr(exc, "headers", None),
                field=exc.field,
                errors=getattr(exc, "errors", None),
            )
        return render_error(exc.status, None if isinstance(exc, NotFound) else exc.message)
