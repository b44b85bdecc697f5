"""Numbers, units and money are written one way (web/format.py)."""

from __future__ import annotations

import pytest
from jinja2 import Environment

from web import format as fmt


@pytest.mark.parametrize(
    ("price", "zh", "en"),
    [
        (-35, "产废单位向利用单位支付 35 元/吨", "producer pays recycler 35 CNY/t"),
        (12.5, "利用单位向产废单位支付 12.5 元/吨", "recycler pays producer 12.5 CNY/t"),
        (0, "双方互不付费", "no payment either way"),
        (
            -1234.567,
            "产废单位向利用单位支付 1,234.57 元/吨",
            "producer pays recycler 1,234.57 CNY/t",
        ),
    ],
)
def test_a_price_says_in_words_who_pays_whom(price, zh, en):
    assert fmt.who_pays_text(price, "zh") == zh
    assert fmt.who_pays_text(price, "en") == en


def test_large_tonnages_are_counted_in_wan_tonnes_on_chinese_pages():
    assert fmt.tonnes_text(1234.5, "zh") == "1,234.5 吨"
    assert fmt.tonnes_text(123_456, "zh") == "12.35 万吨"
    assert fmt.tonnes_text(123_456, "en") == "123,456.0 t"
    assert fmt.tonnes_text(None, "zh") == "—"


def test_prices_carry_their_unit_and_no_trailing_zeros():
    assert fmt.price_text(35, "zh") == "35 元/吨"
    assert fmt.price_text(-12.5, "en") == "-12.5 CNY/t"


def test_formulas_get_subscript_digits():
    assert fmt.chem("P2O5 content, CO2 of haulage") == "P₂O₅ content, CO₂ of haulage"
    assert fmt.chem("CO2e") == "CO2e"  # not a formula on its own
    assert fmt.chem("P2O5产量超出配额") == "P₂O₅产量超出配额"


def test_the_filter_escapes_nothing_it_should_not_and_marks_the_direction():
    env = Environment(autoescape=True)
    fmt.install(env)
    html = env.from_string("{{ p | who_pays }}").render(p=-35, lang="zh")
    assert html == '<span class="who-pays pays-out">产废单位向利用单位支付 35 元/吨</span>'
    assert env.from_string("{{ p | who_pays }}").render(p="", lang="zh") == ""
