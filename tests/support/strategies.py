"""Hypothesis strategies for hostile input: nasty texts and numbers, JSON values of any shape,
dicts over a form's fields; and the rule a refusal of such input keeps (it names the field)."""

from __future__ import annotations

import math
import re
from typing import Any

from hypothesis import strategies as st

from market.errors import DomainError

NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "²",
    "-²",
    "١٢",
    "\u202e",
    "\t=1+1",
    "=cmd|' /C calc'!A0",
    "-1",
    "+1",
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "0x10",
    "1_000",
    "9" * 5000,
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
    "x" * 100_000,
]
NASTY_NUMBERS = [
    0,
    -0.0,
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    5e-324,
    2**63,
    -(2**63),
    10**400,
    -(10**400),
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from(NASTY_TEXT),
    st.sampled_from(NASTY_NUMBERS),
    st.from_regex(r"-?[0-9]{1,25}(\.[0-9]{1,5})?", fullmatch=True),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)


def arbitrary(names: tuple[str, ...], **plausible: st.SearchStrategy[Any]) -> st.SearchStrategy:
    """Dicts over `names` (any subset, each a plausible or an arbitrary value) plus stray keys."""
    per_field = {
        name: st.one_of(plausible[name], json_values) if name in plausible else json_values
        for name in names
    }
    known = st.fixed_dictionaries({}, optional=per_field)
    stray = st.dictionaries(
        st.sampled_from(["x", "id", "\ud800", "<b>", ""]), json_values, max_size=1
    )
    return st.one_of(known, st.tuples(known, stray).map(lambda kv: kv[0] | kv[1]))


FIELD_PREFIX = re.compile(r"^[^:\n]{1,120}:")


def refused_naming_a_field(exc: DomainError) -> None:
    assert FIELD_PREFIX.match(exc.message), exc.message
    assert "\n" not in exc.message.strip()
    # the message must be printable and storable: no lone surrogate leaks into it
    exc.message.encode("utf-8")
