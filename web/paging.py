"""One way to page a list, for the pages and the JSON API alike.

`parse` reads and checks `?page=` (pages, 1-based) or `?offset=` (the API), `?limit=` and
`?sort=` from the query string: a limit past the list's maximum, a page past any that could
exist or an unknown sort key is refused (422, naming the parameter), never silently clamped.
`Pager` is what a page's template shows under a list (`_pager.html`): the rows shown of how
many, and links to the first, previous, next and last pages that keep the list's filters.
The rows and the total come from the database (COUNT and LIMIT/OFFSET in `market.views`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypedDict
from urllib.parse import urlencode

from market.errors import InvalidInput

MAX_OFFSET = 10**9
# dates a filter may name: the first instant of the day after LAST_YEAR still exists in UTC
FIRST_YEAR, LAST_YEAR = 1900, 9998


class Window(TypedDict):
    """The `limit=` and `offset=` keywords of a `market.views` listing."""

    limit: int
    offset: int


@dataclass(frozen=True)
class Paging:
    """A checked request for one page of a list."""

    limit: int
    offset: int = 0
    sort: str = ""

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1 if self.limit else 1

    def window(self) -> Window:
        return {"limit": self.limit, "offset": self.offset}


def _whole(name: str, raw: str, low: int, high: int) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18) or not low <= int(raw) <= high:
        raise InvalidInput.about(
            name, raw, "must be a whole number from {low} to {high}", low=low, high=high
        )
    return int(raw)


def parse(
    params: Mapping[str, str],
    *,
    default_limit: int = 50,
    max_limit: int = 200,
    min_limit: int = 1,
    sorts: Sequence[str] = (),
    default_sort: str = "",
) -> Paging:
    """The page a query string asks for: `page` (from 1) or `offset`, `limit`, `sort`."""
    raw_limit = params.get("limit")
    limit = default_limit if raw_limit is None else _whole("limit", raw_limit, min_limit, max_limit)
    offset = 0
    raw_page = params.get("page")
    raw_offset = params.get("offset")
    if raw_page is not None and raw_offset is not None:
        raise InvalidInput.about("page", raw_page, "cannot be sent with offset")
    if raw_page is not None:
        page = _whole("page", raw_page, 1, MAX_OFFSET // max(limit, 1))
        offset = (page - 1) * limit
    elif raw_offset is not None:
        offset = _whole("offset", raw_offset, 0, MAX_OFFSET)
    sort = params.get("sort") or default_sort
    if sorts and sort not in sorts:
        raise InvalidInput.about("sort", sort, "must be one of {sorts}", sorts=", ".join(sorts))
    return Paging(limit, offset, sort)


def day(params: Mapping[str, str], name: str) -> date | None:
    """A date filter (`from`, `to`: YYYY-MM-DD); empty is no filter."""
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if len(raw) == 10 and raw.isascii():
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            pass
        else:
            if FIRST_YEAR <= day.year <= LAST_YEAR:
                return day
            raise InvalidInput.about(
                name,
                raw,
                "must be a date from {FIRST_YEAR} to {LAST_YEAR}",
                FIRST_YEAR=FIRST_YEAR,
                LAST_YEAR=LAST_YEAR,
            )
    raise InvalidInput.about(name, raw, "must be a date written YYYY-MM-DD")


def month(params: Mapping[str, str], name: str = "month") -> tuple[date, date] | None:
    """A month filter (YYYY-MM) as its first day and the first day of the next month."""
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    parts = raw.split("-")
    if (
        len(parts) == 2
        and len(parts[0]) == 4
        and len(parts[1]) == 2
        and all(p.isascii() and p.isdigit() for p in parts)
        and 1 <= int(parts[1]) <= 12
        and FIRST_YEAR <= int(parts[0]) <= LAST_YEAR
    ):
        y, m = int(parts[0]), int(parts[1])
        start = date(y, m, 1)
        return start, date(y + (m == 12), m % 12 + 1, 1)
    raise InvalidInput.about(name, raw, "must be a month written YYYY-MM")


def choice(params: Mapping[str, str], name: str, allowed: Sequence[str]) -> str | None:
    """A filter among fixed values; empty is no filter, anything else is refused."""
    raw = params.get(name) or ""
    if not raw:
        return None
    if raw not in allowed:
        raise InvalidInput.about(name, raw, "must be one of {allowed}", allowed=", ".join(allowed))
    return raw


def queue(params: Mapping[str, str], queues: Sequence[str]) -> str:
    """Which queue of a review list is shown (`?status=`): the first unless another is named."""
    raw = params.get("status") or queues[0]
    if raw in queues:
        return raw
    raise InvalidInput.about("status", raw, "is not one of {choices}", choices=", ".join(queues))


@dataclass(frozen=True)
class Pager:
    """The page shown of a list, and links to its neighbours that keep the filters."""

    path: str
    total: int
    paging: Paging
    shown: int
    filters: Mapping[str, Any] = field(default_factory=dict)
    name: str = "page"  # the query parameter of the page number (two lists on one page)
    anchor: str = ""

    @property
    def limit(self) -> int:
        return self.paging.limit

    @property
    def page(self) -> int:
        return self.paging.page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit)) if self.limit else 1

    @property
    def first_row(self) -> int:
        return self.paging.offset + 1 if self.shown else 0

    @property
    def last_row(self) -> int:
        return self.paging.offset + self.shown

    def url(self, page: int | None = None, **change: Any) -> str:
        """This list's address with `change` applied (None drops a parameter)."""
        params = {k: v for k, v in self.filters.items() if v not in (None, "")}
        if page is not None and page > 1:
            params[self.name] = page
        else:
            params.pop(self.name, None)
        for k, v in change.items():
            if v in (None, ""):
                params.pop(k, None)
            else:
                params[k] = v
        query = urlencode(params)
        anchor = f"#{self.anchor}" if self.anchor else ""
        return self.path + ("?" + query if query else "") + anchor

    @property
    def prev_url(self) -> str | None:
        return self.url(self.page - 1) if self.page > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.page + 1) if self.page < self.pages else None

    @property
    def first_url(self) -> str | None:
        return self.url(1) if self.page > 1 else None

    @property
    def last_url(self) -> str | None:
        return self.url(self.pages) if self.page < self.pages else None


def kept(params: Mapping[str, str], names: Sequence[str]) -> dict[str, str]:
    """The filters of a list as sent, to carry into its pager's links."""
    return {n: params[n] for n in names if params.get(n)}


def answer(key: str, rows: list[dict[str, Any]], total: int, paging: Paging) -> dict[str, Any]:
    """A JSON list: the rows under `key`, with `total` (all rows the filters select), `limit`
    and `offset`."""
    return {key: rows, "total": total, "limit": paging.limit, "offset": paging.offset}
