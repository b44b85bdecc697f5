"""What can be wrong with a matching problem. Each message starts with the path of the bad value."""

from __future__ import annotations

import json
import math
from typing import Any


class ProblemError(ValueError):
    """A matching problem breaks the contract; `path` says where (e.g. `lots[3].tonnes`)."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}" if path else detail)
        self.path = path
        self.detail = detail


class WrongType(ProblemError):
    def __init__(self, path: str, value: Any, expected: str) -> None:
        super().__init__(path, f"{show(value)} is not {expected}")


class UnknownKey(ProblemError):
    def __init__(self, path: str, keys: list[str], allowed: tuple[str, ...]) -> None:
        names = ", ".join(repr(k) for k in sorted(keys))
        noun = "key" if len(keys) == 1 else "keys"
        super().__init__(path, f"unknown {noun} {names} (allowed: {', '.join(allowed)})")


class MissingKey(ProblemError):
    def __init__(self, path: str, key: str) -> None:
        super().__init__(path, f"missing key {key!r}")


class NotFinite(ProblemError):
    def __init__(self, path: str, value: float) -> None:
        super().__init__(path, f"{show(value)} is not a finite number")


class Negative(ProblemError):
    def __init__(self, path: str, value: float) -> None:
        super().__init__(path, f"{show(value)} is negative")


class OutOfRange(ProblemError):
    def __init__(self, path: str, value: float, low: float, high: float) -> None:
        super().__init__(path, f"{show(value)} is out of range [{show(low)}, {show(high)}]")


class BoundsReversed(ProblemError):
    def __init__(self, path: str, low: float, high: float) -> None:
        super().__init__(path, f"min {show(low)} > max {show(high)}")


class DuplicateId(ProblemError):
    def __init__(self, path: str, value: str, first: str) -> None:
        super().__init__(path, f"{show(value)} is a duplicate (first at {first})")


class NotAChoice(ProblemError):
    def __init__(self, path: str, value: Any, choices: tuple[str, ...]) -> None:
        super().__init__(path, f"{show(value)} is not one of {', '.join(map(repr, choices))}")


class UnknownLot(ProblemError):
    def __init__(self, lot_id: str) -> None:
        super().__init__("lot", f"{show(lot_id)} is not in the problem")


class TooLarge(ProblemError):
    def __init__(self, path: str, detail: str) -> None:
        super().__init__(path, detail)


def show(value: Any) -> str:
    """A value as the input spelled it: 5 rather than 5.0, strings quoted as in JSON."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return repr(value)
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        # a lone surrogate stays escaped: the message must be printable and encodable as UTF-8
        return text if text.isascii() or _encodable(text) else json.dumps(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
