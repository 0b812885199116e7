"""Unique names a person can run into, and the refusal each one means.

A service checks a name before it inserts it, but a concurrent request can take the name between
the check and the insert; the unique constraint then refuses the write. Both guards give the same
refusal: the check raises `taken(...)`, and `refusal_for()` turns the database's IntegrityError
into it. Constraints are known by their names (the naming convention in app/extensions.py keeps
them stable); SQLite does not name the constraint, only its columns, so those are looked up in
the models' metadata.
"""

from __future__ import annotations

import re
from functools import cache

from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError

from app.errors import DomainError
from app.extensions import db


class Taken(DomainError):
    """A unique name that another row holds already; the message goes next to `field`."""


# constraint name: (form field, message). A constraint missing here is a bug, not a person's
# mistake: its IntegrityError propagates (a 500 and a log entry).
UNIQUE: dict[str, tuple[str | None, str]] = {
    "uq_organizations_slug": ("slug", "That short name is already taken."),
    "uq_users_username_key": ("username", "Username already exists."),
    "uq_users_email_key": ("email", "Email already exists."),
    "uq_memberships_organization_id": (None, "That person is already a member."),
    "uq_federated_identities_provider": (
        None,
        "That identity is already linked to an account.",
    ),
    "uq_passkeys_credential_id": (None, "That passkey is already registered."),
}

UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE
SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?:index '([^']+)'|(.+))$")


def taken(constraint: str) -> Taken:
    field, message = UNIQUE[constraint]
    return Taken(message, field=field)


def refusal_for(exc: IntegrityError) -> Taken | None:
    """The refusal a unique-constraint violation means, or None if it is not one we know."""
    name = constraint_name(exc)
    return taken(name) if name in UNIQUE else None


def constraint_name(exc: IntegrityError) -> str | None:
    """The name of the unique constraint (or unique index) that refused the write, if any."""
    error = exc.orig
    diag = getattr(error, "diag", None)
    if diag is not None:  # psycopg names it
        if getattr(error, "sqlstate", None) != UNIQUE_VIOLATION:
            return None
        return diag.constraint_name
    found = SQLITE_UNIQUE.match(str(error).strip())
    if found is None:
        return None
    if found.group(1):
        return found.group(1)
    columns = [part.strip().split(".", 1) for part in found.group(2).split(",")]
    if any(len(pair) != 2 for pair in columns) or len({table for table, _ in columns}) != 1:
        return None
    return _by_columns().get((columns[0][0], frozenset(column for _, column in columns)))


@cache
def _by_columns() -> dict[tuple[str, frozenset[str]], str]:
    """(table, columns) -> name, for every unique constraint and unique index of the models."""
    names: dict[tuple[str, frozenset[str]], str] = {}
    for table in db.metadata.tables.values():
        found: list[tuple[object, list[str]]] = [
            (c.name, [col.name for col in c.columns])
            for c in table.constraints
            if isinstance(c, UniqueConstraint)
        ]
        found += [(i.name, [col.name for col in i.columns]) for i in table.indexes if i.unique]
        for name, columns in found:
            if isinstance(name, str):
                names[(table.name, frozenset(columns))] = name
    return names
