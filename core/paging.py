"""Keyset (seek) pagination for the portal's long lists.

A page is the rows that come after (or before) a cursor in one fixed order on indexed columns,
never an OFFSET: the database seeks to the cursor in the index and reads one page, so page 40
of 2,000 invoices costs what page 1 costs. The cursor is the last (or first) row's sort values,
written in the URL as `?after=…` or `?before=…`; a cursor that cannot be read shows the first
page, as a bookmark of a page that has since moved does.

The order must end with a unique column (the primary key), so that rows never tie; each list
needs an index on (its filter columns, then the order's columns) for the seek to be one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)

PAGE_SIZE = 50
CURSOR_SEPARATOR = "~"
MAX_CURSOR_LENGTH = 100


@dataclass(frozen=True)
class KeysetPage(Generic[M]):
    rows: list[M]
    # Query strings of the neighbouring pages ("after=…"), or None where there is none.
    next_query: str | None
    previous_query: str | None

    @property
    def is_paged(self) -> bool:
        return self.next_query is not None or self.previous_query is not None

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def keyset_page(
    queryset: QuerySet[M],
    order: Sequence[str],
    *,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
    parameters: tuple[str, str] = ("after", "before"),
) -> KeysetPage[M]:
    """One page of `queryset` in `order` (field names, "-" for descending, all in the same
    direction and ending with "id"): the first, the one after the cursor `after`, or the one
    before the cursor `before`. Costs one query, of at most size + 1 rows. `parameters`: the
    names the neighbouring pages' links give the two cursors (a second list on the page has
    its own)."""
    fields = [name.lstrip("-") for name in order]
    descending = order[0].startswith("-")
    if fields[-1] != "id" or any(name.startswith("-") != descending for name in order):
        raise ValueError("keyset order: one direction, ending with id")
    model = queryset.model
    backwards = False
    cursor = None
    if before:
        cursor = _read_cursor(model, fields, before)
        backwards = cursor is not None
    if cursor is None and after:
        cursor = _read_cursor(model, fields, after)
    rows = queryset
    if cursor is not None:
        # Seeking forwards in a descending order means smaller values, and so on.
        smaller = descending != backwards
        rows = rows.filter(_beyond(fields, cursor, smaller=smaller))
    if backwards:
        flipped = [name[1:] if name.startswith("-") else f"-{name}" for name in order]
        found = list(rows.order_by(*flipped)[: size + 1])
        more_before = len(found) > size
        found = found[:size][::-1]
        return KeysetPage(
            rows=found,
            next_query=_query(parameters[0], fields, found[-1]) if found else None,
            previous_query=_query(parameters[1], fields, found[0]) if more_before else None,
        )
    found = list(rows.order_by(*order)[: size + 1])
    more_after = len(found) > size
    found = found[:size]
    return KeysetPage(
        rows=found,
        next_query=_query(parameters[0], fields, found[-1]) if more_after else None,
        previous_query=_query(parameters[1], fields, found[0])
        if cursor is not None and found
        else None,
    )


def _beyond(fields: list[str], cursor: list[Any], *, smaller: bool) -> Q:
    """Rows past the cursor: (a, b, id) < (x, y, z) as a lexicographic comparison. The first
    column's bound (a <= x) is repeated on its own so the index seek starts at the cursor."""
    strict, loose = ("lt", "lte") if smaller else ("gt", "gte")
    past = Q()
    for n in range(len(fields) - 1, -1, -1):
        equal = dict(zip(fields[:n], cursor[:n], strict=True))
        past |= Q(**equal, **{f"{fields[n]}__{strict}": cursor[n]})
    return Q(**{f"{fields[0]}__{loose}": cursor[0]}) & past


def _read_cursor(model: type[Model], fields: list[str], text: str) -> list[Any] | None:
    parts = text.split(CURSOR_SEPARATOR)
    if len(text) > MAX_CURSOR_LENGTH or len(parts) != len(fields):
        return None
    values = []
    for name, part in zip(fields, parts, strict=True):
        field = model._meta.get_field(name)
        try:
            value = field.to_python(part)
            if value is None:
                return None
            field.run_validators(value)
            # The database's own bounds (an id past bigint, a year past 9999) are not a row.
            field.get_db_prep_value(value, connection=connection, prepared=False)
        except (ValidationError, ValueError, OverflowError, TypeError):
            return None
        if isinstance(value, int) and not -(2**63) < value < 2**63:
            return None
        values.append(value)
    return values


def _query(direction: str, fields: list[str], row: Model) -> str:
    values = [getattr(row, name) for name in fields]
    text = CURSOR_SEPARATOR.join(
        value.isoformat() if hasattr(value, "isoformat") else str(value) for value in values
    )
    return urlencode({direction: text})
