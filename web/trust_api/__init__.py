"""The JSON API of trusted figures: reporting months, corrections, evidence, attestation,
settlements and seals. `months` and `evidence` hold the handlers, `schema` their OpenAPI part."""

from __future__ import annotations

from starlette.routing import Route

from web.trust_api import schema  # noqa: F401  (registers the paths in the OpenAPI document)
from web.trust_api.evidence import (
    MAX_DOCUMENT_BODY,
    delivery_arbitrate,
    delivery_settlement,
    document_item,
    documents_collection,
)
from web.trust_api.months import (
    attest,
    attestations_queue,
    correction_approve,
    correction_reject,
    corrections_queue,
    report_approve,
    report_item,
    report_return,
    report_seal,
    reports_queue,
    seal_key,
    site_corrections,
    site_reports,
)

__all__ = ["MAX_DOCUMENT_BODY", "routes"]


def routes() -> list[Route]:
    return [
        Route("/sites/{id:int}/reports", site_reports, methods=["GET", "POST"]),
        Route("/reports", reports_queue, methods=["GET"]),
        Route("/reports/{id:int}", report_item, methods=["GET"]),
        Route("/reports/{id:int}/approve", report_approve, methods=["POST"]),
        Route("/reports/{id:int}/return", report_return, methods=["POST"]),
        Route("/reports/{id:int}/seal", report_seal, methods=["GET"]),
        Route("/sites/{id:int}/corrections", site_corrections, methods=["GET", "POST"]),
        Route("/corrections", corrections_queue, methods=["GET"]),
        Route("/corrections/{id:int}/approve", correction_approve, methods=["POST"]),
        Route("/corrections/{id:int}/reject", correction_reject, methods=["POST"]),
        Route("/documents", documents_collection, methods=["POST"]),
        Route("/documents/{id:int}", document_item, methods=["GET"]),
        Route("/ledger/{entry_id:int}/attest", attest, methods=["POST"]),
        Route("/attestations", attestations_queue, methods=["GET"]),
        Route("/deliveries/{id:int}/settlement", delivery_settlement, methods=["POST"]),
        Route("/deliveries/{id:int}/arbitrate", delivery_arbitrate, methods=["POST"]),
        Route("/audit/seal-key", seal_key, methods=["GET"]),
    ]
