"""The rules on single values every problem of `matching` shares: names, ids, finite numbers,
tonnes and points. The matching problem (`model.check`), the drawdown plan
(`plan.validation.check_plan`) and the siting analysis all refuse through these, so a bad point
reads the same wherever it is sent."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from matching.errors import (
    BoundsReversed,
    DuplicateId,
    Negative,
    NotFinite,
    OutOfRange,
    ProblemError,
    TooLarge,
    WrongType,
)

MAX_TONNES = 1e12
"""Per lot or capacity; keeps every sum of tonnes far inside int64."""

MAX_PRIORITY = 1000
"""Keeps the weighted objective's integer penalty inside int64 for national-scale problems."""


def check_name(value: str, path: str) -> None:
    if not isinstance(value, str):
        raise WrongType(path, value, "a string")
    if not value.strip():
        raise ProblemError(path, "must not be empty")


def check_id(value: str, path: str, first: dict[str, str]) -> None:
    """A name not used before; `first` maps each id seen to where it was first."""
    check_name(value, path)
    if value in first:
        raise DuplicateId(path, value, first[value])
    first[value] = path.removesuffix(".id")


def check_finite(value: float, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WrongType(path, value, "a number")
    if not math.isfinite(value):
        raise NotFinite(path, value)


def check_non_negative(value: float, path: str) -> None:
    check_finite(value, path)
    if value < 0:
        raise Negative(path, value)


def check_positive(value: float, path: str) -> None:
    check_non_negative(value, path)
    if value == 0:
        raise ProblemError(path, "0 must be positive")


def check_tonnes(value: float, path: str) -> None:
    check_non_negative(value, path)
    if value > MAX_TONNES:
        raise TooLarge(
            path,
            "{tonnes:g} t is above the maximum {maximum:g} t",
            tonnes=value,
            maximum=MAX_TONNES,
        )


def check_point(lat: float, lon: float, path: str) -> None:
    """`path.lat` and `path.lon`: finite, and on the globe."""
    check_finite(lat, f"{path}.lat")
    check_finite(lon, f"{path}.lon")
    if not -90 <= lat <= 90:
        raise OutOfRange(f"{path}.lat", lat, -90, 90)
    if not -180 <= lon <= 180:
        raise OutOfRange(f"{path}.lon", lon, -180, 180)


def check_whole(value: int, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise WrongType(path, value, "a whole number")


def check_optional_distance(value: float | None, path: str) -> None:
    if value is not None:
        check_non_negative(value, path)


def check_quality(quality: Mapping[str, float], path: str) -> None:
    """`path.quality.CODE`: every assay a finite number."""
    for code, value in quality.items():
        check_finite(value, f"{path}.quality.{code}")


def check_bound(low: float | None, high: float | None, path: str) -> None:
    """`path.min` and `path.max` of a spec's bound: finite where given, and not reversed."""
    if low is not None:
        check_finite(low, f"{path}.min")
    if high is not None:
        check_finite(high, f"{path}.max")
    if low is not None and high is not None and low > high:
        raise BoundsReversed(path, low, high)


def check_priorities(priorities: Mapping[str, int]) -> None:
    """`params.priorities.MATERIAL`: whole numbers from 1 to `MAX_PRIORITY`."""
    for material, priority in priorities.items():
        path = f"params.priorities.{material}"
        check_whole(priority, path)
        if not 1 <= priority <= MAX_PRIORITY:
            raise OutOfRange(path, priority, 1, MAX_PRIORITY)


def check_located(
    item: Any, path: str, first: dict[str, str], names: tuple[str, ...], tonnes: tuple[str, ...]
) -> None:
    """An item with an id and a place (a lot, a stock, an intake): its id, then each of its
    `names` (non-empty strings), each of its `tonnes`, and its point, in that order."""
    check_id(item.id, f"{path}.id", first)
    for name in names:
        check_name(getattr(item, name), f"{path}.{name}")
    for name in tonnes:
        check_tonnes(getattr(item, name), f"{path}.{name}")
    check_point(item.lat, item.lon, path)
