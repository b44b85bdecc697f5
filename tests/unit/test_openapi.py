from __future__ import annotations

import re

from starlette.routing import Mount

from market.settings import Settings
from web.app import create_app
from web.openapi import document


def api_routes() -> set[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite://"))
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/api/v1")
    out = set()
    for route in mount.routes:
        path = re.sub(r"\{(\w+):int\}", r"{\1}", route.path)
        for method in route.methods or ():
            if method != "HEAD":
                out.add((method.lower(), path))
    return out


def test_every_api_route_is_documented_and_every_documented_route_exists():
    documented = {(method, path) for path, ops in document()["paths"].items() for method in ops} | {
        ("get", "/openapi.json")
    }
    assert documented == api_routes()


def test_request_schemas_refuse_unknown_fields_like_the_services_do():
    schemas = document()["components"]["schemas"]
    for name in (
        "LotCreate",
        "OfferCreate",
        "SiteCreate",
        "BidCreate",
        "DeliveryCreate",
        "Receipt",
        "LedgerEntryCreate",
        "TokenRequest",
    ):
        assert schemas[name]["additionalProperties"] is False, name
