"""The market's rules for lots and offers, written once: open tonnes, whether a lot or an offer
is open and who may see it, and its status. Each rule is a function over `Logic`, the few
operations it needs, and over a row's fields by name; called with `PY` and plain values it
answers in Python, called with `SQL` and columns it builds the condition the listings filter,
count and page by. Beside them, the joins that carry a lot to its yard and producer and an offer
to its plant and recycler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from types import SimpleNamespace
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, false, not_, or_, true
from sqlmodel import col, func, select

from market.services.common import OVERSEERS
from market.tables import (
    Contract,
    Lot,
    Offer,
    Organisation,
    Site,
)
from market.wide import WideSelect, wide

# ----------------------------------------------------------------------------- the two evaluations


class Logic(Protocol):
    """What a rule may do beyond `+ - < >= == !=`, which plain values and columns share."""

    yes: Any

    def all(self, *terms: Any) -> Any: ...

    def any(self, *terms: Any) -> Any: ...

    def not_(self, term: Any) -> Any: ...

    def missing(self, value: Any) -> Any: ...

    def none_or(self, value: Any, test: Callable[[Any], Any]) -> Any:
        """True where `value` is None, else `test(value)`."""


class _Python:
    yes = True

    def all(self, *terms: Any) -> bool:
        return all(terms)

    def any(self, *terms: Any) -> bool:
        return any(terms)

    def not_(self, term: Any) -> bool:
        return not term

    def missing(self, value: Any) -> bool:
        return value is None

    def none_or(self, value: Any, test: Callable[[Any], Any]) -> bool:
        return value is None or bool(test(value))


class _Sql:
    yes = true()

    def all(self, *terms: Any) -> ColumnElement[bool]:
        return and_(*terms)

    def any(self, *terms: Any) -> ColumnElement[bool]:
        return or_(*terms)

    def not_(self, term: Any) -> ColumnElement[bool]:
        return not_(term)  # type: ignore[no-any-return]

    def missing(self, value: Any) -> ColumnElement[bool]:
        return col(value).is_(None)

    def none_or(self, value: Any, test: Callable[[Any], Any]) -> ColumnElement[bool]:
        return or_(col(value).is_(None), test(value))


PY: Logic = _Python()
SQL: Logic = _Sql()

# ----------------------------------------------------------------------------- the rules
# A lot's fields by name: withdrawn_at, available_until, tonnes_open, active_contracts and, for
# who sees it, organisation_id (its producer); an offer's: withdrawn_at, period_end,
# capacity_open and organisation_id (its recycler). A contract's: tonnes, status.


def holds_tonnes(contract: Any) -> Any:
    """A contract holds its tonnes (of the lot and of the offer) until it is cancelled."""
    return contract.status != "cancelled"


def is_active(contract: Any) -> Any:
    return contract.status == "active"


def open_tonnes(amount: Any, reserved: Any) -> Any:
    """A lot's tonnes or an offer's capacity less what its contracts hold."""
    return amount - reserved


def lot_is_open(x: Logic, lot: Any, today: Any) -> Any:
    """Open: not withdrawn, tonnes not under contract, and not past its last day."""
    return x.all(
        x.missing(lot.withdrawn_at),
        lot.tonnes_open > 0,
        x.none_or(lot.available_until, lambda last: last >= today),
    )


def offer_is_open(x: Logic, offer: Any, today: Any) -> Any:
    """Open: not withdrawn, capacity not under contract, and its period not over."""
    return x.all(x.missing(offer.withdrawn_at), offer.capacity_open > 0, offer.period_end >= today)


def lot_visible(x: Logic, lot: Any, today: Any, role: str, organisation_id: Any) -> Any:
    """Overseers see every lot, a producer its own and the open ones, anyone else the open."""
    if role in OVERSEERS:
        return x.yes
    if role == "producer":
        return x.any(lot.organisation_id == organisation_id, lot_is_open(x, lot, today))
    return lot_is_open(x, lot, today)


def offer_visible(x: Logic, offer: Any, today: Any, role: str, organisation_id: Any) -> Any:
    """A recycler sees its own offers, a producer the open ones (the market's demand side is
    public, as on any exchange), anyone else (overseers) all."""
    if role == "recycler":
        return offer.organisation_id == organisation_id
    if role == "producer":
        return offer_is_open(x, offer, today)
    return x.yes


Rule = Callable[[Logic, Any, Any], Any]


@dataclass(frozen=True)
class Statuses:
    """A status as ordered cases: the first whose rule holds names it, else `otherwise`."""

    cases: tuple[tuple[str, Rule], ...]
    otherwise: str
    shown: tuple[str, ...]  # the same names, in the order the lists offer them

    def __post_init__(self) -> None:
        if sorted(self.shown) != sorted(self.names):
            raise ValueError(f"statuses shown {self.shown} are not those named {self.names}")

    @property
    def names(self) -> tuple[str, ...]:
        return (*(name for name, _ in self.cases), self.otherwise)

    def of(self, row: Any, today: Any) -> str:
        for name, rule in self.cases:
            if rule(PY, row, today):
                return name
        return self.otherwise

    def condition(self, status: str, row: Any, today: Any) -> ColumnElement[bool]:
        """Where `of` would name `status`: no earlier case holds, and this one does."""
        if status not in self.names:
            return false()
        earlier: list[ColumnElement[bool]] = []
        for name, rule in self.cases:
            if name == status:
                return and_(*earlier, rule(SQL, row, today))
            earlier.append(not_(rule(SQL, row, today)))
        return and_(*earlier)


LOT_STATUS = Statuses(
    (
        ("withdrawn", lambda x, lot, today: x.not_(x.missing(lot.withdrawn_at))),
        ("open", lot_is_open),
        ("reserved", lambda x, lot, today: lot.active_contracts > 0),
    ),
    otherwise="closed",
    shown=("open", "reserved", "closed", "withdrawn"),
)

OFFER_STATUS = Statuses(
    (
        ("withdrawn", lambda x, offer, today: x.not_(x.missing(offer.withdrawn_at))),
        ("expired", lambda x, offer, today: offer.period_end < today),
        ("open", lambda x, offer, today: offer.capacity_open > 0),
    ),
    otherwise="full",
    shown=("open", "full", "expired", "withdrawn"),
)

LOT_STATUSES = LOT_STATUS.shown

OFFER_STATUSES = OFFER_STATUS.shown


def lot_status(lot: Any, open_t: float, has_active: bool, today: date) -> str:
    facts = SimpleNamespace(
        withdrawn_at=lot.withdrawn_at,
        available_until=lot.available_until,
        tonnes_open=open_t,
        active_contracts=int(has_active),
    )
    return LOT_STATUS.of(facts, today)


def offer_status(offer: Offer, open_t: float, today: date) -> str:
    facts = SimpleNamespace(
        withdrawn_at=offer.withdrawn_at, period_end=offer.period_end, capacity_open=open_t
    )
    return OFFER_STATUS.of(facts, today)


def shown_open_t(open_t: float) -> float:
    """Open tonnes as a listing shows them: never below zero, to the kilogram."""
    return round(max(open_t, 0.0), 3)


# ----------------------------------------------------------------------------- the rules in SQL


def reserved_sql(owner: Any) -> Any:
    """The tonnes under contract of the lot or offer that `owner` (`Contract.lot_id == Lot.id`
    or `Contract.offer_id == Offer.id`) names: a correlated sum over its own contracts (index on
    contract.lot_id and contract.offer_id), so that a page of rows reads only their contracts,
    where a grouped subquery would aggregate the whole market's."""
    return (
        select(func.coalesce(func.sum(Contract.tonnes), 0.0))
        .where(owner, holds_tonnes(Contract))
        .scalar_subquery()
    )


