"""admin at scale: an exact users total kept by triggers

Revision ID: 0006
Revises: 0005

The users table shows how many people match. Unfiltered, that was a `count(*)` over 100,000
index entries on every view (7–20 ms, the largest part of the page). `row_counts` holds the
figure instead, changed by triggers in the same transaction as each insert and delete, so it is
as exact as the count it replaces.

- PostgreSQL: statement-level triggers with transition tables (one UPDATE per statement, however
  many rows it inserts or deletes, so COPY and bulk inserts stay fast), and one for TRUNCATE.
- SQLite: row-level triggers (SQLite has no other kind; it updates the row in place).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COUNTED = ("users",)

POSTGRES_FUNCTION = """
CREATE FUNCTION count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE row_counts SET rows = rows + (SELECT count(*) FROM added)
        WHERE table_name = TG_TABLE_NAME;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE row_counts SET rows = rows - (SELECT count(*) FROM removed)
        WHERE table_name = TG_TABLE_NAME;
    ELSE
        UPDATE row_counts SET rows = 0 WHERE table_name = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END
$$
"""


def _postgres_triggers(table: str) -> list[str]:
    each = "FOR EACH STATEMENT EXECUTE FUNCTION count_rows()"
    return [
        f"CREATE TRIGGER {table}_count_insert AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS added {each}",
        f"CREATE TRIGGER {table}_count_delete AFTER DELETE ON {table} "
        f"REFERENCING OLD TABLE AS removed {each}",
        f"CREATE TRIGGER {table}_count_truncate AFTER TRUNCATE ON {table} {each}",
    ]


def _sqlite_triggers(table: str) -> list[str]:
    change = "UPDATE row_counts SET rows = rows {} 1 WHERE table_name = '{}'"
    return [
        f"CREATE TRIGGER {table}_count_insert AFTER INSERT ON {table} "
        f"BEGIN {change.format('+', table)}; END",
        f"CREATE TRIGGER {table}_count_delete AFTER DELETE ON {table} "
        f"BEGIN {change.format('-', table)}; END",
    ]


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.create_table(
        "row_counts",
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_row_counts")),
    )
    if _postgres():
        op.execute(POSTGRES_FUNCTION)
    for table in COUNTED:
        for statement in _postgres_triggers(table) if _postgres() else _sqlite_triggers(table):
            op.execute(statement)
        op.execute(
            f"INSERT INTO row_counts (table_name, rows) SELECT '{table}', count(*) FROM {table}"
        )


def downgrade():
    for table in COUNTED:
        for kind in ("insert", "delete", "truncate"):
            op.execute(
                f"DROP TRIGGER IF EXISTS {table}_count_{kind}"
                + (f" ON {table}" if _postgres() else "")
            )
    if _postgres():
        op.execute("DROP FUNCTION count_rows()")
    op.drop_table("row_counts")
