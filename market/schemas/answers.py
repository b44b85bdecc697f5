"""The answers of the API, each declared once: one model per response component of the OpenAPI
document (`web.openapi.schemas.answer` turns a model into its component, under its name).

A field without a default is one the answer always holds (the component's `required`);
`Maybe[X] = None` is one it may leave out, never null; `X | None` is one that may be null.
An `Answer` is a component of its own (a field typed with one is a `$ref` to it); a `Part` is a
piece of one, written in place. Both may hold more fields than they declare, as the services'
answers do, unless a model says `extra="forbid"`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeAlias, TypeVar

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from market.audit import CHECKPOINT_STATUSES, FLAGS
from market.schemas.bodies import QUALITY, SPEC
from market.services.common import MAX_ID
from market.tables import LEDGER_KINDS, ROLES

T = TypeVar("T")
Maybe: TypeAlias = T | SkipJsonSchema[None]
"""A field the answer may leave out (the model's default, None, is never sent)."""


def one_of(choices: Iterable[str]) -> Any:
    """A text that is one of `choices` (a constant's, where `Literal` would copy it)."""
    return Field(json_schema_extra={"enum": list(choices)})


Object = dict[str, Any]
"""An object whose fields the document leaves open."""


class Answer(BaseModel):
    """A response component."""

    model_config = ConfigDict(extra="allow")


class Part(BaseModel):
    """A piece of an answer, written where it is used."""

    model_config = ConfigDict(extra="allow")


# ----------------------------------------------------------------------------- refusals


class Problem(Part):
    """One bad field of a refusal that found several."""

    field: Maybe[str] = None
    code: str
    message: str
    params: Maybe[Object] = None


class Refusal(Part):
    code: str
    message: str
    field: Maybe[str] = None
    # the refusal's data: field, value, limits, ids (docs/api.md "Errors")
    params: Maybe[Object] = None
    # every bad field when there were several
    errors: Maybe[list[Problem]] = None


class Error(Answer):
    """Every refusal's answer (docs/api.md "Errors")."""

    error: Refusal


# ----------------------------------------------------------------------------- accounts


class Token(Answer):
    token: Maybe[str] = None
    id: Maybe[int] = None
    token_type: Maybe[str] = None
    expires_at: Maybe[datetime | None] = None


class User(Answer):
    id: Maybe[int] = None
    username: Maybe[str] = None
    role: Annotated[Maybe[str], one_of(ROLES)] = None
    organisation_id: Maybe[int] = None
    organisation: Maybe[str] = None
    email: Maybe[str | None] = None
    active: Maybe[bool] = None
    must_change_password: Maybe[bool] = None
    last_login_at: Maybe[datetime | None] = None
    created_at: Maybe[datetime] = None
    one_time_password: Maybe[str] = Field(
        None,
        description="only in the answer that made it (create without a password, "
        "reset-password); shown once, to be changed at the next login",
    )


class Login(Answer):
    at: Maybe[datetime] = None
    address: Maybe[str] = None
    success: Maybe[bool] = None


class Me(Answer):
    id: Maybe[int] = None
    username: Maybe[str] = None
    role: Maybe[str] = None
    organisation_id: Maybe[int] = None
    organisation: Maybe[str] = None


# ----------------------------------------------------------------------------- the market


class Site(Answer):
    id: Maybe[int] = None
    name: Maybe[str] = None
    kind: Maybe[str] = None
    lat: Maybe[float] = None
    lon: Maybe[float] = None
    prefecture: Maybe[str] = None
    county: Maybe[str] = None


class Lot(Answer):
    id: Maybe[int] = None
    site_id: Maybe[int] = None
    material: Maybe[str] = None
    tonnes: Maybe[float] = None
    tonnes_open: Maybe[float] = None
    quality: Maybe[Annotated[dict[str, float], WithJsonSchema(QUALITY)]] = None
    available_from: Maybe[date] = None
    available_until: Maybe[date | None] = None
    asking_price_cny_t: Maybe[float] = None
    status: Maybe[Literal["open", "reserved", "closed", "withdrawn"]] = None


class Offer(Answer):
    id: Maybe[int] = None
    site_id: Maybe[int] = None
    material: Maybe[str] = None
    capacity_t: Maybe[float] = None
    capacity_open_t: Maybe[float] = None
    period_start: Maybe[date] = None
    period_end: Maybe[date] = None
    spec: Maybe[Annotated[dict[str, Any], WithJsonSchema(SPEC)]] = None
    price_cny_t: Maybe[float] = None
    max_haul_km: Maybe[float | None] = None


class Proposal(Answer):
    id: Maybe[int] = None
    lot_id: Maybe[int] = None
    offer_id: Maybe[int] = None
    tonnes: Maybe[float] = None
    road_km: Maybe[float] = None
    haul_cost: Maybe[float] = None
    co2_kg: Maybe[float] = None


class MatchRun(Answer):
    id: Maybe[int] = None
    status: Maybe[str] = None
    proposals: Maybe[list[Proposal]] = None
    unmatched: Maybe[list[Any]] = None
    totals: Maybe[Object] = None


class Bid(Answer):
    id: Maybe[int] = None
    proposal_id: Maybe[int] = None
    price_cny_t: Maybe[float] = None
    tonnes: Maybe[float] = None
    status: Maybe[str] = None


class Contract(Answer):
    id: Maybe[int] = None
    lot_id: Maybe[int] = None
    offer_id: Maybe[int] = None
    tonnes: Maybe[float] = None
    price_cny_t: Maybe[float] = None
    status: Maybe[str] = None


class Delivery(Answer):
    id: Maybe[int] = None
    contract_id: Maybe[int] = None
    manifest_no: Maybe[str] = None
    tonnes: Maybe[float] = None
    received_tonnes: Maybe[float | None] = None
    settled_tonnes: Maybe[float | None] = None
    status: Maybe[Literal["dispatched", "received", "disputed"]] = None


class LedgerEntry(Answer):
    id: Maybe[int] = None
    kind: Annotated[Maybe[str], one_of(LEDGER_KINDS)] = None
    material: Maybe[str] = None
    tonnes: Maybe[float] = None
    occurred_on: Maybe[date] = None
    document: Maybe[str] = None
    recorded_by: Maybe[str] = None
    recorded_at: Maybe[datetime] = None
    hash: Maybe[str] = None
    prev_hash: Maybe[str] = None
    evidence: Maybe[list[int]] = None
    attestation: Maybe[Literal["not_required", "pending", "attested", "rejected"]] = None
    correction_id: Maybe[int | None] = None


class Ledger(Answer):
    balance_t: Maybe[dict[str, float]] = None
    entries: Maybe[list[LedgerEntry]] = None


# ----------------------------------------------------------------------------- the audit


class AuditSummary(Answer):
    period: Maybe[str] = None
    start: Maybe[date] = None
    end: Maybe[date] = None
    targets: Maybe[Object] = None
    totals: Maybe[Object] = None
    by_material: Maybe[list[Object]] = None
    by_prefecture: Maybe[list[Object]] = None
    by_county: Maybe[list[Object]] = None


class PhosphogypsumRow(Answer):
    organisation_id: Maybe[int] = None
    organisation: Maybe[str] = None
    generated_t: Maybe[float] = None
    utilised_t: Maybe[float] = None
    treated_t: Maybe[float] = None
    consumed_t: Maybe[float] = None
    stock_increment_t: Maybe[float] = None
    opening_stock_t: Maybe[float] = None
    closing_stock_t: Maybe[float] = None
    ledger_closing_stock_t: Maybe[float] = None
    p2o5_t: Maybe[float] = None
    implied_generation_t: Maybe[float] = None
    ratio: Maybe[float] = None
    p2o5_allowance_t: Maybe[float | None] = None
    next_p2o5_allowance_t: Maybe[float] = None
    flags: Maybe[list[Annotated[str, one_of(FLAGS)]]] = None
    claimed_unattested_t: Maybe[float] = None
    report_status: Maybe[Literal["approved", "partial", "missing"]] = None


class PhosphogypsumTable(Answer):
    period: str
    rows: list[PhosphogypsumRow]


class CheckpointHead(Answer):
    """A yard's chain head as the verify answer lists it, and as a checkpoint sends it back
    (`market.audit.checkpoints` reads it, refusing any other field)."""

    model_config = ConfigDict(extra="forbid")

    site_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    seq: Annotated[int, Field(ge=0, le=MAX_ID)]
    hash: Annotated[str, Field(pattern="^[0-9a-fA-F]{64}$")]
    site: Any = Field(None, description="the site's name; ignored")


class Verification(Answer):
    ok: Maybe[bool] = None
    sites_checked: Maybe[int] = None
    entries_checked: Maybe[int] = None
    breaks: Maybe[list[Object]] = None
    heads_fingerprint: Maybe[str] = None
    heads: Maybe[list[CheckpointHead]] = None


class CheckpointSite(Answer):
    site_id: int
    site: Maybe[str | None] = None
    status: Annotated[str, one_of(CHECKPOINT_STATUSES)]
    checkpoint_seq: Maybe[int | None] = None
    checkpoint_hash: Maybe[str | None] = None
    head_seq: Maybe[int | None] = None
    head_hash: Maybe[str | None] = None
    last_seq: Maybe[int | None] = None
    hash_at_seq: Maybe[str | None] = None
    message: str


class CheckpointSeen(Part):
    """The checkpoint a comparison was made against."""

    heads: Maybe[int] = None
    fingerprint: Maybe[str] = None


class CheckpointComparison(Answer):
    ok: bool
    checkpoint: CheckpointSeen
    counts: dict[str, int]
    sites: list[CheckpointSite]
    verification: Verification


# ----------------------------------------------------------------------------- trusted figures


class Report(Answer):
    id: Maybe[int | None] = None
    site_id: int
    period: str
    status: Literal["open", "submitted", "approved", "returned"]
    due_on: date
    submitted_at: Maybe[str | None] = None
    approved_at: Maybe[str | None] = None
    approved_by: Maybe[str | None] = None
    note: Maybe[str] = None


class ReportList(Answer):
    reports: list[Report]


class Correction(Answer):
    id: int
    status: Literal["pending", "approved", "rejected"]


class Document(Answer):
    id: int
    sha256: str
    size: int
    media_type: str
    filename: str
