"""Periods for the audit: parsed strictly, each a calendar year, quarter or month."""

from __future__ import annotations

from datetime import date

import pytest

from market.audit import Period, parse_period
from market.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "start", "end", "kind"),
    [
        ("2025", date(2025, 1, 1), date(2025, 12, 31), "year"),
        ("2025-Q1", date(2025, 1, 1), date(2025, 3, 31), "quarter"),
        ("2025-Q2", date(2025, 4, 1), date(2025, 6, 30), "quarter"),
        ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31), "quarter"),
        ("2025-05", date(2025, 5, 1), date(2025, 5, 31), "month"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month"),
        ("2025-12", date(2025, 12, 1), date(2025, 12, 31), "month"),
    ],
)
def test_a_period_covers_its_whole_calendar_span(raw, start, end, kind):
    p = parse_period(raw)
    assert (p.start, p.end, p.kind, p.label) == (start, end, kind, raw)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "25",
        "2025-Q5",
        "2025-Q0",
        "2025-q2",
        "2025Q2",
        "2025-13",
        "2025-00",
        "2025-5",
        " 2025",
        "2025 ",
        "2025-05-01",
        "２０２５",
        "1899",
        "2025-H1",
        None,
        2025,
    ],
)
def test_anything_else_is_refused_naming_the_period_and_the_value(raw):
    with pytest.raises(InvalidInput) as err:
        parse_period(raw)
    assert err.value.field == "period"
    assert err.value.message.startswith(f"period: {raw!r}" if isinstance(raw, str) else "period:")
    assert str(raw) in err.value.message


def test_the_previous_period_is_of_the_same_kind_and_crosses_years():
    assert parse_period("2025").previous() == parse_period("2024")
    assert parse_period("2025-Q1").previous() == parse_period("2024-Q4")
    assert parse_period("2025-Q3").previous() == parse_period("2025-Q2")
    assert parse_period("2025-01").previous() == parse_period("2024-12")
    assert parse_period("2024-03").previous().end == date(2024, 2, 29)


def test_a_period_reports_its_year():
    assert Period.month_of(2026, 7).year == 2026
    assert str(Period.quarter_of(2026, 3)) == "2026-Q3"
