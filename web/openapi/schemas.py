"""The shared pieces of the OpenAPI document: the atoms, `obj`/`ref`, and the component schemas
of the market's own surface (other API modules register theirs through `web.openapi.register`).

Request schemas list exactly the fields the services accept (`additionalProperties: false`, as
the services refuse unknown fields), so clients and fuzzers generated from this document send
what the server really takes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from market.schemas import bodies
from market.tables import LEDGER_KINDS, ROLES

NUM = {"type": "number"}
INT = {"type": "integer"}
STR = {"type": "string"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
TONNES = {"type": "number", "exclusiveMinimum": 0, "maximum": 1e9}
PRICE = {"type": "number", "minimum": -100000, "maximum": 100000}
HAUL = {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 5000}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(
    props: dict[str, Any], required: list[str] | None = None, *, closed: bool = True
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    if closed:
        out["additionalProperties"] = False
    return out


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def components(*models: type[BaseModel]) -> dict[str, Any]:
    """The components of request bodies, each under its model's name."""
    return {model.__name__: component(model) for model in models}


def component(model: type[BaseModel]) -> dict[str, Any]:
    """A request body's model (`market.schemas.bodies`) as this document's component: each
    field's schema is its kind's, a required text may not be blank, no other field is taken."""
    schema = model.model_json_schema()
    required = schema.get("required", [])
    props: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        prop = {k: v for k, v in prop.items() if k not in ("title", "default")}
        if name in required and "maxLength" in prop:  # a required text: blank is missing
            prop = {**prop, "minLength": max(prop.get("minLength", 0), 1)}
        props[name] = prop
    return obj(props, required)


QUALITY = bodies.QUALITY
SPEC = bodies.SPEC

REQUESTS = components(
    bodies.SiteCreate,
    bodies.LotCreate,
    bodies.LotUpdate,
    bodies.OfferCreate,
    bodies.BidCreate,
    bodies.DeliveryCreate,
    bodies.Receipt,
    bodies.Resolve,
    bodies.LedgerEntryCreate,
)
"""The market's request bodies, declared once in `market.schemas.bodies`."""

