"""What the papers take from people: a day's trucks pasted as CSV or typed in a table, a year and
a month for the 台账, and a waste code in the catalogue — each refused in one line when wrong."""

from __future__ import annotations

import pytest

from market import statutory
from market.errors import InvalidInput
from market.papers.service import default_load, parse_trucks_csv, trucks_from_form
from seed_data import SeedDataError, _waste_code


def test_a_csv_paste_reads_plate_driver_tonnes_and_an_optional_manifest_skipping_its_header():
    rows = parse_trucks_csv("车牌,驾驶员,吨数\n云A·1, 张三 ,35\n\n云A·2,李四,34.5,M-2\n")
    assert rows == [
        {"truck_plate": "云A·1", "driver": "张三", "tonnes": "35"},
        {"truck_plate": "云A·2", "driver": "李四", "tonnes": "34.5", "manifest_no": "M-2"},
    ]


@pytest.mark.parametrize("line", ["云A·1,张三", "云A·1,张三,35,M,extra"])
def test_a_csv_line_with_too_few_or_too_many_cells_is_refused_naming_the_line(line):
    with pytest.raises(InvalidInput) as refused:
        parse_trucks_csv("云A·9,王五,30\n" + line)
    assert "line 2" in str(refused.value) and "\n" not in str(refused.value)


def test_the_truck_table_skips_blank_rows_and_keeps_the_order():
    form = [
        ("plate_2", "云A·2"),
        ("driver_2", "乙"),
        ("tonnes_2", "34"),
        ("plate_1", "云A·1"),
        ("driver_1", "甲"),
        ("tonnes_1", "35"),
        ("plate_3", ""),
        ("driver_3", ""),
        ("tonnes_3", ""),
        ("csrf_token", "x"),
    ]
    assert trucks_from_form(form) == [
        {"truck_plate": "云A·1", "driver": "甲", "tonnes": "35"},
        {"truck_plate": "云A·2", "driver": "乙", "tonnes": "34"},
    ]


@pytest.mark.parametrize(("left", "load"), [(1000, 35), (20.5, 20.5), (0, 0)])
def test_the_dispatch_form_offers_one_trucks_load_or_what_is_left(left, load):
    assert default_load(left) == load


@pytest.mark.parametrize(
    ("year", "month", "label"),
    [("2025", None, "2025"), ("2025", "5", "2025-05"), (2026, "", "2026")],
)
def test_a_year_or_a_month_of_it_is_a_period(year, month, label):
    assert statutory.parse_period(year, month).label == label


@pytest.mark.parametrize(
    ("year", "month"),
    [
        (None, None),
        ("abc", None),
        ("1999", None),
        ("2101", None),
        ("２０２５", None),
        ("2025", "13"),
        ("2025", "0"),
        ("2025", "May"),
    ],
)
def test_a_bad_year_or_month_is_refused_in_one_line(year, month):
    with pytest.raises(InvalidInput) as refused:
        statutory.parse_period(year, month)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("code", ["261-001-S05", "441-002-S59"])
def test_a_waste_code_of_the_catalogues_form_is_taken(code):
    assert _waste_code(code, "x") == code


@pytest.mark.parametrize("code", ["SW05", "261-001-S08", "261-001-S60", "261-1-S05", "HW18"])
def test_a_waste_code_not_of_the_catalogues_industrial_form_is_refused(code):
    with pytest.raises(SeedDataError):
        _waste_code(code, "x")
