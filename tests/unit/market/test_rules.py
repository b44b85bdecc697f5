"""The market's rules as pure functions, without a database: open tonnes, whether a lot or an
offer is open, who sees it, and its status."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from market import views
from market.views.rules import (
    LOT_STATUS,
    OFFER_STATUS,
    PY,
    Statuses,
    holds_tonnes,
    is_active,
    lot_is_open,
    lot_status,
    lot_visible,
    offer_is_open,
    offer_status,
    offer_visible,
    open_tonnes,
    shown_open_t,
)

TODAY = date(2026, 3, 15)
GONE = datetime(2026, 3, 1, tzinfo=UTC)


def lot(**fields: Any) -> SimpleNamespace:
    base = {
        "withdrawn_at": None,
        "available_until": None,
        "tonnes_open": 10.0,
        "active_contracts": 0,
        "organisation_id": 1,
    }
    return SimpleNamespace(**(base | fields))


def offer(**fields: Any) -> SimpleNamespace:
    base = {
        "withdrawn_at": None,
        "period_end": date(2026, 12, 31),
        "capacity_open": 10.0,
        "organisation_id": 2,
    }
    return SimpleNamespace(**(base | fields))


def test_open_tonnes_are_the_amount_less_what_live_contracts_hold():
    contracts = [
        SimpleNamespace(tonnes=3.0, status="active"),
        SimpleNamespace(tonnes=2.0, status="completed"),
        SimpleNamespace(tonnes=4.0, status="cancelled"),
    ]
    reserved = sum(c.tonnes for c in contracts if holds_tonnes(c))
    assert open_tonnes(10.0, reserved) == 5.0
    assert [is_active(c) for c in contracts] == [True, False, False]


def test_open_tonnes_are_shown_never_below_zero_and_to_the_kilogram():
    assert shown_open_t(open_tonnes(10.0, 12.5)) == 0.0
    assert shown_open_t(1.23456) == 1.235


@pytest.mark.parametrize(
    ("fields", "is_open", "status"),
    [
        ({}, True, "open"),
        ({"available_until": TODAY}, True, "open"),
        ({"available_until": date(2026, 3, 14)}, False, "closed"),
        ({"available_until": date(2026, 3, 14), "active_contracts": 1}, False, "reserved"),
        ({"tonnes_open": 0.0}, False, "closed"),
        ({"tonnes_open": -1.0, "active_contracts": 2}, False, "reserved"),
        ({"withdrawn_at": GONE}, False, "withdrawn"),
        ({"withdrawn_at": GONE, "active_contracts": 1}, False, "withdrawn"),
    ],
)
def test_a_lot_is_open_while_not_withdrawn_with_tonnes_left_until_its_last_day(
    fields: dict[str, Any], is_open: bool, status: str
):
    row = lot(**fields)
    assert lot_is_open(PY, row, TODAY) is is_open
    assert LOT_STATUS.of(row, TODAY) == status
    assert lot_status(row, row.tonnes_open, row.active_contracts > 0, TODAY) == status


@pytest.mark.parametrize(
    ("fields", "is_open", "status"),
    [
        ({}, True, "open"),
        ({"period_end": TODAY}, True, "open"),
        ({"period_end": date(2026, 3, 14)}, False, "expired"),
        ({"period_end": date(2026, 3, 14), "capacity_open": 0.0}, False, "expired"),
        ({"capacity_open": 0.0}, False, "full"),
        ({"withdrawn_at": GONE, "period_end": date(2020, 1, 1)}, False, "withdrawn"),
    ],
)
def test_an_offer_is_open_while_not_withdrawn_with_capacity_left_in_its_period(
    fields: dict[str, Any], is_open: bool, status: str
):
    row = offer(**fields)
    assert offer_is_open(PY, row, TODAY) is is_open
    assert OFFER_STATUS.of(row, TODAY) == status
    assert offer_status(row, row.capacity_open, TODAY) == status


def test_every_status_is_named_once_and_listed_in_the_order_the_lists_offer_them():
    assert LOT_STATUS.names == ("withdrawn", "open", "reserved", "closed")
    assert OFFER_STATUS.names == ("withdrawn", "expired", "open", "full")
    assert views.LOT_STATUSES == ("open", "reserved", "closed", "withdrawn")
    assert views.OFFER_STATUSES == ("open", "full", "expired", "withdrawn")


def test_statuses_listed_must_be_the_statuses_named():
    with pytest.raises(ValueError, match="not those named"):
        Statuses((("open", lot_is_open),), otherwise="closed", shown=("open", "shut"))


@pytest.mark.parametrize(
    ("role", "org", "own_closed", "others_open", "others_closed"),
    [
        ("regulator", None, True, True, True),
        ("operator", None, True, True, True),
        ("producer", 1, True, True, False),
        ("recycler", 2, False, True, False),
    ],
)
def test_who_sees_a_lot(role: str, org: int | None, own_closed, others_open, others_closed):
    closed = {"tonnes_open": 0.0}
    assert lot_visible(PY, lot(**closed), TODAY, role, org) is own_closed
    assert lot_visible(PY, lot(organisation_id=9), TODAY, role, org) is others_open
    assert lot_visible(PY, lot(organisation_id=9, **closed), TODAY, role, org) is others_closed


@pytest.mark.parametrize(
    ("role", "org", "own_full", "others_open", "others_full"),
    [
        ("regulator", None, True, True, True),
        ("recycler", 2, True, False, False),
        ("producer", 1, False, True, False),
    ],
)
def test_who_sees_an_offer(role: str, org: int | None, own_full, others_open, others_full):
    full = {"capacity_open": 0.0}
    assert offer_visible(PY, offer(**full), TODAY, role, org) is own_full
    assert offer_visible(PY, offer(organisation_id=9), TODAY, role, org) is others_open
    assert offer_visible(PY, offer(organisation_id=9, **full), TODAY, role, org) is others_full
