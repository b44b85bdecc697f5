"""The kinds of field a request body holds: each marker names the parser of `market.fields` that
reads the field and the JSON-schema limits the OpenAPI document states, both from the same
numbers (`fields.MAX_TONNES`, `fields.PRICE_LIMIT`, `fields.MAX_TEXT`, ...).

A body's model annotates each field with one (`tonnes: Annotated[float, Tonnes()]`); whether the
field is required is the model's (no default), so it is said once for the parser and the
document alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import GetJsonSchemaHandler
from pydantic_core import CoreSchema

from market import fields
from market.errors import InvalidInput

Parser = Callable[[Mapping[str, Any], str, bool], Any]
"""(data, name, required) -> the field's value; raises InvalidInput."""


@dataclass(frozen=True)
class Kind:
    """How one field is read (`parser`; None when the service reads it itself, as a material
    against the catalogue) and what the document says of it (`schema`)."""

    parser: Parser | None
    schema: Mapping[str, Any] = field(default_factory=dict)

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        schema = dict(self.schema)
        if core_schema.get("type") == "nullable":  # `X | None`: null reads as not given
            return {"anyOf": [schema, {"type": "null"}]}
        return schema

    def stating(self, **schema: Any) -> Kind:
        """This kind read as it is, its schema stating `schema` too: a limit its service checks
        once the body is read (a username's length, a password's)."""
        return Kind(self.parser, {**self.schema, **schema})


def number_schema(
    *, minimum: float | None = None, maximum: float | None = None, positive: bool = False
) -> dict[str, Any]:
    """What `fields.number(minimum=, maximum=, positive=)` accepts, as JSON schema."""
    out: dict[str, Any] = {"type": "number"}
    if positive:
        out["exclusiveMinimum"] = 0
    if minimum is not None:
        out["minimum"] = minimum
    if maximum is not None:
        out["maximum"] = maximum
    return out


def Number(
    *, minimum: float | None = None, maximum: float | None = None, positive: bool = False
) -> Kind:
    """A number within the limits, as `fields.number` reads it."""

    def parse(data: Mapping[str, Any], name: str, required: bool) -> float | None:
        return fields.number(
            data, name, required=required, minimum=minimum, maximum=maximum, positive=positive
        )

    return Kind(parse, number_schema(minimum=minimum, maximum=maximum, positive=positive))


def Tonnes() -> Kind:
    """Tonnes: more than 0, at most `fields.MAX_TONNES`, kept to the kilogram."""

    def parse(data: Mapping[str, Any], name: str, required: bool) -> float | None:
        return fields.tonnes(data, name, required=required)

    return Kind(parse, number_schema(positive=True, maximum=fields.MAX_TONNES))


def Price() -> Kind:
    """An optional price in CNY a tonne, within ±`fields.PRICE_LIMIT`; 0 when not given."""

    def parse(data: Mapping[str, Any], name: str, required: bool) -> float:
        return fields.price(data, name)

    limit = fields.PRICE_LIMIT
    return Kind(parse, number_schema(minimum=-limit, maximum=limit))


def Haul() -> Kind:
    """The longest road haul a party accepts (`max_haul_km`), if it names one."""

    def parse(data: Mapping[str, Any], name: str, required: bool) -> float | None:
        return fields.max_haul_km(data)

    return Kind(parse, number_schema(positive=True, maximum=fields.MAX_HAUL_KM))


def Text(*, max_length: int = fields.MAX_TEXT, choices: Iterable[str] | None = None) -> Kind:
    """Text, stripped, at most `max_length` characters (one of `choices` when given); a
    required one may not be blank."""
    options = None if choices is None else tuple(choices)

    def parse(data: Mapping[str, Any], name: str, required: bool) -> str:
        return fields.text(data, name, required=required, max_length=max_length, choices=options)

    schema: dict[str, Any] = {"type": "string"}
    if options is not None:
        schema["enum"] = list(options)
    else:
        schema["maxLength"] = max_length
    return Kind(parse, schema)


def Integer() -> Kind:
    def parse(data: Mapping[str, Any], name: str, required: bool) -> int | None:
        return fields.integer(data, name, required=required)

    return Kind(parse, {"type": "integer"})


def Day() -> Kind:
    def parse(data: Mapping[str, Any], name: str, required: bool) -> Any:
        return fields.day(data, name, required=required)

    return Kind(parse, {"type": "string", "format": "date"})


def Moment() -> Kind:
    def parse(data: Mapping[str, Any], name: str, required: bool) -> Any:
        return fields.moment(data, name, required=required)

    return Kind(parse, {"type": "string", "format": "date-time"})


def Verbatim() -> Kind:
    """Text taken exactly as given, never stripped nor altered: a password, or the username a
    login compares. A required one must be text and not empty; an optional one that is not
    text is refused without echoing it. How long a password must be is its service's rule
    (`market.services.users`), checked when its refusal's turn comes."""

    def parse(data: Mapping[str, Any], name: str, required: bool) -> str | None:
        raw = data.get(name)
        if required and (not isinstance(raw, str) or not raw):
            raise InvalidInput("{field}: is required", field=name)
        if raw is not None and not isinstance(raw, str):
            raise InvalidInput.about(name, "…", "is not text")
        return raw

    return Kind(parse, {"type": "string", "minLength": 1})


def Label() -> Kind:
    """A name the caller may give, taken as given when it is text and else as not given."""

    def parse(data: Mapping[str, Any], name: str, required: bool) -> str | None:
        raw = data.get(name)
        return raw if isinstance(raw, str) else None

    return Kind(parse, {"type": "string"})


EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,60}$")
MAX_EMAIL = 254


def check_email(email: str | None) -> str | None:
    """An e-mail address, or None when none is given ("" or None)."""
    if email is None or email == "":
        return None
    if not isinstance(email, str) or not EMAIL.match(email) or len(email) > MAX_EMAIL:
        raise InvalidInput.about("email", email, "is not an e-mail address")
    return email


def Email() -> Kind:
    """An e-mail address as text (stripped), or None when not given."""

    def parse(data: Mapping[str, Any], name: str, required: bool) -> str | None:
        return check_email(fields.text(data, name, required=required, max_length=MAX_EMAIL))

    return Kind(parse, {"type": "string", "maxLength": MAX_EMAIL})


def Own(schema: Mapping[str, Any]) -> Kind:
    """A field the service reads itself (against the catalogue, a row, another field): the
    model names it for unknown-field checks and the document only."""
    return Kind(None, schema)
