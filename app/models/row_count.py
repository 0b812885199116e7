from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model


class RowCount(Model):
    """How many rows a table holds, kept exact by database triggers (migration 0006).

    The triggers run inside each inserting or deleting transaction, so the figure is exactly
    what `count(*)` would see, for the price of one primary-key lookup. Only a load that turns
    triggers off must set it afterwards, as bench/seed.py does on PostgreSQL.
    """

    __tablename__ = "row_counts"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    rows: Mapped[int] = mapped_column(BigInteger)