SCHEMAS: dict[str, Any] = {
    **REQUESTS,
    "Error": obj(
        {
            "error": obj(
                {
                    "code": STR,
                    "message": STR,
                    "field": STR,
                    # the refusal's data: field, value, limits, ids (docs/api.md "Errors")
                    "params": {"type": "object"},
                    # every bad field when there were several
                    "errors": {
                        "type": "array",
                        "items": obj(
                            {
                                "field": STR,
                                "code": STR,
                                "message": STR,
                                "params": {"type": "object"},
                            },
                            ["code", "message"],
                            closed=False,
                        ),
                    },
                },
                ["code", "message"],
                closed=False,
            )
        },
        ["error"],
        closed=False,
    ),
    "TokenRequest": obj(
        {
            "username": {"type": "string", "minLength": 1},
            "password": {"type": "string", "minLength": 1},
            "name": STR,
        },
        ["username", "password"],
    ),
    "Token": obj(
        {"token": STR, "id": INT, "token_type": STR, "expires_at": nullable(DATETIME)},
        closed=False,
    ),
    "PasswordChange": obj(
        {
            "current_password": {"type": "string", "minLength": 1},
            "new_password": {"type": "string", "minLength": 10},
        },
        ["current_password", "new_password"],
    ),
    "User": obj(
        {
            "id": INT,
            "username": STR,
            "role": {"type": "string", "enum": list(ROLES)},
            "organisation_id": INT,
            "organisation": STR,
            "email": nullable(STR),
            "active": {"type": "boolean"},
            "must_change_password": {"type": "boolean"},
            "last_login_at": nullable(DATETIME),
            "created_at": DATETIME,
            "one_time_password": {
                "type": "string",
                "description": "only in the answer that made it (create without a password, "
                "reset-password); shown once, to be changed at the next login",
            },
        },
        closed=False,
    ),
    "UserCreate": obj(
        {
            "username": {"type": "string", "minLength": 2, "maxLength": 80},
            "role": {"type": "string", "enum": list(ROLES)},
            "organisation": {"type": "string", "minLength": 1, "maxLength": 200},
            "email": {"type": "string", "maxLength": 254},
            "password": {
                "type": "string",
                "minLength": 10,
                "description": "omit it for a one-time password in the answer",
            },
        },
        ["username", "role", "organisation"],
    ),
    "Login": obj({"at": DATETIME, "address": STR, "success": {"type": "boolean"}}, closed=False),
    "Me": obj(
        {"id": INT, "username": STR, "role": STR, "organisation_id": INT, "organisation": STR},
        closed=False,
    ),
    "Site": obj(
        {
            "id": INT,
            "name": STR,
            "kind": STR,
            "lat": NUM,
            "lon": NUM,
            "prefecture": STR,
            "county": STR,
        },
        closed=False,
    ),
    "Lot": obj(
        {
            "id": INT,
            "site_id": INT,
            "material": STR,
            "tonnes": NUM,
            "tonnes_open": NUM,
            "quality": QUALITY,
            "available_from": DATE,
            "available_until": nullable(DATE),
            "asking_price_cny_t": NUM,
            "status": {"type": "string", "enum": ["open", "reserved", "closed", "withdrawn"]},
        },
        closed=False,
    ),
    "Offer": obj(
        {
            "id": INT,
            "site_id": INT,
            "material": STR,
            "capacity_t": NUM,
            "capacity_open_t": NUM,
            "period_start": DATE,
            "period_end": DATE,
            "spec": SPEC,
            "price_cny_t": NUM,
            "max_haul_km": nullable(NUM),
        },
        closed=False,
    ),
    "MatchParams": obj(
        {
            "cost_per_t_km": {"type": "number", "minimum": 0},
            "circuity": {"type": "number", "minimum": 1},
            "priorities": {
                "type": "object",
                "additionalProperties": {"type": "number", "minimum": 0},
            },
            "mode": {"type": "string", "enum": ["divisible", "min_shipment"]},
            "min_shipment_t": {"type": "number", "minimum": 0},
            "time_limit_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 300},
            "co2_kg_per_t_km": {"type": "number", "minimum": 0},
        }
    ),
    "MatchRunRequest": obj({"params": ref("MatchParams")}),
    "Proposal": obj(
        {
            "id": INT,
            "lot_id": INT,
            "offer_id": INT,
            "tonnes": NUM,
            "road_km": NUM,
            "haul_cost": NUM,
            "co2_kg": NUM,
        },
        closed=False,
    ),
    "MatchRun": obj(
        {
            "id": INT,
            "status": STR,
            "proposals": {"type": "array", "items": ref("Proposal")},
            "unmatched": {"type": "array"},
            "totals": {"type": "object"},
        },
        closed=False,
    ),
    "Bid": obj(
        {"id": INT, "proposal_id": INT, "price_cny_t": NUM, "tonnes": NUM, "status": STR},
        closed=False,
    ),
    "Contract": obj(
        {
            "id": INT,
            "lot_id": INT,
            "offer_id": INT,
            "tonnes": NUM,
            "price_cny_t": NUM,
            "status": STR,
        },
        closed=False,
    ),
    "Delivery": obj(
        {
            "id": INT,
            "contract_id": INT,
            "manifest_no": STR,
            "tonnes": NUM,
            "received_tonnes": nullable(NUM),
            "settled_tonnes": nullable(NUM),
            "status": {"type": "string", "enum": ["dispatched", "received", "disputed"]},
        },
        closed=False,
    ),
    "LedgerEntry": obj(
        {
            "id": INT,
            "kind": {"type": "string", "enum": list(LEDGER_KINDS)},
            "material": STR,
            "tonnes": NUM,
            "occurred_on": DATE,
            "document": STR,
            "recorded_by": STR,
            "recorded_at": DATETIME,
            "hash": STR,
            "prev_hash": STR,
            "evidence": {"type": "array", "items": INT},
            "attestation": {
                "type": "string",
                "enum": ["not_required", "pending", "attested", "rejected"],
            },
            "correction_id": nullable(INT),
        },
        closed=False,
    ),
    "Ledger": obj(
        {
            "balance_t": {"type": "object", "additionalProperties": NUM},
            "entries": {"type": "array", "items": ref("LedgerEntry")},
        },
        closed=False,
    ),
}
