"""Selects of many columns, typed.

SQLModel's `select` types at most four columns or entities, and a list page or a report reads a
dozen. `wide` builds the same statement with SQLModel's own `select` (so `Session.exec` runs it)
and gives it the one type such selects share, `WideSelect`: rows are tuples of unknown shape, which
the caller unpacks by position or reads by label.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlmodel import select
from sqlmodel.sql.expression import Select

WideSelect: TypeAlias = Select[*tuple[Any, ...]]


def wide(*columns: Any) -> WideSelect:
    """`select(*columns)` for any number of columns or entities."""
    return select(*columns)  # type: ignore[no-any-return]  # star-args match no typed overload
