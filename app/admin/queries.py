"""Reads for the admin pages: each table is a fixed number of queries whatever its size."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    UnaryExpression,
    and_,
    any_,
    case,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.orm import QueryableAttribute

from app import paging, settings
from app.auth import sessions
from app.billing import plans
from app.extensions import db, utcnow
from app.models import (
    ApiToken,
    Membership,
    Organization,
    Project,
    RowCount,
    Subscription,
    User,
    UserSession,
)
from app.models.user import name_key

PLAN_LABELS = {"free": "Free", "solo": "Solo", "team": "Team"}


def sweep_sessions() -> None:
    """End expired session rows, so open counts are live counts. When it ends any, that is
    its own small write transaction, committed before the page's rows are read; usually there is
    nothing to end."""
    sessions.sweep()


def user_total():
    """Every account, as a SQL expression: the trigger-kept figure in `row_counts`, or a real
    count should that row be missing (both databases skip the count when it is not)."""
    stored = select(RowCount.rows).where(RowCount.table_name == User.__tablename__)
    return func.coalesce(
        stored.scalar_subquery(), select(func.count()).select_from(User).scalar_subquery()
    )


def user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- overview -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    users: int
    sessions: int
    organizations: int
    paying: int


def overview_counts() -> Counts:
    sweep_sessions()
    row = db.session.execute(
        select(
            user_total(),
            select(func.count())
            .select_from(UserSession)
            .where(UserSession.ended_at.is_(None))
            .scalar_subquery(),
            select(func.count()).select_from(Organization).scalar_subquery(),
            select(func.count())
            .select_from(Subscription)
            .where(Subscription.status.in_(plans.PAID_STATUSES))
            .scalar_subquery(),
        )
    ).one()
    return Counts(*row)


def account_named(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username_key == name_key(username)))


# --- users ----------------------------------------------------------------------------------


def _orgs_count():
    return (
        select(func.count()).where(Membership.user_id == User.id).correlate(User).scalar_subquery()
    )


def _projects_count():
    return (
        select(func.count())
        .where(Project.created_by_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )


def _plan_expr():
    paid = Subscription.status.in_(plans.PAID_STATUSES)
    return func.coalesce(
        select(case((paid, Subscription.plan), else_="free"))
        .where(Subscription.user_id == User.id)
        .correlate(User)
        .scalar_subquery(),
        "free",
    )


@dataclass(frozen=True)
class Sort:
    expression: Callable[[], ColumnElement | QueryableAttribute]
    unique: bool = False  # unique values need no id to break ties
    nullable: bool = False  # NULL ("never", no email) sorts last in both directions


USER_SORTS = {
    "name": Sort(lambda: User.username_key, unique=True),
    "display_name": Sort(lambda: User.display_name),
    "email": Sort(lambda: User.email_key, nullable=True),
    "admin": Sort(lambda: User.is_admin),
    "disabled": Sort(lambda: User.is_disabled),
    "created": Sort(lambda: User.created_at),
    "last_login": Sort(lambda: User.last_login_at, nullable=True),
    "sessions": Sort(lambda: User.open_sessions),
    "orgs": Sort(_orgs_count),
    "projects": Sort(_projects_count),
    "plan": Sort(_plan_expr),
}
DEFAULT_USER_SORT = "-created"


def parse_sort(value: str | None, sorts: dict, default: str) -> str:
    value = value or default
    return value if value.lstrip("-") in sorts else default


def _order(sort: str) -> list[UnaryExpression]:
    spec = USER_SORTS[sort.lstrip("-")]
    descending = sort.startswith("-")
    column = spec.expression()
    first = column.desc() if descending else column.asc()
    if spec.nullable:
        # "never" is not the earliest nor the latest time: it goes after every real one. SQLite
        # reads such an order from the index in two passes; PostgreSQL's ASC is NULLS LAST anyway.
        first = first.nulls_last()
    # Plain DESC (no NULLS clause) lets PostgreSQL walk the (column, id) index backwards.
    order = [first]
    if not spec.unique:
        order.append(User.id.desc() if descending else User.id.asc())
    return order


def user_search(q: str) -> ColumnElement:
    pattern = like_pattern(q)
    return or_(
        User.username.ilike(pattern, escape="\\"),
        User.display_name.ilike(pattern, escape="\\"),
        User.email.ilike(pattern, escape="\\"),
    )


@dataclass(frozen=True)
class UserRow:
    user: User
    organizations: int
    projects: int
    plan: str
    locked: bool = False  # sign-in stopped by failures, or question recovery closed
    tokens: int = 0  # live API tokens


def _locked():
    return or_(
        User.failed_logins >= settings.get("login_max_failures"), User.recovery_locked.is_(True)
    )


# The filters above the users table (`filter=` in the URL), each a condition on `users`.
USER_FILTERS: dict[str, Callable[[], ColumnElement]] = {
    "admins": lambda: User.is_admin.is_(True),
    "disabled": lambda: User.is_disabled.is_(True),
    "never": lambda: User.last_login_at.is_(None),
    "locked": _locked,  # sign-in stopped by failures, or question recovery closed
}

# Up to this many matches, a search collects them first and sorts only those. A filter's
# matches are gathered by reading the whole table (the flags have no index), so it collects them
# only when they are too few for a walk along the sort order to fill a page soon.
FEW_MATCHES = 5000
FEW_FLAGGED = 500


def _matching(condition: ColumnElement, total: int, exact: bool = True, few: int = FEW_MATCHES):
    """The condition, shaped for the planner: few matches are gathered by the (trigram)
    indexes first, many are met while walking the sort order's index."""
    dialect = db.session.get_bind().dialect.name
    if total > few or not exact:
        # SQLite would rather read an index on the filtered column (last_login_at for "never")
        # and sort all its matches; likely() tells it most rows match, so it walks the order.
        return func.likely(condition) if dialect == "sqlite" else condition
    if dialect == "postgresql":
        # An array parameter makes PostgreSQL fetch the matches, then sort them (a plain
        # IN lets it walk the whole sort index looking for them).
        matches = select(func.array_agg(User.id)).where(condition).scalar_subquery()
        return User.id == any_(cast(matches, ARRAY(Integer)))
    return User.id.in_(select(User.id).where(condition))


