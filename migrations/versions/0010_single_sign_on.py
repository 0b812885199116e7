"""single sign-on: linked identities, outstanding SAML requests, accepted assertion ids

Revision ID: 0010
Revises: 0009

federated_identities ties an account to (provider, subject). sso_requests keeps each SAML
AuthnRequest id until its response arrives (single use). used_assertions keeps each accepted
assertion id until the assertion expires, so a replay is refused. users.password_set is false for
accounts a single sign-on created, whose password nobody knows.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "federated_identities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey(
                "users.id", ondelete="CASCADE", name="fk_federated_identities_user_id_users"
            ),
            nullable=False,
        ),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_federated_identities"),
        sa.UniqueConstraint("provider", "subject", name="uq_federated_identities_provider"),
    )
    op.create_index("ix_federated_identities_user_id", "federated_identities", ["user_id"])
    op.create_table(
        "sso_requests",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("next_path", sa.String(500)),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sso_requests"),
    )
    op.create_index("ix_sso_requests_expires_at", "sso_requests", ["expires_at"])
    op.create_table(
        "used_assertions",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_used_assertions"),
    )
    op.create_index("ix_used_assertions_expires_at", "used_assertions", ["expires_at"])
    # A plain ADD COLUMN: a batch operation would rebuild users on SQLite, dropping the
    # triggers that keep its row count (migration 0006).
    op.add_column(
        "users", sa.Column("password_set", sa.Boolean(), nullable=False, server_default=sa.true())
    )


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_set")
    op.drop_table("used_assertions")
    op.drop_table("sso_requests")
    op.drop_table("federated_identities")
