"""Running a use case for the API: the same `attempt` the pages use (app/web.py), with its
refusal raised so that app/web.py answers it as problem details; and the pages' own forms as
the rules of a request body, so a name or password refused on a page is refused here too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from app.errors import DomainError
from app.web import attempt

P = ParamSpec("P")
T = TypeVar("T")


class Invalid(DomainError):
    """The request's attributes broke the pages' rules: each attribute's reasons in `errors`."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        first = next(iter(errors))
        super().__init__(f"{first}: {errors[first][0]}", field=first)
        self.errors = errors


class BadRequest(DomainError):
    status = 400


def run(service: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    done = attempt(service, *args, **kwargs)
    if done.error is not None:
        raise done.error
    return done.value


def checked(form_class: type[FlaskForm], values: dict[str, Any], *args: Any) -> FlaskForm:
    """`values` run through a page's form (without its CSRF token); Invalid if it refuses."""
    data: MultiDict[str, str] = MultiDict()
    for key, value in values.items():
        if value is True:
            data[key] = "y"
        elif value not in (None, False):
            data[key] = str(value)
    form = form_class(*args, formdata=data, meta={"csrf": False})
    if not form.validate():
        raise Invalid({name: list(errors) for name, errors in form.errors.items()})
    return form