@cache
def _lot_parts() -> tuple[Any, Any]:
    reserved = reserved_sql(Contract.lot_id == Lot.id)
    active = (
        select(func.count())
        .select_from(Contract)
        .where(Contract.lot_id == Lot.id, is_active(Contract))
        .scalar_subquery()
    )
    open_t = open_tonnes(Lot.tonnes, reserved).label("tonnes_open")
    return open_t, active.label("active_contracts")


def lot_columns(open_t: Any, active: Any = None) -> SimpleNamespace:
    """A lot's fields as the rules name them, as columns (`open_t` from `_lot_parts`)."""
    return SimpleNamespace(
        withdrawn_at=Lot.withdrawn_at,
        available_until=Lot.available_until,
        tonnes_open=open_t,
        active_contracts=active if active is not None else _lot_parts()[1],
        organisation_id=Site.organisation_id,
    )


def offer_columns(open_t: Any) -> SimpleNamespace:
    """An offer's fields as the rules name them, as columns."""
    return SimpleNamespace(
        withdrawn_at=Offer.withdrawn_at,
        period_end=Offer.period_end,
        capacity_open=open_t,
        organisation_id=Site.organisation_id,
    )


def open_lot_condition(open_t: Any, today: date | ColumnElement[date]) -> ColumnElement[bool]:
    return lot_is_open(SQL, lot_columns(open_t), today)  # type: ignore[no-any-return]


