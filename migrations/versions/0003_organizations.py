"""organizations: the emailed recovery link's table (organizations themselves are in 0001).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "recovery_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_links_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_recovery_links_token_hash")),
    )
    with op.batch_alter_table("recovery_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_links_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("recovery_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_links_user_id"))
    op.drop_table("recovery_links")
