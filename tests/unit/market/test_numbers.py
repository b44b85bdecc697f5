"""Numbers typed into a form or a JSON string: ASCII digits only (issue 10)."""

from __future__ import annotations

import pytest

from market import fields
from market.errors import InvalidInput


@pytest.mark.parametrize("raw", ["١٢٣", "１２３", "1_000", "1__0", "٣.٥"])
def test_digits_of_other_scripts_and_underscores_are_not_numbers(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        fields.to_number(raw, "tonnes")
    assert refused.value.message == f"tonnes: {raw!r} is not a number"
    assert refused.value.field == "tonnes"


@pytest.mark.parametrize(("raw", "value"), [("123", 123.0), (" 1,000.5 ", 1000.5), ("2e3", 2000.0)])
def test_ascii_numbers_still_read(raw: str, value: float) -> None:
    assert fields.to_number(raw, "tonnes") == value
