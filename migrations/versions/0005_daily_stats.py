"""statistics: per-day totals of closed days, so a year of figures is 366 x 9 rows to read

Revision ID: 0005
Revises: 0004

The admin statistics read closed days (before yesterday, UTC) from `daily_stats`, filled the first
time a day is asked for; yesterday and today are always counted live from `audit_events`.
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "daily_stats",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "metric", name=op.f("pk_daily_stats")),
    )


def downgrade():
    op.drop_table("daily_stats")
