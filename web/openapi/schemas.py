"""The shared pieces of the OpenAPI document: the atoms, `obj`/`ref`, and the component schemas
of the market's own surface (other API modules register theirs through `web.openapi.register`).

Request components come from the body models (`market.schemas.bodies`, `component`), response
components from the answer models (`market.schemas.answers`, `response`), so the document says
what the code declares. Request schemas list exactly the fields the services accept
(`additionalProperties: false`, as the services refuse unknown fields), so clients and fuzzers
generated from this document send what the server really takes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from market.schemas import answers, bodies

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


def responses(*models: type[answers.Answer]) -> dict[str, Any]:
    """The components of answers, each under its model's name."""
    return {model.__name__: response(model) for model in models}


def response(model: type[answers.Answer]) -> dict[str, Any]:
    """An answer's model (`market.schemas.answers`) as this document's component: an `Answer`
    it holds is a `$ref` to that one's component, a `Part` is written in place. A model's
    docstring is for the code's reader, not the document's (a field's description is kept)."""
    schema = model.model_json_schema(ref_template=_LOCAL + "{model}")
    out: dict[str, Any] = _plain(_undocumented(schema), schema.pop("$defs", {}))
    return out


def _undocumented(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key not in ("description", "$defs")}


_LOCAL = "#/$defs/"


def _plain(schema: Any, parts: dict[str, Any]) -> Any:
    """`schema` as the document states it: without pydantic's titles and defaults, without
    `additionalProperties: true` or `items: {}` (which allow what is allowed anyway)."""
    if isinstance(schema, list):
        return [_plain(item, parts) for item in schema]
    if not isinstance(schema, dict):
        return schema
    target = schema.get("$ref", "")
    if target.startswith(_LOCAL):
        name = target.removeprefix(_LOCAL)
        if issubclass(getattr(answers, name), answers.Answer):
            return ref(name)
        return _plain(_undocumented(parts[name]), parts)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("title", "default"):
            continue
        if (key, value) in (("additionalProperties", True), ("items", {})):
            continue
        if key == "properties":
            out[key] = {name: _plain(prop, parts) for name, prop in value.items()}
        else:
            out[key] = value if key in ("enum", "required") else _plain(value, parts)
    return out


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
    bodies.TokenRequest,
    bodies.PasswordChange,
    bodies.UserCreate,
)
"""The market's request bodies, declared once in `market.schemas.bodies`."""

RESPONSES = responses(
    answers.Error,
    answers.Token,
    answers.User,
    answers.Login,
    answers.Me,
    answers.Site,
    answers.Lot,
    answers.Offer,
    answers.Proposal,
    answers.MatchRun,
    answers.Bid,
    answers.Contract,
    answers.Delivery,
    answers.LedgerEntry,
    answers.Ledger,
)
"""The market's answers, declared once in `market.schemas.answers`."""

SCHEMAS: dict[str, Any] = {
    **REQUESTS,
    **RESPONSES,
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
}
