"""The request bodies of the market's API, each declared once: the services read them with
`market.schemas.parse`/`read`, the OpenAPI document states them (`web.openapi.schemas`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, create_model

from market.fields import MAX_NOTE, MAX_TONNES, PRICE_LIMIT
from market.ledger import PRODUCER_KINDS
from market.schemas.kinds import (
    Day,
    Email,
    Haul,
    Label,
    Moment,
    Number,
    Own,
    Price,
    Text,
    Tonnes,
    Verbatim,
)
from market.services.documents import MAX_EVIDENCE
from market.tables import CORRECTION_KINDS, ROLES

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
MONTH = {"type": "string", "pattern": r"^20[0-9]{2}-(0[1-9]|1[0-2])$"}
SIGNED_TONNES = {"type": "number", "minimum": -MAX_TONNES, "maximum": MAX_TONNES}
DOCUMENT_IDS = {
    "type": "array",
    "items": {"type": "integer", "minimum": 1},
    "maxItems": MAX_EVIDENCE,
}
DECISIONS = ("attested", "rejected")
MIN_PASSWORD = 10
"""The fewest characters of a password a user chooses (`market.services.users` checks it)."""


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


class Resolve(BaseModel):
    """The older form of a settlement: the tonnes a party accepts (`market.services.deliveries`
    reads both against the delivery's own tonnes)."""

    accepted_tonnes: Annotated[float, Own({"type": "number", "minimum": 0})]
    note: Annotated[str | None, Text(max_length=500)] = None


class Settlement(BaseModel):
    """The tonnes a disputed delivery settles at, as a party proposes or a regulator decides."""

    settled_tonnes: Annotated[float, Own({"type": "number", "minimum": 0, "maximum": MAX_TONNES})]
    note: Annotated[str | None, Text(max_length=500)] = None


class LedgerEntryCreate(BaseModel):
    """A producer's own ledger entry; its tonnes are signed for a correction, else positive."""

    kind: Annotated[str, Text(choices=sorted(PRODUCER_KINDS))]
    material: Annotated[str, Own(STR)]
    tonnes: Annotated[float, Own(SIGNED_TONNES)]
    occurred_on: Annotated[date | None, Day()] = None
    document: Annotated[str | None, Text()] = None
    evidence: Annotated[
        list[int] | None,
        Own(
            {
                **DOCUMENT_IDS,
                "description": "ids of uploaded documents; own-use utilisation and treatment "
                "need at least one",
            }
        ),
    ] = None


class ReportSubmit(BaseModel):
    """An ended month a producer submits."""

    period: Annotated[str, Own(MONTH)]


class ReportApprove(BaseModel):
    """A regulator's approval of a month, with an optional note."""

    note: Annotated[str | None, Text(max_length=MAX_NOTE)] = None


CorrectionApprove = partial(ReportApprove, "CorrectionApprove")


class ReportReturn(BaseModel):
    """A month returned, or a correction rejected, with the reason why."""

    reason: Annotated[str, Text(max_length=MAX_NOTE)]


class CorrectionRequest(BaseModel):
    """A correction to a submitted or approved month (`market.services.corrections`)."""

    period: Annotated[str, Own(MONTH)]
    material: Annotated[str, Own(STR)]
    kind: Annotated[str, Text(choices=CORRECTION_KINDS)]
    tonnes: Annotated[float, Number(minimum=-MAX_TONNES, maximum=MAX_TONNES)]
    reason: Annotated[str, Text(max_length=MAX_NOTE)]
    evidence: Annotated[list[int] | None, Own(DOCUMENT_IDS)] = None


class Attest(BaseModel):
    """A decision on an own-use or treatment claim; a rejection needs its note."""

    decision: Annotated[str, Text(choices=DECISIONS)]
    note: Annotated[str | None, Text(max_length=MAX_NOTE)] = None


class TokenRequest(BaseModel):
    """A username and password exchanged for a token (`web.api.accounts`); a field it does not
    name is not looked at."""

    username: Annotated[str, Verbatim()]
    password: Annotated[str, Verbatim()]
    name: Annotated[str | None, Label()] = None


class PasswordChange(BaseModel):
    """A user's own new password, with the current one (`market.services.users`)."""

    current_password: Annotated[str, Verbatim()]
    new_password: Annotated[str, Verbatim().stating(minLength=MIN_PASSWORD)]


class UserCreate(BaseModel):
    """A user an operator creates (`market.services.users`); the username's 2 to 80 letters,
    digits or . _ @ - are checked once the body is read."""

    username: Annotated[str, Text(max_length=80).stating(minLength=2)]
    role: Annotated[str, Text(choices=ROLES)]
    organisation: Annotated[str, Text(max_length=200)]
    email: Annotated[str | None, Email()] = None
    password: Annotated[str | None, Verbatim().stating(minLength=MIN_PASSWORD)] = Field(
        None, description="omit it for a one-time password in the answer"
    )
