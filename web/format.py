"""Numbers, units and money written one way on every page (Jinja filters; app.js mirrors `number`).

- `{{ t | tonnes }}`: 1,234.5 吨 / 1,234.5 t; from 10,000 t on, Chinese pages count in 万吨
  (12.35 万吨) as Chinese readers do.
- `{{ p | price }}`: 35 元/吨 / 35 CNY/t.
- `{{ p | who_pays("lot") }}`: the price in words, who pays whom. The sign convention of the whole
  marketplace: a price is what the recycler pays the producer per tonne; negative, the producer
  pays the recycler (a gate fee) — 「产废单位向利用单位支付 35 元/吨」.
- `{{ text | chem }}`: P2O5 → P₂O₅, CO2 → CO₂ in names and units.
- `input_limits`: market/fields.py's INPUT_LIMITS (and the schedule's), for the number inputs.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from market import fields
from market.services.schedule import MAX_EVERY_HOURS
from web.i18n import translate

WAN = 10_000.0

INPUT_LIMITS: dict[str, dict[str, float | str]] = fields.INPUT_LIMITS | {
    "every_hours": {"min": 0, "max": MAX_EVERY_HOURS, "step": 1},
}

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
# a formula stands apart from Latin letters and digits (Chinese may touch it: "P2O5产量")
_FORMULA = re.compile(
    r"(?<![A-Za-z0-9])(P2O5|CO2|SO3|SO2|Al2O3|Fe2O3|SiO2|CaSO4·2H2O|CaSO4|H2O|Na2O|K2O)"
    r"(?![A-Za-z0-9])"
)


def _figure(value: Any) -> float | str:
    """A figure as a number, or the text shown instead: — for nothing, the value as it came
    when it is not a number."""
    if value is None or value == "":
        return "—"
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def number(value: Any, digits: int = 0) -> str:
    """Grouped thousands, `digits` decimals; — for nothing."""
    n = _figure(value)
    return n if isinstance(n, str) else f"{n:,.{digits}f}"


def tonnes_text(value: Any, lang: str, digits: int = 1) -> str:
    t = _figure(value)
    if isinstance(t, str):
        return t
    if lang == "zh":
        if abs(t) >= WAN:
            return f"{t / WAN:,.2f} 万吨"
        return f"{number(t, digits)} 吨"
    return f"{number(t, digits)} t"


def price_text(value: Any, lang: str, digits: int = 2) -> str:
    p = _figure(value)
    if isinstance(p, str):
        return p
    shown = number(p, digits)
    if "." in shown:
        shown = shown.rstrip("0").rstrip(".")
    return f"{shown} 元/吨" if lang == "zh" else f"{shown} CNY/t"


def who_pays_text(value: Any, lang: str) -> str:
    """The price in words: who pays whom, per tonne."""
    p = _figure(value)
    if isinstance(p, str):
        return ""  # nothing, or not a number: no words for it
    amount = price_text(abs(p), lang)
    if abs(p) < 0.005:
        return translate("no payment either way", lang)
    if p > 0:
        return translate("recycler pays producer {amount}", lang).format(amount=amount)
    return translate("producer pays recycler {amount}", lang).format(amount=amount)


def chem(text: Any) -> str:
    """Chemical formulas with subscript digits: P2O5 → P₂O₅."""
    return _FORMULA.sub(lambda m: m.group(1).translate(_SUBSCRIPTS), str(text))


@pass_context
def _tonnes(context: Context, value: Any, digits: int = 1) -> str:
    return tonnes_text(value, context.get("lang", "zh"), digits)


@pass_context
def _price(context: Context, value: Any, digits: int = 2) -> str:
    return price_text(value, context.get("lang", "zh"), digits)


@pass_context
def _who_pays(context: Context, value: Any) -> Markup:
    words = who_pays_text(value, context.get("lang", "zh"))
    if not words:
        return Markup("")
    side = "pays-in" if float(value) > 0 else ("pays-out" if float(value) < 0 else "pays-none")
    return Markup('<span class="who-pays {}">{}</span>').format(side, escape(words))


def install(env: Environment) -> None:
    env.filters["tonnes"] = _tonnes
    env.filters["price"] = _price
    env.filters["who_pays"] = _who_pays
    env.filters["chem"] = chem
    env.globals["input_limits"] = INPUT_LIMITS