def user_page(q: str, sort: str, shown: str, page: int, per_page: int) -> paging.Page:
    """Deferred join: the page's ids come from an index, then one query fetches those rows.

    The total is the trigger-kept `row_counts` figure for the whole table, an exact count for
    a search (the search needs it to choose its plan), and a bounded count once a filter is on.
    """
    sweep_sessions()
    conditions = [user_search(q)] if q else []
    if shown in USER_FILTERS:
        conditions.append(USER_FILTERS[shown]())
    exact = True
    if not conditions:
        total = db.session.scalars(select(user_total())).one()
    elif len(conditions) == 1 and q:
        total = paging.count(select(User.id).where(*conditions))
    else:
        total, exact = paging.bounded_count(select(User.id).where(*conditions), page, per_page)
    ids_query = select(User.id).order_by(*_order(sort))
    if conditions:
        few = FEW_FLAGGED if shown in USER_FILTERS else FEW_MATCHES
        ids_query = ids_query.where(_matching(and_(*conditions), total, exact, few))
    page = paging.within(page, per_page, total, exact)
    ids, has_next = paging.fetch(ids_query, page, per_page)
    return paging.Page(_user_rows(ids), page, per_page, has_next, total, exact)


def _count_per_user(column, ids: list[int], *conditions: ColumnElement):
    """Rows per person among `ids`, grouped once. A correlated count per row looked the same,
    but PostgreSQL plans it for any person: with one person owning most projects, it read the
    whole table for every row of the page."""
    return (
        select(column.label("user_id"), func.count().label("n"))
        .where(column.in_(ids), *conditions)
        .group_by(column)
        .subquery()
    )


def _user_rows(ids: list[int]) -> list[UserRow]:
    if not ids:
        return []
    org_counts = _count_per_user(Membership.user_id, ids)
    project_counts = _count_per_user(Project.created_by_id, ids)
    token_counts = _count_per_user(  # live tokens only
        ApiToken.user_id, ids, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow()
    )
    found = {
        user.id: (user, orgs, projects, live_tokens)
        for user, orgs, projects, live_tokens in db.session.execute(
            select(
                User,
                func.coalesce(org_counts.c.n, 0),
                func.coalesce(project_counts.c.n, 0),
                func.coalesce(token_counts.c.n, 0),
            )
            .outerjoin(org_counts, org_counts.c.user_id == User.id)
            .outerjoin(project_counts, project_counts.c.user_id == User.id)
            .outerjoin(token_counts, token_counts.c.user_id == User.id)
            .where(User.id.in_(ids))
        )
    }
    plan_of = user_plans(ids)
    most_failures = settings.get("login_max_failures")
    return [
        UserRow(
            *found[i][:3],
            PLAN_LABELS.get(plan_of.get(i, "free"), "Free"),
            found[i][0].failed_logins >= most_failures or found[i][0].recovery_locked,
            tokens=found[i][3],
        )
        for i in ids
        if i in found
    ]


def user_plans(ids: list[int]) -> dict[int, str]:
    """The plan in force for each of these people, from one query on `subscriptions`."""
    rows = db.session.scalars(select(Subscription).where(Subscription.user_id.in_(ids)))
    return {row.user_id: plans.state_of(row).plan for row in rows if row.user_id is not None}


def owned_organizations(user: User) -> list[Organization]:
    return list(
        db.session.scalars(
            select(Organization).where(Organization.owner_id == user.id).order_by(Organization.slug)
        )
    )


# --- sessions -------------------------------------------------------------------------------


def session_page(user_id: int | None, page: int, per_page: int) -> paging.Page:
    sweep_sessions()
    # users.open_sessions is exact after the sweep, and summing it is cheaper than counting rows;
    # "> 0" changes no sum but lets the (open_sessions, id) index skip the users with none.
    total_query = select(func.coalesce(func.sum(User.open_sessions), 0)).where(
        User.open_sessions > 0
    )
    query = select(UserSession.id).where(UserSession.ended_at.is_(None))
    if user_id is not None:
        total_query = total_query.where(User.id == user_id)
        query = query.where(UserSession.user_id == user_id)
    total = db.session.scalar(total_query) or 0
    page = paging.within(page, per_page, total)
    ids, has_next = paging.fetch(
        query.order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()), page, per_page
    )
    found = (
        {r.id: r for r in db.session.scalars(select(UserSession).where(UserSession.id.in_(ids)))}
        if ids
        else {}
    )
    items = [found[i] for i in ids if i in found]
    return paging.Page(items, page, per_page, has_next, total)
