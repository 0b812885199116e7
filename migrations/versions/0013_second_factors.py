"""second factors: authenticator apps, recovery codes, passkeys, remembered devices

Revision ID: 0013
Revises: 0012

users.totp_secret is the authenticator app's RFC 6238 key (base32), set at enrollment and
confirmed by a code (totp_confirmed_at); totp_last_step is the last accepted time step, so a
code is never accepted twice. users.second_factor_at is set while the person has any second
factor (app or passkey), so a page knows without a query; users.factor_deadline is when a
person required to use a second factor must have enrolled (the grace period).
organizations.require_2fa: the owner requires one of every member. recovery_codes keeps only
SHA-256 hashes; passkeys the WebAuthn credential id, its public key and signature counter;
remembered_devices the hash of a cookie's secret.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _user_fk(table: str) -> sa.Column:
    return sa.Column(
        "user_id",
        sa.Integer(),
        sa.ForeignKey("users.id", ondelete="CASCADE", name=f"fk_{table}_user_id_users"),
        nullable=False,
    )


def upgrade():
    op.add_column("users", sa.Column("totp_secret", sa.String(64)))
    op.add_column("users", sa.Column("totp_confirmed_at", sa.DateTime(timezone=True)))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger()))
    op.add_column("users", sa.Column("factor_deadline", sa.DateTime(timezone=True)))
    op.add_column("users", sa.Column("second_factor_at", sa.DateTime(timezone=True)))
    op.add_column(
        "organizations",
        sa.Column("require_2fa", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user_fk("recovery_codes"),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"])
    op.create_table(
        "passkeys",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user_fk("passkeys"),
        sa.Column("credential_id", sa.LargeBinary(1023), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("transports", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("credential_id", name="uq_passkeys_credential_id"),
    )
    op.create_index("ix_passkeys_user_id", "passkeys", ["user_id"])
    op.create_table(
        "remembered_devices",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user_fk("remembered_devices"),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("ip", sa.String(45)),
        sa.Column("user_agent", sa.String(255)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("token_hash", name="uq_remembered_devices_token_hash"),
    )
    op.create_index("ix_remembered_devices_user_id", "remembered_devices", ["user_id"])


def downgrade():
    for table in ("remembered_devices", "passkeys", "recovery_codes"):
        op.drop_index(f"ix_{table}_user_id", table_name=table)
        op.drop_table(table)
    op.drop_column("organizations", "require_2fa")
    for column in (
        "second_factor_at",
        "factor_deadline",
        "totp_last_step",
        "totp_confirmed_at",
        "totp_secret",
    ):
        op.drop_column("users", column)
