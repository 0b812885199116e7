"""privilege epoch: a session begun before a privilege change is replaced at its next request

Revision ID: 0009
Revises: 0008

users.privilege_epoch moves on when a person's admin flag or an organization role changes;
each session row keeps the value it began under. When they differ, the request ends the row and
starts a new one with a new cookie (SECURITY 21): the old cookie stops working, the person stays
signed in.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("users", "user_sessions"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("privilege_epoch", sa.Integer(), nullable=False, server_default="0")
            )


def downgrade():
    for table in ("user_sessions", "users"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("privilege_epoch")
