"""Request bodies declared once: a pydantic model per body whose fields carry their kind
(`market.schemas.kinds`). The services read a body with `parse` (or `read`, field by field), the
OpenAPI document states it from the same model (`web.openapi.schemas.component`).

    class BidCreate(BaseModel):
        price_cny_t: Annotated[float, Number(minimum=-PRICE_LIMIT, maximum=PRICE_LIMIT)]
        tonnes: Annotated[float | None, Tonnes()] = None

    values = parse(BidCreate, data, bad)     # {"price_cny_t": ..., "tonnes": ...}

A field without a default is required; `X | None` documents that null reads as not given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from market import fields
from market.errors import Refusals
from market.schemas.kinds import Kind


def names(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields a body may hold, in the order they are read."""
    return tuple(model.model_fields)


def kind(model: type[BaseModel], name: str) -> Kind:
    kinds = [m for m in model.model_fields[name].metadata if isinstance(m, Kind)]
    assert len(kinds) == 1, f"{model.__name__}.{name} needs one kind"
    return kinds[0]


def value(
    model: type[BaseModel], data: Mapping[str, Any], name: str, *, required: bool | None = None
) -> Any:
    """One field of `data` by its kind, refused at once when bad; `required` overrides the
    model's where another field decides it (a rejection's note)."""
    parser = kind(model, name).parser
    assert parser is not None, f"{model.__name__}.{name} is read by its service"
    if required is None:
        required = model.model_fields[name].is_required()
    return parser(data, name, required)


def own(model: type[BaseModel]) -> list[str]:
    """The fields the model reads itself (by their kinds), in its order."""
    return [name for name in names(model) if kind(model, name).parser is not None]


def read(
    model: type[BaseModel], data: Mapping[str, Any], bad: Refusals, *only: str
) -> dict[str, Any]:
    """The values of the fields `only` names (else of every field the model reads itself, in its
    order), each by its kind; a bad one is kept in `bad` and read as None."""
    return {name: bad.check(value, model, data, name) for name in only or own(model)}


def each(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """The value of every field the model reads itself, in its order, the first bad one refused
    at once; a field the model does not name is not looked at."""
    return {name: value(model, data, name) for name in own(model)}


def parse(
    model: type[BaseModel], data: Mapping[str, Any], bad: Refusals | None = None
) -> dict[str, Any]:
    """`data` as `model` declares it: an unknown field is refused first, then every field is
    read (`read`). Without `bad` the bad fields are refused here, all at once; with it they are
    left in `bad` for the service's own checks to join."""
    fields.reject_unknown(data, names(model))
    refusals = bad if bad is not None else Refusals()
    values = read(model, data, refusals)
    if bad is None:
        refusals.done()
    return values
