"""The market's rules agree with themselves: for random lots and offers, the condition each rule
builds in SQL selects, on SQLite and on PostgreSQL, exactly the rows its pure form says yes to
(open tonnes, open, who sees it, and every status)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    Table,
    create_engine,
    delete,
    insert,
    select,
)

from market.views.rules import (
    LOT_STATUS,
    OFFER_STATUS,
    PY,
    SQL,
    lot_is_open,
    lot_visible,
    offer_is_open,
    offer_visible,
    open_tonnes,
)
from tests.support.pg import drop_pg_database, fresh_pg_database, skip_without_postgres

ROWS = Table(
    "rule_row",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("withdrawn_at", DateTime(timezone=True)),
    Column("available_until", Date),
    Column("period_end", Date, nullable=False),
    Column("amount", Float, nullable=False),
    Column("reserved", Float, nullable=False),
    Column("active_contracts", Integer, nullable=False),
    Column("organisation_id", Integer, nullable=False),
)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('rules') / 'rules.db'}"
    else:
        skip_without_postgres()
        url, name = fresh_pg_database()
    engine = create_engine(url)
    ROWS.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        if name:
            drop_pg_database(name)


DAYS = st.dates(date(2026, 3, 10), date(2026, 3, 20))
TONNES = st.one_of(st.sampled_from([0.0, 0.5, 1.0, 2.5, 10.0]), st.floats(0, 1e6, width=32))
ROW = st.fixed_dictionaries(
    {
        "withdrawn_at": st.none() | st.just(datetime(2026, 3, 1, tzinfo=UTC)),
        "available_until": st.none() | DAYS,
        "period_end": DAYS,
        "amount": TONNES,
        "reserved": TONNES,
        "active_contracts": st.integers(0, 2),
        "organisation_id": st.integers(1, 3),
    }
)
ROLES = st.sampled_from(["producer", "recycler", "regulator", "operator"])


def facts(row: Any) -> SimpleNamespace:
    """A row's fields as the rules name them (plain values, or the table's columns)."""
    open_t = open_tonnes(row.amount, row.reserved)
    return SimpleNamespace(
        withdrawn_at=row.withdrawn_at,
        available_until=row.available_until,
        period_end=row.period_end,
        tonnes_open=open_t,
        capacity_open=open_t,
        active_contracts=row.active_contracts,
        organisation_id=row.organisation_id,
    )


def checks(today: date, role: str, org: int) -> dict[str, Callable[[Any, Any], Any]]:
    """Each rule by name, as f(logic, row facts) -> yes or no."""
    out: dict[str, Callable[[Any, Any], Any]] = {
        "lot open": lambda x, r: lot_is_open(x, r, today),
        "offer open": lambda x, r: offer_is_open(x, r, today),
        "lot visible": lambda x, r: lot_visible(x, r, today, role, org),
        "offer visible": lambda x, r: offer_visible(x, r, today, role, org),
    }
    for what, statuses in (("lot", LOT_STATUS), ("offer", OFFER_STATUS)):
        for name in (*statuses.names, "no such status"):
            out[f"{what} {name}"] = lambda x, r, s=statuses, n=name: (
                s.of(r, today) == n if x is PY else s.condition(n, r, today)
            )
    return out


@settings(max_examples=40, deadline=None, database=None)
@given(rows=st.lists(ROW, min_size=1, max_size=12), today=DAYS, role=ROLES, org=st.integers(1, 3))
def test_sql_selects_what_the_pure_rule_says(
    engine: Engine, rows: list[dict[str, Any]], today: date, role: str, org: int
) -> None:
    rows = [{"id": i} | r for i, r in enumerate(rows, 1)]
    with engine.begin() as conn:
        conn.execute(delete(ROWS))
        conn.execute(insert(ROWS), rows)
        columns = facts(ROWS.c)
        for name, rule in checks(today, role, org).items():
            said = {r["id"] for r in rows if rule(PY, facts(SimpleNamespace(**r)))}
            selected = set(conn.execute(select(ROWS.c.id).where(rule(SQL, columns))).scalars())
            assert selected == said, f"{name} ({engine.dialect.name})"
