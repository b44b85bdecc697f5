"""The JSON API of trusted figures: reporting months, corrections, evidence, attestation,
settlements and seals. `months` and `evidence` hold the handlers, `schema` their OpenAPI part."""

from __future__ import annotations

from starlette.routing import BaseRoute

from web.routing import joined
from web.trust_api import (
    evidence,
    months,
    schema,  # noqa: F401  (registers the paths in the OpenAPI document)
)
from web.trust_api.evidence import MAX_DOCUMENT_BODY

__all__ = ["MAX_DOCUMENT_BODY", "routes"]


def routes() -> list[BaseRoute]:
    return joined(
        months.routes,
        evidence.routes,
        months.attestation_routes,
        evidence.settlement_routes,
        months.seal_routes,
    )
