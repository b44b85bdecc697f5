"""The OpenAPI document of /api/v1.

Request schemas list exactly the fields the services accept (`additionalProperties: false`, as
the services refuse unknown fields), so clients and fuzzers generated from this document send
what the server really takes.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from market.ledger import PRODUCER_KINDS
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


QUALITY = {"type": "object", "additionalProperties": NUM, "maxProperties": 100}
BOUND = obj({"min": NUM, "max": NUM})
SPEC = {"type": "object", "additionalProperties": BOUND, "maxProperties": 100}

SCHEMAS: dict[str, Any] = {
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
    "SiteCreate": obj(
        {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "kind": {"type": "string", "enum": ["yard", "plant"]},
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
        },
        ["name", "lat", "lon"],
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
    "LotCreate": obj(
        {
            "site_id": INT,
            "material": STR,
            "tonnes": TONNES,
            "quality": QUALITY,
            "lab_report": {"type": "string", "maxLength": 200},
            "sampled_on": nullable(DATE),
            "available_from": nullable(DATE),
            "available_until": nullable(DATE),
            "asking_price_cny_t": nullable(PRICE),
            "max_haul_km": HAUL,
        },
        ["site_id", "material", "tonnes"],
    ),
    "LotUpdate": obj(
        {
            "tonnes": TONNES,
            "quality": QUALITY,
            "lab_report": {"type": "string", "maxLength": 200},
            "sampled_on": nullable(DATE),
            "available_from": nullable(DATE),
            "available_until": nullable(DATE),
            "asking_price_cny_t": nullable(PRICE),
            "max_haul_km": HAUL,
        }
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
    "OfferCreate": obj(
        {
            "site_id": INT,
            "material": STR,
            "use": nullable({"type": "string", "maxLength": 40}),
            "capacity_t": TONNES,
            "period_start": nullable(DATE),
            "period_end": nullable(DATE),
            "spec": SPEC,
            "price_cny_t": nullable(PRICE),
            "max_haul_km": HAUL,
        },
        ["site_id", "material", "capacity_t"],
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
    "BidCreate": obj({"price_cny_t": PRICE, "tonnes": TONNES}, ["price_cny_t"]),
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
    "DeliveryCreate": obj(
        {
            "tonnes": TONNES,
            "manifest_no": {"type": "string", "minLength": 1, "maxLength": 60},
            "dispatched_at": nullable(DATETIME),
            "truck_plate": {"type": "string", "maxLength": 20},
            "idempotency_key": {"type": "string", "maxLength": 100},
        },
        ["tonnes", "manifest_no"],
    ),
    "Receipt": obj(
        {
            "received_tonnes": {"type": "number", "minimum": 0, "maximum": 1e9},
            "received_at": nullable(DATETIME),
            "note": {"type": "string", "maxLength": 500},
        },
        ["received_tonnes"],
    ),
    "Resolve": obj(
        {
            "accepted_tonnes": {"type": "number", "minimum": 0},
            "note": {"type": "string", "maxLength": 200},
        },
        ["accepted_tonnes"],
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
    "LedgerEntryCreate": obj(
        {
            "kind": {"type": "string", "enum": sorted(PRODUCER_KINDS)},
            "material": STR,
            "tonnes": {"type": "number", "minimum": -1e9, "maximum": 1e9},
            "occurred_on": nullable(DATE),
            "document": {"type": "string", "maxLength": 200},
            "evidence": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1},
                "maxItems": 10,
                "description": "ids of uploaded documents; own-use utilisation and treatment "
                "need at least one",
            },
        },
        ["kind", "material", "tonnes"],
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

ERRORS = {
    str(code): {"description": text, "content": {"application/json": {"schema": ref("Error")}}}
    for code, text in (
        (400, "malformed request"),
        (401, "not authenticated"),
        (403, "not allowed for this role"),
        (404, "not found (or not yours)"),
        (409, "conflict with the current state"),
        (422, "invalid field value"),
    )
}


def op(
    summary: str,
    roles: str,
    response: dict[str, Any] | None = None,
    *,
    body: str | None = None,
    status: int = 200,
    params: list[dict[str, Any]] | None = None,
    public: bool = False,
    throttled: bool = False,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "summary": summary,
        "description": f"Who: {roles}.",
        "responses": {
            str(status): {
                "description": "ok",
                "content": {"application/json": {"schema": response or {"type": "object"}}},
            },
            **ERRORS,
        },
    }
    if body:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    if params:
        out["parameters"] = params
    if public:
        out["security"] = []
    if throttled:
        out["responses"]["429"] = {
            "description": "too many failed logins for this username; try again later",
            "content": {"application/json": {"schema": ref("Error")}},
        }
    return out


def path_id(name: str = "id") -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }


def query(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema or STR}


PAGING = [
    query("limit", {"type": "integer", "minimum": 0, "maximum": 1000}),
    query("offset", {"type": "integer", "minimum": 0}),
]


# a list's filters; its answer also carries `total` (every row the filters select), `limit`
# and `offset`
FILTERS = [
    query("status"),
    query("material"),
    query("from", {**DATE, "description": "first day (China Standard Time), included"}),
    query("to", {**DATE, "description": "last day (China Standard Time), included"}),
]


def list_of(key: str, item: str) -> dict[str, Any]:
    return obj(
        {
            key: {"type": "array", "items": ref(item)},
            "total": {"type": "integer", "minimum": 0},
            "limit": INT,
            "offset": INT,
        },
        [key],
        closed=False,
    )


PATHS: dict[str, Any] = {
    "/auth/token": {
        "post": op(
            "Exchange a username and password for a bearer token",
            "anyone",
            ref("Token"),
            body="TokenRequest",
            status=201,
            public=True,
            throttled=True,
        )
    },
    "/auth/tokens": {
        "get": op(
            "My API tokens, with expires_at (30 days after issue by default)",
            "any user",
            obj(
                {
                    "tokens": {
                        "type": "array",
                        "items": obj(
                            {
                                "id": INT,
                                "name": STR,
                                "created_at": DATETIME,
                                "last_used_at": nullable(DATETIME),
                                "expires_at": nullable(DATETIME),
                                "revoked": {"type": "boolean"},
                            },
                            closed=False,
                        ),
                    }
                },
                ["tokens"],
                closed=False,
            ),
        )
    },
    "/auth/tokens/{id}/revoke": {
        "post": op("Revoke one of my tokens", "the token's user", params=[path_id()])
    },
    "/me": {"get": op("The caller, role and organisation", "any user", ref("Me"))},
    "/me/password": {
        "post": op(
            "Change my password; ends my other sessions and tokens (this one stays)",
            "any signed-in user",
            obj({"id": INT, "password_changed": {"type": "boolean"}}, closed=False),
            body="PasswordChange",
        )
    },
    "/me/logins": {
        "get": op(
            "My last 50 logins (time, address, success)", "any user", list_of("logins", "Login")
        )
    },
    "/users": {
        "get": op("Every user, by organisation and role", "operator", list_of("users", "User")),
        "post": op(
            "Create a user (without a password: a one-time password, shown once)",
            "operator",
            ref("User"),
            body="UserCreate",
            status=201,
        ),
    },
    "/users/{id}/deactivate": {
        "post": op(
            "Deactivate a user: their sessions and tokens stop at once",
            "operator",
            ref("User"),
            params=[path_id()],
        )
    },
    "/users/{id}/activate": {
        "post": op("Activate a user again", "operator", ref("User"), params=[path_id()])
    },
    "/users/{id}/reset-password": {
        "post": op(
            "Reset a user's password to a one-time password (to be changed at the next login); "
            "their sessions and tokens stop",
            "operator",
            ref("User"),
            params=[path_id()],
        )
    },
    "/users/{id}/logins": {
        "get": op(
            "A user's last 50 logins (time, address, success)",
            "operator",
            list_of("logins", "Login"),
            params=[path_id()],
        )
    },
    "/materials": {"get": op("The materials catalogue", "any user")},
    "/sites": {
        "get": op(
            "Own yards and plants (overseers: all)",
            "producer, recycler, regulator, operator",
            list_of("sites", "Site"),
            params=[query("kind", {"type": "string", "enum": ["yard", "plant"]})],
        ),
        "post": op(
            "Register a yard (producer) or plant (recycler)",
            "producer, recycler",
            ref("Site"),
            body="SiteCreate",
            status=201,
        ),
    },
    "/sites/{id}/ledger": {
        "get": op(
            "A site's stockpile ledger with balances",
            "site owner; regulator, operator",
            ref("Ledger"),
            params=[
                path_id(),
                query("material"),
                query("kind", {"type": "string", "enum": list(LEDGER_KINDS)}),
                query("month", {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}),
                *PAGING,
            ],
        ),
        "post": op(
            "Record generation, P2O5 output, own use, treatment, disposal, correction",
            "producer (own yard)",
            ref("LedgerEntry"),
            body="LedgerEntryCreate",
            status=201,
            params=[path_id()],
        ),
    },
    "/lots": {
        "get": op(
            "Lots: own ones, and everyone's open ones",
            "any user",
            list_of("lots", "Lot"),
            params=[*FILTERS, query("mine"), *PAGING],
        ),
        "post": op(
            "Post a lot from an own yard", "producer", ref("Lot"), body="LotCreate", status=201
        ),
    },
    "/lots/{id}": {
        "get": op("One lot", "owner; anyone while open", ref("Lot"), params=[path_id()]),
        "patch": op(
            "Edit an open lot (the previous version is kept)",
            "producer (own)",
            ref("Lot"),
            body="LotUpdate",
            params=[path_id()],
        ),
        "delete": op("Withdraw a lot", "producer (own)", ref("Lot"), params=[path_id()]),
    },
    "/lots/{id}/options": {
        "get": op(
            "Where could this lot go? Eligible plants by landed cost, the others with reasons",
            "producer (own); regulator, operator",
            params=[path_id()],
        )
    },
    "/offers": {
        "get": op(
            "Intake offers (recycler: own; producer: open ones; overseers: all)",
            "any user",
            list_of("offers", "Offer"),
            params=[*FILTERS, *PAGING],
        ),
        "post": op(
            "Post an intake offer for an own plant",
            "recycler",
            ref("Offer"),
            body="OfferCreate",
            status=201,
        ),
    },
    "/offers/{id}": {
        "get": op(
            "One offer", "owner; overseers; producers while open", ref("Offer"), params=[path_id()]
        ),
        "delete": op("Withdraw an offer", "recycler (own)", ref("Offer"), params=[path_id()]),
    },
    "/match-runs": {
        "post": op(
            "Run the solver over open lots and offers",
            "operator, regulator",
            ref("MatchRun"),
            body="MatchRunRequest",
            status=201,
        )
    },
    "/match-runs/{id}": {
        "get": op(
            "A match run with a page of its proposals (`limit`, `offset`) and a page of its "
            "unmatched lots (`unmatched_limit`, `unmatched_offset`); `proposals_total` and "
            "`unmatched_total` count them all",
            "operator, regulator",
            ref("MatchRun"),
            params=[
                path_id(),
                *PAGING,
                query("unmatched_limit", {"type": "integer", "minimum": 0, "maximum": 1000}),
                query("unmatched_offset", {"type": "integer", "minimum": 0}),
            ],
        )
    },
    "/proposals": {
        "get": op(
            "Proposals of the latest run that concern me",
            "any user",
            list_of("proposals", "Proposal"),
            params=[
                query("run", INT),
                query("material"),
                query(
                    "sort",
                    {
                        "type": "string",
                        "enum": [
                            "run",
                            "cost",
                            "-cost",
                            "tonnes",
                            "-tonnes",
                            "distance",
                            "-distance",
                            "date",
                        ],
                    },
                ),
                *PAGING,
            ],
        )
    },
    "/proposals/{id}/bids": {
        "get": op(
            "Bids on a proposal (producer: all on own lots; recycler: own)",
            "any user",
            list_of("bids", "Bid"),
            params=[path_id()],
        ),
        "post": op(
            "Bid for a proposal at an own plant",
            "recycler (the proposal's)",
            ref("Bid"),
            body="BidCreate",
            status=201,
            params=[path_id()],
        ),
    },
    "/bids": {
        "get": op(
            "Bids that concern me", "any user", list_of("bids", "Bid"), params=[*FILTERS, *PAGING]
        )
    },
    "/bids/{id}/accept": {
        "post": op(
            "Accept a bid: a contract; tonnes reserved, never twice",
            "producer (the lot's)",
            ref("Contract"),
            status=201,
            params=[path_id()],
        )
    },
    "/bids/{id}/reject": {
        "post": op("Reject a bid", "producer (the lot's)", ref("Bid"), params=[path_id()])
    },
    "/bids/{id}/withdraw": {
        "post": op("Withdraw an own bid", "recycler (own)", ref("Bid"), params=[path_id()])
    },
    "/contracts": {
        "get": op(
            "Contracts I am party to",
            "any user",
            list_of("contracts", "Contract"),
            params=[*FILTERS, *PAGING],
        )
    },
    "/contracts/{id}": {
        "get": op(
            "A contract with its deliveries",
            "its parties; overseers",
            ref("Contract"),
            params=[path_id()],
        )
    },
    "/contracts/{id}/cancel": {
        "post": op(
            "Cancel a contract under which nothing was dispatched",
            "its parties",
            ref("Contract"),
            params=[path_id()],
        )
    },
    "/contracts/{id}/deliveries": {
        "get": op(
            "Deliveries under a contract",
            "its parties; overseers",
            list_of("deliveries", "Delivery"),
            params=[path_id()],
        ),
        "post": op(
            "Dispatch under a transfer manifest (idempotent per manifest and Idempotency-Key)",
            "producer (the contract's)",
            ref("Delivery"),
            body="DeliveryCreate",
            status=201,
            params=[
                path_id(),
                {"name": "Idempotency-Key", "in": "header", "required": False, "schema": STR},
            ],
        ),
    },
    "/deliveries": {
        "get": op(
            "Deliveries I am party to",
            "any user",
            list_of("deliveries", "Delivery"),
            params=[*FILTERS, *PAGING],
        )
    },
    "/deliveries/{id}/receipt": {
        "post": op(
            "Confirm receipt with the weighbridge tonnes",
            "recycler (the plant's)",
            ref("Delivery"),
            body="Receipt",
            status=201,
            params=[path_id()],
        )
    },
    "/deliveries/{id}/resolve": {
        "post": op(
            "Settle a disputed delivery",
            "producer (the yard's), operator",
            ref("Delivery"),
            body="Resolve",
            params=[path_id()],
        )
    },
}

_EXTRA: list[tuple[dict[str, Any], dict[str, Any]]] = []
_QUEUED: set[tuple[str, str]] = set()
"""(path, method) of the operations that may answer 202 with a job (web/jobs_api.py)."""


def may_queue(path: str, method: str) -> None:
    _QUEUED.add((path, method))


def register(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> None:
    """Other API modules (audit, planning) add their paths and schemas here."""
    _EXTRA.append((paths, schemas or {}))


def document() -> dict[str, Any]:
    paths = dict(PATHS)
    schemas = dict(SCHEMAS)
    for extra_paths, extra_schemas in _EXTRA:
        for path, operations in extra_paths.items():
            paths[path] = {**paths.get(path, {}), **operations}
        schemas.update(extra_schemas)
    for path, method in sorted(_QUEUED):
        if path in paths and method in paths[path]:
            operation = dict(paths[path][method])
            operation["responses"] = {
                **operation["responses"],
                "202": {
                    "description": "queued as a job: follow `job.url` (GET /jobs/{id})",
                    "content": {"application/json": {"schema": ref("JobAccepted")}},
                },
            }
            paths[path] = {**paths[path], method: operation}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "wastematch API",
            "version": "1",
            "description": "Yunnan industrial solid-waste marketplace. Authenticate with POST "
            "/auth/token and send `Authorization: Bearer TOKEN`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": paths,
    }


async def openapi_json(request: Request) -> Response:
    return JSONResponse(document())


def routes() -> list[Route]:
    return [Route("/openapi.json", openapi_json, methods=["GET"])]
