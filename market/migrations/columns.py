"""The shapes the migrations repeat: one builder per kind of column, and `table()` that adds what
every table of this schema has (the `id` key, foreign keys, the `ix_<table>_<column>` indexes).

The DDL they make is the DDL the versions spelled out before: a foreign key named by `fk()` is
emitted in the CREATE TABLE after the columns, sorted by column name, then the unique
constraints (Alembic's autogenerate order), so a database built from these versions is the same
one, to the text of SQLite's CREATE TABLE.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

Column = sa.Column[Any]

# `ledger_entry.id` and what points at it (see big_integer)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_REFERENCES = "references"  # Column.info key: the "table.column" a column of fk() points at


def _column(name: str, type_: Any, nullable: bool, **kw: Any) -> Column:
    return sa.Column(name, type_, nullable=nullable, **kw)


def integer(name: str, *, nullable: bool = False, **kw: Any) -> Column:
    return _column(name, sa.Integer(), nullable, **kw)


def big_integer(name: str) -> Column:
    """`ledger_entry.id`: 64 bits on PostgreSQL, SQLite's integer key there."""
    return _column(name, BIG_ID, False)


def number(name: str, *, nullable: bool = False, **kw: Any) -> Column:
    """A float: tonnes, prices, distances, ratios."""
    return _column(name, sa.Float(), nullable, **kw)


def string(name: str, length: int | None = None, *, nullable: bool = False, **kw: Any) -> Column:
    return _column(name, AutoString(length=length), nullable, **kw)


def stamp(name: str, *, nullable: bool = False, **kw: Any) -> Column:
    """A moment (UTC)."""
    return _column(name, UTCDateTime(), nullable, **kw)


def day(name: str, *, nullable: bool = False) -> Column:
    return _column(name, sa.Date(), nullable)


def flag(name: str, **kw: Any) -> Column:
    return _column(name, sa.Boolean(), False, **kw)


def json(name: str, *, nullable: bool = False, **kw: Any) -> Column:
    return _column(name, sa.JSON(), nullable, **kw)


def blob(name: str) -> Column:
    return _column(name, sa.LargeBinary(), False)


def fk(name: str, table: str, *, nullable: bool = False, type_: Any = None) -> Column:
    """A column pointing at `table.id` (an integer unless `type_` says otherwise)."""
    column = _column(name, sa.Integer() if type_ is None else type_, nullable)
    column.info[_REFERENCES] = f"{table}.id"
    return column


def material() -> Column:
    """The `material` column of a lot, an offer, a ledger entry: a code of the catalogue."""
    column = string("material", 40)
    column.info[_REFERENCES] = "material.code"
    return column


class Unique(NamedTuple):
    columns: tuple[str, ...]
    name: str | None


def unique(*columns: str, name: str | None = None) -> Unique:
    """A unique constraint of `table()` (made there, after the foreign keys)."""
    return Unique(columns, name)


def table(
    name: str,
    *items: Column | Unique,
    key: Iterable[str] = ("id",),
    indexed: Iterable[str] = (),
) -> None:
    """Create the table `name`: an integer `id` first when the key is `id` and no column of that
    name is given, then the columns; the foreign keys of `fk()`, the primary key and the unique
    constraints; and a plain index `ix_<name>_<column>` on each column of `indexed`."""
    columns = [item for item in items if isinstance(item, sa.Column)]
    key = tuple(key)
    if key == ("id",) and all(column.name != "id" for column in columns):
        columns.insert(0, integer("id"))
    references = sorted(
        (column.name, column.info[_REFERENCES]) for column in columns if _REFERENCES in column.info
    )
    foreign_keys = [sa.ForeignKeyConstraint([column], [target]) for column, target in references]
    uniques = [
        sa.UniqueConstraint(*item.columns, name=item.name)
        for item in items
        if isinstance(item, Unique)
    ]
    op.create_table(name, *columns, *foreign_keys, sa.PrimaryKeyConstraint(*key), *uniques)
    for column in indexed:
        op.create_index(op.f(f"ix_{name}_{column}"), name, [column], unique=False)


def partial_unique_index(name: str, table: str, columns: list[str], where: str) -> None:
    """A unique index over the rows that match `where` (SQLite and PostgreSQL alike)."""
    condition = sa.text(where)
    op.create_index(
        name, table, columns, unique=True, sqlite_where=condition, postgresql_where=condition
    )


def drop_tables(*names: str) -> None:
    """Drop the tables in this order (their indexes go with them)."""
    for name in names:
        op.drop_table(name)