def open_offer_condition(open_t: Any, today: date) -> ColumnElement[bool]:
    return offer_is_open(SQL, offer_columns(open_t), today)  # type: ignore[no-any-return]


def _lot_status_is(status: str, open_t: Any, today: Any) -> ColumnElement[bool]:
    """`lot_status` as a condition, so that a status filter is counted and paged in SQL."""
    return LOT_STATUS.condition(status, lot_columns(open_t), today)


def _offer_status_is(status: str, open_t: Any, today: date) -> ColumnElement[bool]:
    """`offer_status` as a condition, counted and paged in SQL."""
    return OFFER_STATUS.condition(status, offer_columns(open_t), today)


# ----------------------------------------------------------------------------- the joins


def join_yard(q: WideSelect, *, yard: Any = Site, producer: Any = Organisation) -> WideSelect:
    """`q`, which selects from Lot, joined to the lot's yard and (unless None) its producer."""
    q = q.join(yard, col(yard.id) == Lot.site_id)
    if producer is not None:
        q = q.join(producer, col(producer.id) == yard.organisation_id)
    return q


def join_plant(q: WideSelect, *, plant: Any = Site, recycler: Any = Organisation) -> WideSelect:
    """`q`, which selects from Offer, joined to the offer's plant and (unless None) its
    recycler."""
    q = q.join(plant, col(plant.id) == Offer.site_id)
    if recycler is not None:
        q = q.join(recycler, col(recycler.id) == plant.organisation_id)
    return q


def join_deal(
    q: WideSelect,
    lot_id: Any,
    offer_id: Any,
    *,
    plant: Any,
    yard: Any = Site,
    producer: Any = None,
    recycler: Any = None,
) -> WideSelect:
    """The six-way join behind every proposal, bid, contract and delivery: the row's lot, its
    yard and producer, the row's offer, its plant and recycler (a producer or recycler left None
    is not joined). `plant` is an alias of Site, as the yard is Site itself unless told."""
    q = join_yard(q.join(Lot, col(Lot.id) == lot_id), yard=yard, producer=producer)
    return join_plant(q.join(Offer, col(Offer.id) == offer_id), plant=plant, recycler=recycler)


def deal_columns(
    names: str, *, plant: Any, producer: Any = None, recycler: Any = None
) -> list[Any]:
    """Columns of `join_deal`'s tables by the names the listings give them, in the order named
    (by spaces): the lot's and the offer's id, the material, each site's name, id, lat and lon
    (`yard`, `yard_id`, ... `plant_lon`) and each party's name and id (`producer`,
    `recycler_id`, ...; the producer's id is the yard's owner's when the producer is not
    joined)."""
    known: dict[str, Any] = {"lot_id": Lot.id, "offer_id": Offer.id, "material": Lot.material}
    for role, site in (("yard", Site), ("plant", plant)):
        known |= {role: site.name, f"{role}_id": site.id}
        known |= {f"{role}_lat": site.lat, f"{role}_lon": site.lon}
    known["producer_id"] = Site.organisation_id
    for role, party in (("producer", producer), ("recycler", recycler)):
        if party is not None:
            known |= {role: party.name, f"{role}_id": party.id}
    return [col(known[name]).label(name) for name in names.split()]


@cache
def lots_with_open_tonnes() -> tuple[WideSelect, Any]:
    """Lots as ORM objects with their open tonnes, for services that go on to use them."""
    open_t, active = _lot_parts()
    q = join_yard(wide(Lot, Site, Organisation, open_t, active).select_from(Lot))
    return q, open_t


@cache
def offers_with_open_capacity() -> tuple[WideSelect, Any]:
    reserved = reserved_sql(Contract.offer_id == Offer.id)
    open_t = open_tonnes(Offer.capacity_t, reserved).label("capacity_open")
    return join_plant(select(Offer, Site, Organisation, open_t)), open_t
