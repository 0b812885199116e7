"""admin at scale: stored per-day statistics; live sessions listed from an index

Revision ID: 0005
Revises: 0004

- The admin statistics read closed days (before yesterday, UTC) from `daily_stats`, filled the
  first time a day is asked for; yesterday and today are always counted live from `audit_events`.
- A partial index on open sessions' (last_seen_at, id) gives /admin/sessions its newest-seen-first
  page without sorting every live session (a parallel seq scan and top-N sort of 180k rows).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OPEN = sa.text("ended_at IS NULL")


def upgrade():
    op.create_table(
        "daily_stats",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "metric", name=op.f("pk_daily_stats")),
    )
    op.create_index(
        "ix_user_sessions_open_seen_id",
        "user_sessions",
        ["last_seen_at", "id"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade():
    op.drop_index(
        "ix_user_sessions_open_seen_id",
        table_name="user_sessions",
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.drop_table("daily_stats")
