"""Parsing of plain input values (JSON bodies and HTML forms alike) into checked Python values.

Every failure is an `InvalidInput` naming the field and the value, so the API, the forms and the
CLI all say the same thing about the same mistake.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from market.errors import InvalidInput

MAX_TONNES = 1e9
MAX_TEXT = 200
MAX_NOTE = 1000  # a reason, a reviewer's note
PRICE_LIMIT = 100_000.0  # CNY per tonne, either way (a lot's ask, an offer's price, a bid)
MAX_HAUL_KM = 5000.0
TONNES_STEP = 0.001  # tonnes are kept to the kilogram (`tonnes` rounds to 3 decimals)

# The browser's limits (min, max, step) of each number the forms ask for, from the same rules the
# services apply with the functions below: the page refuses early what the service would refuse.
# "positive" has no exclusive HTML form; the smallest step stands in for it.
INPUT_LIMITS: dict[str, dict[str, float | str]] = {
    "tonnes": {"min": TONNES_STEP, "max": MAX_TONNES, "step": TONNES_STEP},
    "signed_tonnes": {"min": -MAX_TONNES, "max": MAX_TONNES, "step": TONNES_STEP},
    "received_tonnes": {"min": 0, "max": MAX_TONNES, "step": TONNES_STEP},
    "price": {"min": -PRICE_LIMIT, "max": PRICE_LIMIT, "step": "any"},
    "max_haul_km": {"min": TONNES_STEP, "max": MAX_HAUL_KM, "step": "any"},
    "lat": {"min": -90, "max": 90, "step": "any"},
    "lon": {"min": -180, "max": 180, "step": "any"},
}
_WHOLE = re.compile(r"-?[0-9]{1,30}")


def reject_unknown(data: Mapping[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    if not isinstance(data, Mapping):
        raise InvalidInput(
            "{where}: expected an object, got {got}",
            where=prefix or "body",
            got=type(data).__name__,
        )
    unknown = sorted(set(data) - set(allowed), key=str)
    if unknown:
        key = str(unknown[0])
        # an empty, unprintable or non-Unicode key is named by its repr, never echoed raw
        name = key if key.isidentifier() else repr(key)
        raise InvalidInput.about(prefix + name, data[unknown[0]], "is not a known field")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _given(data: Mapping[str, Any], name: str, required: bool, field: str | None = None) -> Any:
    """The value given for `name`; None when it is missing (None or blank), which a required
    field refuses (named `field`, if it is shown under another name)."""
    raw = data.get(name)
    if _missing(raw):
        if required:
            raise InvalidInput("{field}: is required", field=field or name)
        return None
    return raw


def number(
    data: Mapping[str, Any],
    name: str,
    *,
    required: bool = True,
    default: float | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    positive: bool = False,
    label: str | None = None,
) -> float | None:
    field = label or name
    raw = _given(data, name, required, field)
    if raw is None:
        return default
    return to_number(raw, field, minimum=minimum, maximum=maximum, positive=positive)


def to_number(
    raw: Any,
    field: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    positive: bool = False,
) -> float:
    if isinstance(raw, bool):
        raise InvalidInput.about(field, raw, "is not a number")
    if isinstance(raw, int | float):
        try:
            value = float(raw)
        except OverflowError:  # an integer of hundreds of digits
            raise InvalidInput.about(field, raw, "is not a finite number") from None
    elif isinstance(raw, str):
        text = raw.strip().replace(",", "")
        try:
            # ASCII only, no underscores: float() also reads "١٢٣" (Arabic-Indic digits) and
            # "1_000" (Python's digit grouping), which no form or CSV means as a number
            if not text.isascii() or "_" in text:
                raise ValueError(text)
            value = float(text)
        except ValueError:
            raise InvalidInput.about(field, raw, "is not a number") from None
    else:
        raise InvalidInput.about(field, raw, "is not a number")
    if not math.isfinite(value):
        raise InvalidInput.about(field, raw, "is not a finite number")
    if positive and value <= 0:
        raise InvalidInput.about(field, raw, "must be greater than 0")
    if minimum is not None and value < minimum:
        if minimum == 0:
            raise InvalidInput.about(field, raw, "is negative")
        raise InvalidInput.about(field, raw, "is below the minimum {minimum:g}", minimum=minimum)
    if maximum is not None and value > maximum:
        raise InvalidInput.about(field, raw, "is above the maximum {maximum:g}", maximum=maximum)
    return value


def price(data: Mapping[str, Any], name: str) -> float:
    """A price in CNY a tonne, within ±PRICE_LIMIT; 0 when not given."""
    value = number(
        data, name, required=False, default=0.0, minimum=-PRICE_LIMIT, maximum=PRICE_LIMIT
    )
    assert value is not None  # the default stands in for a missing one
    return value


def max_haul_km(data: Mapping[str, Any]) -> float | None:
    """The longest road haul a party accepts, in km, if it names one."""
    return number(data, "max_haul_km", required=False, positive=True, maximum=MAX_HAUL_KM)


def tonnes(data: Mapping[str, Any], name: str, *, required: bool = True) -> float | None:
    value = number(data, name, required=required, positive=True, maximum=MAX_TONNES)
    return None if value is None else round(value, 3)


def text(
    data: Mapping[str, Any],
    name: str,
    *,
    required: bool = False,
    max_length: int = MAX_TEXT,
    default: str = "",
    choices: Iterable[str] | None = None,
) -> str:
    raw = _given(data, name, required)
    if raw is None:
        return default
    if not isinstance(raw, str):
        raise InvalidInput.about(name, raw, "is not text")
    value = raw.strip()
    if len(value) > max_length:
        raise InvalidInput.about(
            name, value, "is longer than {max_length} characters", max_length=max_length
        )
    if any(ord(c) < 32 for c in value):
        raise InvalidInput.about(name, value, "contains control characters")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # a lone surrogate ("\ud800" in JSON) can be stored in neither database
            raise InvalidInput.about(name, value, "is not valid Unicode text") from None
    if choices is not None:
        options = tuple(choices)
        if value not in options:
            raise InvalidInput.about(
                name, value, "is not one of {options}", options=", ".join(options)
            )
    return value


def integer(data: Mapping[str, Any], name: str, *, required: bool = True) -> int | None:
    raw = _given(data, name, required)
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise InvalidInput.about(name, raw, "is not a whole number")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _WHOLE.fullmatch(raw.strip()):
        # ASCII digits only: str.isdigit() also passes "²", which int() refuses
        value = int(raw.strip())
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    else:
        raise InvalidInput.about(name, raw, "is not a whole number")
    if not -(2**62) < value < 2**62:
        raise InvalidInput.about(name, raw, "is out of range")
    return value


def day(data: Mapping[str, Any], name: str, *, required: bool = True) -> date | None:
    raw = _given(data, name, required)
    if raw is None:
        return None
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if not isinstance(raw, str):
        raise InvalidInput.about(name, raw, "is not a date (YYYY-MM-DD)")
    try:
        value = date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput.about(name, raw, "is not a date (YYYY-MM-DD)") from None
    if not 1990 <= value.year <= 2200:
        raise InvalidInput.about(name, raw, "is out of range")
    return value


def moment(data: Mapping[str, Any], name: str, *, required: bool = True) -> datetime | None:
    """An ISO date-time; one without a zone is taken as China Standard Time (UTC+8)."""
    raw = _given(data, name, required)
    if raw is None:
        return None
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput.about(name, raw, "is not a date-time (ISO 8601)") from None
    else:
        raise InvalidInput.about(name, raw, "is not a date-time (ISO 8601)")
    if value.tzinfo is None:
        from datetime import timedelta, timezone

        value = value.replace(tzinfo=timezone(timedelta(hours=8)))
    if not 1990 <= value.year <= 2200:
        raise InvalidInput.about(name, raw, "is out of range")
    return value.astimezone(UTC)


def date_order(start_field: str, start: date | None, end_field: str, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise InvalidInput(
            "{field}: {value} is before {start_field} {start}",
            field=end_field,
            value=end.isoformat(),
            start_field=start_field,
            start=start.isoformat(),
        )


def mapping(data: Mapping[str, Any], name: str, *, required: bool = False) -> dict[str, Any]:
    raw = data.get(name)
    if raw is None:
        if required:
            raise InvalidInput("{field}: is required", field=name)
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidInput.about(name, raw, "is not an object")
    if len(raw) > 100:
        raise InvalidInput(
            "{field}: has {n_raw} entries, at most 100 allowed", field=name, n_raw=len(raw)
        )
    return dict(raw)
