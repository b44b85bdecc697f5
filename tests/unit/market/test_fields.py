from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from market import fields
from market.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (-5, "tonnes: -5 must be greater than 0"),
        ("abc", "tonnes: 'abc' is not a number"),
        (math.nan, "tonnes: nan is not a finite number"),
        ("inf", "tonnes: 'inf' is not a finite number"),
        (True, "tonnes: True is not a number"),
        (2e9, "tonnes: 2000000000.0 is above the maximum 1e+09"),
    ],
)
def test_bad_tonnes_are_refused_naming_the_field_and_value(raw, message):
    with pytest.raises(InvalidInput) as err:
        fields.tonnes({"tonnes": raw}, "tonnes")
    assert str(err.value) == message
    assert err.value.field == "tonnes"


def test_form_strings_become_numbers_and_tonnes_round_to_the_kilogram():
    assert fields.tonnes({"tonnes": " 1,250.12345 "}, "tonnes") == 1250.123


def test_a_missing_required_value_says_it_is_required():
    with pytest.raises(InvalidInput, match="^available_from: is required$"):
        fields.day({"available_from": ""}, "available_from")


def test_dates_in_the_wrong_order_name_the_later_field():
    with pytest.raises(InvalidInput, match="available_until: 2025-01-01 is before available_from"):
        a = fields.day({"d": "2025-02-01"}, "d")
        b = fields.day({"d": "2025-01-01"}, "d")
        fields.date_order("available_from", a, "available_until", b)


def test_a_date_time_without_zone_is_china_time():
    value = fields.moment({"t": "2025-03-01T08:00:00"}, "t")
    assert value == datetime(2025, 3, 1, 0, 0, tzinfo=UTC)


def test_unknown_fields_are_refused():
    with pytest.raises(InvalidInput, match="^colour: 'red' is not a known field$"):
        fields.reject_unknown({"colour": "red"}, ("tonnes",))


def test_text_refuses_control_characters_and_overlong_values():
    with pytest.raises(InvalidInput, match="contains control characters"):
        fields.text({"name": "a\x00b"}, "name")
    with pytest.raises(InvalidInput, match="longer than 200"):
        fields.text({"name": "x" * 201}, "name")
