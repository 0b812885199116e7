"""SCIM filters (RFC 7644 §3.4.2.2) as SQL conditions, so a search over 100k accounts is one
indexed query, not a walk in Python.

Each resource type lists the attributes it can filter on, as a `Column`: the SQL expression, its
kind, and whether it is compared as stored (caseExact) or casefolded. Those whose key columns
are kept casefolded (username_key, email_key) are compared with the casefolded value. An
attribute not listed, or an operator its kind does not take, is refused with invalidFilter:
filtering afterwards in Python would make totalResults and the pages wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scim2_models import InvalidFilterException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from sqlalchemy import ColumnElement, and_, false, func, not_, or_, true

Op = CompareOperator


@dataclass(frozen=True)
class Column:
    expression: Any  # an SQL column or expression
    kind: str = "string"  # "string" | "id" | "bool" | "datetime"
    folded: bool = False  # the column holds casefolded text: compare with the casefolded value
    case_exact: bool = False
    nullable: bool = False
    # For a column that is not itself a value (members.value): the condition a comparison makes.
    condition: Callable[[Op, Any], ColumnElement[bool]] | None = None


def key_of(attr_path: AttrPath, prefix: str | None = None) -> str:
    """`emails.value`, `meta.created`: the name an attribute is listed under, in lower case."""
    parts = [prefix, attr_path.attr, attr_path.sub_attr]
    return ".".join(p for p in parts if p).lower()


class SqlFilter(FilterVisitor[ColumnElement[bool]]):
    def __init__(self, columns: dict[str, Column], prefix: str | None = None) -> None:
        self.columns = columns
        self.prefix = prefix

    def _column(self, attr_path: AttrPath) -> Column:
        key = key_of(attr_path, self.prefix)
        column = self.columns.get(key) or self.columns.get(f"{key}.value")
        if column is None:
            raise InvalidFilterException(detail=f"Filtering on {attr_path} is not supported.")
        return column

    def visit_logical_expr(self, node: LogicalExpr) -> ColumnElement[bool]:
        terms = [self.visit(term) for term in node.terms]
        return and_(*terms) if node.op == LogicalOperator.and_ else or_(*terms)

    def visit_not(self, node: Not) -> ColumnElement[bool]:
        return not_(self.visit(node.expr))

    def visit_present(self, node: Present) -> ColumnElement[bool]:
        column = self._column(node.attr_path)
        if column.condition is not None:
            return column.condition(Op.eq, None)
        if not column.nullable:
            return true()
        expression = column.expression
        if column.kind == "string":
            return and_(expression.is_not(None), expression != "")
        return expression.is_not(None)

    def visit_value_path(self, node: ValuePath) -> ColumnElement[bool]:
        # Every multi-valued attribute we keep holds one value at most, so emails[value eq x]
        # is emails.value eq x, among the accounts that have one: a selection only looks at
        # the values there are (emails[not (type eq "work")] matches no account without one).
        inner = SqlFilter(self.columns, key_of(node.attr_path, self.prefix))
        return and_(self.visit_present(Present(node.attr_path)), inner.visit(node.val_filter))

    def visit_comparison(self, node: Comparison) -> ColumnElement[bool]:
        column = self._column(node.attr_path)
        if column.condition is not None:
            return column.condition(node.op, node.value)
        return compare(column, node.op, node.value, missing_differs=self.prefix is None)


def compare(column: Column, op: Op, raw: Any, missing_differs: bool = True) -> ColumnElement[bool]:
    """`missing_differs`: an unassigned attribute is "ne" any value (RFC 7644 §3.4.2.2); not
    so in a value selection, which only looks at the values there are."""
    value = _value(column, op, raw)
    if value is _NOTHING:
        return false() if op != Op.ne else true()
    expression = column.expression
    if column.kind == "string" and not column.case_exact and not column.folded:
        expression = func.lower(expression)
    condition = _condition(expression, op, value, column.kind)
    if op == Op.ne and column.nullable:  # an unassigned attribute is "ne" any value
        return or_(condition, column.expression.is_(None))
    return condition


_NOTHING = object()  # a value no row can hold (an id that is not a number)


def _value(column: Column, op: Op, raw: Any) -> Any:
    if column.kind == "bool":
        if op not in (Op.eq, Op.ne) or not isinstance(raw, bool):
            raise InvalidFilterException(
                detail="A boolean is compared with eq or ne to true or false."
            )
        return raw
    if column.kind == "datetime":
        try:
            return raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
        except ValueError:
            raise InvalidFilterException(detail=f"{raw!r} is not a date and time.") from None
    if not isinstance(raw, str):
        raise InvalidFilterException(detail=f"{raw!r} is compared as a string: quote it.")
    if column.kind == "id":
        if op not in (Op.eq, Op.ne):
            raise InvalidFilterException(detail="An id is compared with eq or ne.")
        return int(raw) if raw.isdigit() and len(raw) < 19 else _NOTHING
    return raw if column.case_exact else raw.casefold() if column.folded else raw.lower()


def _condition(expression: Any, op: Op, value: Any, kind: str) -> ColumnElement[bool]:
    if op in (Op.co, Op.sw, Op.ew):
        if kind != "string":
            raise InvalidFilterException(detail=f"{op.value} compares strings only.")
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = {Op.co: f"%{escaped}%", Op.sw: f"{escaped}%", Op.ew: f"%{escaped}"}[op]
        return expression.like(pattern, escape="\\")
    comparisons = {
        Op.eq: expression.__eq__,
        Op.ne: expression.__ne__,
        Op.gt: expression.__gt__,
        Op.ge: expression.__ge__,
        Op.lt: expression.__lt__,
        Op.le: expression.__le__,
    }
    if op not in comparisons:
        raise InvalidFilterException(detail=f"The operator {op.value} is not supported.")
    return comparisons[op](value)


def condition(node: FilterNode | None, columns: dict[str, Column]) -> ColumnElement[bool]:
    """The SQL condition of a filter's tree; every row without one."""
    return true() if node is None else SqlFilter(columns).visit(node)
