"""A refusal of our services as the SCIM error RFC 7644 §3.12 has for it, its message as detail."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from scim2_models import (
    ConflictException,
    ForbiddenException,
    InvalidValueException,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    UniquenessException,
)
from sqlalchemy.exc import IntegrityError

from app import integrity
from app.api.common import Invalid
from app.errors import DomainError, Forbidden, NotFound


@contextlib.contextmanager
def as_scim() -> Iterator[None]:
    """Raise the SCIM exception of a DomainError (the caller's transaction is rolled back by
    the view, as for any error). A refusal by state ("the last administrator", a seat limit)
    is a 409: the request was well formed, the resource's state forbids it."""
    try:
        yield
    except IntegrityError as exc:
        refusal = integrity.refusal_for(exc)
        if refusal is None:
            raise
        raise UniquenessException(detail=refusal.message) from exc
    except integrity.Taken as exc:
        raise UniquenessException(detail=exc.message) from exc
    except Invalid as exc:
        raise InvalidValueException(detail=exc.message) from exc
    except NotFound as exc:
        raise NotFoundException(detail=exc.message) from exc
    except Forbidden as exc:
        raise ForbiddenException(detail=exc.message) from exc
    except DomainError as exc:
        raise ConflictException(detail=exc.message) from exc


def version_of(resource: Resource[Any]) -> str:
    """A weak ETag from the attributes a client sees: it moves whenever one of them does.

    Our rows have no modification time or counter; a digest of the mapped attributes changes
    exactly when the resource does, which is what RFC 7644 §3.14 asks of a version.
    """
    shown = resource.model_dump(exclude={"meta"}, mode="json")
    digest = hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()
    return f'W/"{digest[:16]}"'


def check_version(resource: Resource[Any], expected: str | None) -> None:
    if expected is not None and resource.meta is not None and resource.meta.version != expected:
        raise PreconditionFailedException(detail="The resource has changed since that version.")
