"""What can be wrong with a matching problem. Each message starts with the path of the bad value."""

from __future__ import annotations

import json
import math
from typing import Any


def N_(template: str) -> str:
    """Marks a template for the gettext catalogue (scripts/i18n.py extract)."""
    return template


class ProblemError(ValueError):
    """A matching problem breaks the contract; `path` says where (e.g. `lots[3].tonnes`).

    `detail` is a template with named placeholders filled from `params` (`{shown} is negative`),
    so a caller can say the same in another language from `template` and `params`."""

    def __init__(self, path: str, detail: str, **params: Any) -> None:
        self.path = path
        self.template = detail
        self.params: dict[str, Any] = params
        self.detail = detail.format(**params) if params else detail
        super().__init__(f"{path}: {self.detail}" if path else self.detail)


class WrongType(ProblemError):
    def __init__(self, path: str, value: Any, expected: str) -> None:
        super().__init__(
            path, N_("{shown} is not {expected}"), shown=show(value), expected=expected
        )


class UnknownKey(ProblemError):
    def __init__(self, path: str, keys: list[str], allowed: tuple[str, ...]) -> None:
        names = ", ".join(repr(k) for k in sorted(keys))
        template = N_("unknown key {keys} (allowed: {allowed})")
        if len(keys) != 1:
            template = N_("unknown keys {keys} (allowed: {allowed})")
        super().__init__(path, template, keys=names, allowed=", ".join(allowed))


class MissingKey(ProblemError):
    def __init__(self, path: str, key: str) -> None:
        super().__init__(path, N_("missing key {key}"), key=repr(key))


class NotFinite(ProblemError):
    def __init__(self, path: str, value: float) -> None:
        super().__init__(path, N_("{shown} is not a finite number"), shown=show(value))


class Negative(ProblemError):
    def __init__(self, path: str, value: float) -> None:
        super().__init__(path, N_("{shown} is negative"), shown=show(value))


class OutOfRange(ProblemError):
    def __init__(self, path: str, value: float, low: float, high: float) -> None:
        super().__init__(
            path,
            N_("{shown} is out of range [{low}, {high}]"),
            shown=show(value),
            low=show(low),
            high=show(high),
        )


class BoundsReversed(ProblemError):
    def __init__(self, path: str, low: float, high: float) -> None:
        super().__init__(path, N_("min {low} > max {high}"), low=show(low), high=show(high))


class DuplicateId(ProblemError):
    def __init__(self, path: str, value: str, first: str) -> None:
        super().__init__(
            path, N_("{shown} is a duplicate (first at {first})"), shown=show(value), first=first
        )


class NotAChoice(ProblemError):
    def __init__(self, path: str, value: Any, choices: tuple[str, ...]) -> None:
        super().__init__(
            path,
            N_("{shown} is not one of {choices}"),
            shown=show(value),
            choices=", ".join(map(repr, choices)),
        )


class UnknownLot(ProblemError):
    def __init__(self, lot_id: str) -> None:
        super().__init__("lot", N_("{shown} is not in the problem"), shown=show(lot_id))


class TooLarge(ProblemError):
    pass


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
