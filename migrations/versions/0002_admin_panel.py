"""admin panel: indexes for the users table's sorts, the session sweep and the user search

Revision ID: 0002
Revises: 0001

- (created_at, id) and (open_sessions, id) replace the single-column indexes so the admin table
  pages through newest-first or by live-session count with an index-only scan, deep pages too.
- Partial indexes on open sessions' (remember, last_seen_at) and (remember, created_at) let the
  sweep that runs before every count of live sessions find expired rows by index.
- PostgreSQL only: pg_trgm GIN indexes make the case-insensitive substring search (ILIKE '%q%')
  an index lookup. They are named trgm_* and left out of the models comparison (migrations/env.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN = sa.text("ended_at IS NULL")
TRIGRAM_COLUMNS = ("username", "display_name", "email")
SWEEP_INDEXES = {
    "last_seen_at": "ix_user_sessions_open_remember_seen",
    "created_at": "ix_user_sessions_open_remember_created",
}


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _trigram_available() -> bool:
    return (
        op.get_bind().scalar(
            sa.text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'")
        )
        > 0
    )


def upgrade():
    op.drop_index("ix_users_created_at", table_name="users")
    op.drop_index("ix_users_open_sessions", table_name="users")
    op.create_index("ix_users_created_at_id", "users", ["created_at", "id"])
    op.create_index("ix_users_open_sessions_id", "users", ["open_sessions", "id"])
    for column in ("last_seen_at", "created_at"):
        op.create_index(
            SWEEP_INDEXES[column],
            "user_sessions",
            ["remember", column],
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        )
    if _postgres() and _trigram_available():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in TRIGRAM_COLUMNS:
            op.execute(
                f"CREATE INDEX trgm_users_{column} ON users USING gin ({column} gin_trgm_ops)"
            )


def downgrade():
    if _postgres():
        for column in TRIGRAM_COLUMNS:
            op.execute(f"DROP INDEX IF EXISTS trgm_users_{column}")
    for name in SWEEP_INDEXES.values():
        op.drop_index(name, table_name="user_sessions", postgresql_where=OPEN, sqlite_where=OPEN)
    op.drop_index("ix_users_open_sessions_id", table_name="users")
    op.drop_index("ix_users_created_at_id", table_name="users")
    op.create_index("ix_users_open_sessions", "users", ["open_sessions"])
    op.create_index("ix_users_created_at", "users", ["created_at"])
