"""The request bodies of the market's API, each declared once: the services read them with
`market.schemas.parse`/`read`, the OpenAPI document states them (`web.openapi.schemas`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, create_model

from market.fields import MAX_TONNES, PRICE_LIMIT
from market.schemas.kinds import Day, Haul, Moment, Number, Own, Price, Text, Tonnes

NUM = {"type": "number"}
STR = {"type": "string"}
INT = {"type": "integer"}
QUALITY = {"type": "object", "additionalProperties": NUM, "maxProperties": 100}
BOUND = {
    "type": "object",
    "properties": {"min": NUM, "max": NUM},
    "additionalProperties": False,
}
SPEC = {"type": "object", "additionalProperties": BOUND, "maxProperties": 100}


def partial(model: type[BaseModel], name: str, *, without: tuple[str, ...] = ()) -> type[BaseModel]:
    """`model` with every field optional and the fields `without` names left out: what an edit
    may send (a field it leaves out keeps its value)."""
    optional: dict[str, Any] = {
        field: (Annotated[info.annotation, *info.metadata], None)
        for field, info in model.model_fields.items()
        if field not in without
    }
    return create_model(name, __doc__=model.__doc__, **optional)


class LotCreate(BaseModel):
    """A lot, in the order the service checks its fields (`market.services.lots`)."""

    site_id: Annotated[int, Own(INT)]
    material: Annotated[str, Own(STR)]
    quality: Annotated[dict[str, float] | None, Own(QUALITY)] = None
    available_from: Annotated[date | None, Day()] = None
    available_until: Annotated[date | None, Day()] = None
    sampled_on: Annotated[date | None, Day()] = None
    tonnes: Annotated[float, Tonnes()]
    lab_report: Annotated[str | None, Text()] = None
    asking_price_cny_t: Annotated[float | None, Price()] = None
    max_haul_km: Annotated[float | None, Haul()] = None


LotUpdate = partial(LotCreate, "LotUpdate", without=("site_id", "material"))


class OfferCreate(BaseModel):
    """An intake offer, in the order the service checks its fields (`market.services.offers`)."""

    site_id: Annotated[int, Own(INT)]
    material: Annotated[str, Own(STR)]
    use: Annotated[str | None, Text(max_length=40)] = None
    spec: Annotated[dict[str, Any] | None, Own(SPEC)] = None
    period_start: Annotated[date | None, Day()] = None
    period_end: Annotated[date | None, Day()] = None
    capacity_t: Annotated[float, Tonnes()]
    price_cny_t: Annotated[float | None, Price()] = None
    max_haul_km: Annotated[float | None, Haul()] = None


class BidCreate(BaseModel):
    """A bid on a proposal; its tonnes are the proposal's when not given."""

    price_cny_t: Annotated[float, Number(minimum=-PRICE_LIMIT, maximum=PRICE_LIMIT)]
    tonnes: Annotated[float | None, Tonnes()] = None


class DeliveryCreate(BaseModel):
    """A truck's dispatch under a contract."""

    tonnes: Annotated[float, Tonnes()]
    manifest_no: Annotated[str, Text(max_length=60)]
    idempotency_key: Annotated[str | None, Text(max_length=100)] = None
    truck_plate: Annotated[str | None, Text(max_length=20)] = None
    dispatched_at: Annotated[datetime | None, Moment()] = None


class Receipt(BaseModel):
    """The weighbridge tonnes a recycler confirms."""

    received_tonnes: Annotated[float, Number(minimum=0, maximum=MAX_TONNES)]
    note: Annotated[str | None, Text(max_length=500)] = None
    received_at: Annotated[datetime | None, Moment()] = None


class SiteCreate(BaseModel):
    """A yard (producer) or plant (recycler); its kind is the role's when not given."""

    name: Annotated[str, Text()]
    kind: Annotated[str | None, Text(choices=("yard", "plant"))] = None
    lat: Annotated[float, Number(minimum=-90, maximum=90)]
    lon: Annotated[float, Number(minimum=-180, maximum=180)]
