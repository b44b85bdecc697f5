"""Domain errors, as data. Each names the rule it guards and carries the offending field and value.

A refusal is a `code` (the class's, stable: the API's `error.code`), an English message template
with named placeholders (`{field}: {value} is below the minimum {minimum}`) and its `params`
(field, value, limit, ...). The English `message` the API and the CLI show is the template filled
in; a page in Chinese looks the same template up in the gettext catalogue (`locale/`) and fills
the Chinese with the same params (`web/i18n.py`), so a reworded message without a translation is
caught by a test, never silently shown in the other language.

Templates are `str.format` strings: `{name}`, `{name:.1f}`, `{name!r}`; a literal brace is
written twice (`{{`). `about()` is the usual shape, `field: value problem`: its problem template
may name `{value}` (the value as the message shows it, quoted when it is text) and any params.

A service that checks several fields collects every bad one (`Refusals`) and refuses once:
the first is the error's own field and message, all of them are in `errors`.

`web/` maps the classes to HTTP statuses in one place; the CLI prints `message` and exits 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from string import Formatter
from typing import Any, TypeVar

T = TypeVar("T")


def N_(template: str) -> str:
    """Marks a template for the catalogue where it is not handed straight to a refusal."""
    return template


ABOUT = N_("{field}: {value} ")
"""What `about()` puts before its problem, in English (web/i18n.py has the Chinese)."""


class DomainError(Exception):
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: Any = None,
        errors: list[DomainError] | None = None,
        **params: Any,
    ) -> None:
        self.template = message
        """The English template: the gettext msgid of this refusal (for `about()`, its problem)."""
        self.field = field
        self.value = value
        self.params = params
        """What the template names besides `field` and `value`."""
        self.shape = "whole"
        """`whole`: the template is the whole message; `about`: `field: value ` + template."""
        self.errors: list[DomainError] = list(errors or [])
        """Every bad field when a refusal found several (the first is this error's own)."""
        self.message = fill(self.template, self.words())
        super().__init__(self.message)

    @classmethod
    def about(cls, field: str, value: Any, problem: str, **params: Any) -> DomainError:
        """`tonnes: -5 is negative`: the field, the value as given, what is wrong with it.

        `problem` is a template (`is above the maximum {maximum}`, params as keywords)."""
        error = cls.__new__(cls)
        DomainError.__init__(error, problem, field=field, value=value, **params)
        error.shape = "about"
        words = error.words()
        error.message = f"{field}: {words['value']} {fill(problem, words)}"
        Exception.__init__(error, error.message)
        return error

    @classmethod
    def several(cls, errors: list[DomainError]) -> DomainError:
        """One refusal for several bad fields: the first speaks for all, `errors` lists them."""
        first = errors[0]
        if len(errors) == 1:
            return first
        first.errors = list(errors)
        return first

    def words(self) -> dict[str, Any]:
        """The params as the English template fills them in."""
        out: dict[str, Any] = {"field": self.field, **self.params}
        if self.shape == "about":
            out["value"] = self.params.get("shown", show(self.value))
        else:
            out["value"] = self.value
        for name, value in out.items():
            if isinstance(value, DomainError):  # a refusal inside this one: its words alone
                out[name] = value.message.removeprefix(f"{value.field or 'body'}: ")
        return out

    def every(self) -> list[DomainError]:
        """This refusal's bad fields, itself when it found only one."""
        return self.errors or [self]

    def data(self) -> dict[str, Any]:
        """The params as JSON: field, value, limits..., each a plain JSON value."""
        out: dict[str, Any] = {}
        if self.field is not None:
            out["field"] = self.field
        if self.value is not None:
            out["value"] = jsonable(self.value)
        for key, value in self.params.items():
            out[key] = value.message if isinstance(value, DomainError) else jsonable(value)
        return out


def fill(template: str, words: dict[str, Any]) -> str:
    """`template` filled with `words`; a template that names what is not there is shown as is."""
    try:
        return _FORMATTER.vformat(template, (), words)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        return template


class _Formatter(Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        try:
            return str(super().format_field(value, format_spec))
        except (TypeError, ValueError):  # `{limit:g}` given None or text: show it plainly
            return str(value)


_FORMATTER = _Formatter()


def placeholders(template: str) -> set[str]:
    """The names a template fills in (`{minimum:g}` → `minimum`)."""
    try:
        return {
            name.split(".")[0].split("[")[0] for _, name, _, _ in _FORMATTER.parse(template) if name
        }
    except ValueError:
        return set()


def show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def jsonable(value: Any) -> Any:
    """A param as a JSON value: numbers and short text as they are, anything else as shown."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) < 2**53:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, str) and len(value) <= 200:
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:  # a lone surrogate: no JSON encoder may write it
            return show(value)
    if isinstance(value, list | tuple) and len(value) <= 20:
        return [jsonable(v) for v in value]
    return show(value)


class Refusals:
    """Collects the bad fields of one request, to refuse once with all of them.

    bad = Refusals()
    tonnes = bad.check(fields.tonnes, data, "tonnes")   # None when it was bad
    with bad.field():                                    # any check in a block
        ...
    bad.done()                                           # raises when any was bad
    """

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def check(self, parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return parse(*args, **kwargs)
        except InvalidInput as exc:
            self.errors.extend(exc.every())
            return None

    @contextmanager
    def field(self) -> Iterator[None]:
        try:
            yield
        except InvalidInput as exc:
            self.errors.extend(exc.every())

    def add(self, error: DomainError) -> None:
        self.errors.extend(error.every())

    def bad(self, name: str) -> bool:
        return any(e.field == name for e in self.errors)

    def done(self) -> None:
        if self.errors:
            raise DomainError.several(self.errors)


class InvalidInput(DomainError):
    code = "invalid"


class NotFound(DomainError):
    code = "not_found"


class NotAllowed(DomainError):
    code = "forbidden"


class NotAuthenticated(DomainError):
    code = "unauthenticated"


class Conflict(DomainError):
    code = "conflict"


class LotOverReserved(Conflict):
    code = "lot_over_reserved"


class OfferOverReserved(Conflict):
    code = "offer_over_reserved"


class DuplicateManifest(Conflict):
    code = "duplicate_manifest"


class InvalidState(Conflict):
    code = "invalid_state"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"


class PeriodLocked(Conflict):
    """A date falls in a reporting month that is submitted or approved."""

    code = "period_locked"


class StockNegative(InvalidInput):
    code = "stock_negative"


class DateOutOfRange(InvalidInput):
    code = "date_out_of_range"


class EvidenceRequired(InvalidInput):
    code = "evidence_required"


def from_problem(exc: Any, field: str | None) -> InvalidInput:
    """A matching problem's own refusal (matching.ProblemError, geo's ZoneFileError: a template,
    its params and the path of the bad value) as the market's, in the same words."""
    inner = InvalidInput(exc.template, **exc.params)
    path = getattr(exc, "path", "")
    if not path:
        inner.field = field
        return inner
    return InvalidInput("{path}: {inner}", field=field, path=path, inner=inner)


KEYWORDS = (
    "about:3",
    "_refuse:3",
    "DomainError:1",
    "InvalidInput:1",
    "NotFound:1",
    "NotAllowed:1",
    "NotAuthenticated:1",
    "Conflict:1",
    "LotOverReserved:1",
    "OfferOverReserved:1",
    "DuplicateManifest:1",
    "InvalidState:1",
    "TooManyAttempts:1",
    "PeriodLocked:1",
    "StockNegative:1",
    "DateOutOfRange:1",
    "EvidenceRequired:1",
    "BadRequest:1",
    "PayloadTooLarge:1",
    "ZoneFileError:1",
    "ProblemError:2",
    "TooLarge:2",
)
"""The calls whose first (for `about`, third) argument is a refusal's template: what
`scripts/i18n.py extract` hands pybabel besides `_`, `gettext`, `N_` and `pgettext`."""
