"""The demo's truckloads: pure functions, no database."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, time

import pytest

from market.clock import CHINA
from market.seed import trucks as seed_trucks

PLATE = re.compile(r"云[A-HJ-NP-S]·[0-9A-HJ-NP-Z]{5}")
AT = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
LAST_WEEK = [date(2026, 10, d) for d in range(25, 32)]


def test_a_month_splits_into_trucks_of_30_to_40_tonnes_that_add_up_to_the_month_exactly():
    loads = seed_trucks.month_loads("YN202610-001-1-23", 14_980.4, 14_873.2, AT, LAST_WEEK, "G", 1)
    consolidated, trucks = loads[0], loads[1:]
    assert round(sum(x.tonnes for x in loads), 3) == 14_980.4
    assert round(sum(x.received_tonnes for x in loads), 3) == 14_873.2
    assert len(trucks) == round(14_980.4 * 7 / 31 / 35)
    assert all(30 <= t.tonnes <= 40 for t in trucks)
    assert all(t.tonnes * (1 - 0.012) - 0.01 <= t.received_tonnes <= t.tonnes for t in trucks)
    assert consolidated.manifest_no == "YN202610-001-1-23-M" and "月度汇总" in consolidated.note
    assert consolidated.received_tonnes <= consolidated.tonnes
    assert consolidated.truck_plate == "" and consolidated.dispatched_at == AT
    assert len({x.manifest_no for x in loads}) == len(loads)
    assert trucks[0].manifest_no == "YN202610-001-1-23-T001"


def test_trucks_carry_a_plate_of_the_yards_prefecture_a_driver_and_times_in_the_working_day():
    trucks = seed_trucks.month_loads("YN-1", 9_000.0, 8_950.0, AT, LAST_WEEK, "G", 1)[1:]
    assert all(PLATE.fullmatch(t.truck_plate) and t.truck_plate[1] == "G" for t in trucks)
    assert len({t.truck_plate for t in trucks}) == len(trucks)
    assert all(2 <= len(t.driver) <= 3 for t in trucks)
    for t in trucks:
        sent, weighed = t.dispatched_at.astimezone(CHINA), t.received_at.astimezone(CHINA)
        assert sent.date() in LAST_WEEK and time(6) <= sent.time() < time(20)
        assert (
            weighed.date() == sent.date() and 1.5 * 3600 <= (weighed - sent).seconds <= 3.5 * 3600
        )
    assert {t.dispatched_at.astimezone(CHINA).date() for t in trucks} == set(LAST_WEEK)


def test_the_same_month_gives_the_same_trucks_every_time():
    def once() -> list[seed_trucks.Load]:
        return seed_trucks.month_loads("YN-2", 3_000.0, 2_990.0, AT, LAST_WEEK, "A", 530000)

    assert once() == once()


def test_a_month_before_the_truck_days_or_too_small_for_a_truck_stays_one_consolidated_delivery():
    (whole,) = seed_trucks.month_loads("YN-3", 5_000.0, 4_960.0, AT, [], "A", 1)
    assert (whole.manifest_no, whole.tonnes, whole.received_tonnes) == ("YN-3-M", 5_000.0, 4_960.0)
    (small,) = seed_trucks.month_loads("YN-4", 35.0, 34.8, AT, LAST_WEEK, "A", 1)
    assert small.tonnes == 35.0


def test_the_truck_days_are_the_historys_last_days_within_the_month(monkeypatch):
    monkeypatch.setattr(seed_trucks, "TRUCK_DAYS", 7)
    end = date(2026, 10, 31)
    assert seed_trucks.truck_days(end, date(2026, 10, 1), end) == LAST_WEEK
    assert seed_trucks.truck_days(end, date(2026, 9, 1), date(2026, 9, 30)) == []
    monkeypatch.setattr(seed_trucks, "TRUCK_DAYS", 3)
    sept = seed_trucks.truck_days(date(2026, 10, 1), date(2026, 9, 1), date(2026, 9, 30))
    assert sept == [date(2026, 9, 29), date(2026, 9, 30)]


@pytest.mark.parametrize(
    ("code", "letter"), [(532500, "G"), (530100, "A"), (530300, "D"), (0, "A")]
)
def test_the_plate_letter_is_the_prefectures_or_kunmings_when_unknown(code, letter):
    assert seed_trucks.plate_letter(code) == letter


def test_loads_are_30_to_40_tonnes_and_about_the_tonnes_asked_for():
    loads = seed_trucks.split_loads(random.Random(5), 3_500.0)
    assert len(loads) == 100 and all(30 <= x <= 40 for x in loads)
    assert seed_trucks.split_loads(random.Random(5), 1.0) != []
