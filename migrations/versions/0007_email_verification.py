"""email verification: when an address was proved, and the one live verification link

Revision ID: 0007
Revises: 0006

An invitation is accepted from the /invitations list only by a verified address that matches it
(SECURITY 30). Existing accounts start unverified: nothing so far proved who controls their
addresses. They verify by the link sent from /account, an admin marks them verified, or they
answer invitations through the emailed token link as before.

Plain ADD/DROP COLUMN and a unique index, no batch mode: a batch rebuild of `users` on SQLite
would drop the row-count triggers of migration 0006.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

HASH_INDEX = "ix_users_email_verification_hash"


def upgrade():
    op.add_column(
        "users", sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "users", sa.Column("email_verification_hash", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "users",
        sa.Column("email_verification_expires_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(HASH_INDEX, "users", ["email_verification_hash"], unique=True)


def downgrade():
    op.drop_index(HASH_INDEX, table_name="users")
    op.drop_column("users", "email_verification_expires_at")
    op.drop_column("users", "email_verification_hash")
    op.drop_column("users", "email_verified_at")
