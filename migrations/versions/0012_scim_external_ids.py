"""scim external ids: the identifier a provisioning client gives an account or organization

Revision ID: 0012
Revises: 0011

A SCIM client (an identity provider) names each resource it provisions with its own externalId
(RFC 7643 §3.1) and looks it up by that name, so it is kept as given (case-exact) and indexed.
It is not unique: RFC 7643 leaves its uniqueness to the client.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("users", "organizations"):
        op.add_column(table, sa.Column("scim_external_id", sa.String(255)))
        op.create_index(f"ix_{table}_scim_external_id", table, ["scim_external_id"])


def downgrade():
    for table in ("users", "organizations"):
        op.drop_index(f"ix_{table}_scim_external_id", table_name=table)
        op.drop_column(table, "scim_external_id")
