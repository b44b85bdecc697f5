"""The OpenAPI paths and schemas of the trusted figures' API (registered on import)."""

from __future__ import annotations

from typing import Any

from market.documents import MEDIA_TYPES
from market.schemas import answers, bodies
from web import openapi


def _file_download() -> dict[str, Any]:
    """A document answers with its own media type, whichever of the four it is."""
    operation = openapi.on_item(
        "A document as uploaded",
        "its organisation; regulator, operator; an evaluator linked to it",
    )
    operation["responses"]["200"]["content"] = {
        media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES.values()
    }
    return operation


def _act(summary: str, roles: str, answer: str, body: str) -> dict[str, Any]:
    """A POST on one item (`{id}`) with a JSON body, answered with the item."""
    return {"post": openapi.on_item(summary, roles, answer, body=body)}


def _status_query(*choices: str) -> dict[str, Any]:
    return openapi.query("status", {"type": "string", "enum": list(choices)})


openapi.register(
    {
        "/sites/{id}/reports": {
            "get": openapi.on_item(
                "A yard's reporting months with their state and due day",
                "the yard's producer; regulator, operator; a linked evaluator",
                "ReportList",
            ),
            "post": openapi.on_item(
                "Submit an ended month (months are submitted in order)",
                "producer (the yard's)",
                "Report",
                body="ReportSubmit",
                status=201,
            ),
        },
        "/reports": {
            "get": openapi.op(
                "The review queue: reports in a state, or the overdue months of every yard",
                "regulator, operator",
                params=[
                    _status_query("submitted", "approved", "returned", "overdue"),
                    *openapi.PAGING,
                ],
            )
        },
        "/reports/{id}": {
            "get": openapi.on_item(
                "One month for review: its entries, what changed since the month before, "
                "pending claims, history",
                "the yard's producer; regulator, operator; a linked evaluator",
            )
        },
        "/reports/{id}/approve": _act(
            "Approve a submitted month: it locks and is sealed",
            "regulator",
            "Report",
            "ReportApprove",
        ),
        "/reports/{id}/return": _act(
            "Return a submitted month with a reason", "regulator", "Report", "ReportReturn"
        ),
        "/reports/{id}/seal": {
            "get": openapi.on_item(
                "The latest seal of an approved month, to verify offline with the public key",
                "the yard's producer; regulator, operator; a linked evaluator",
            )
        },
        "/sites/{id}/corrections": {
            "get": openapi.on_item(
                "Corrections asked for a yard",
                "the yard's producer; regulator",
                params=openapi.PAGING,
            ),
            "post": openapi.on_item(
                "Ask for a correction to a submitted or approved month",
                "producer (the yard's)",
                "Correction",
                body="CorrectionRequest",
                status=201,
            ),
        },
        "/corrections": {
            "get": openapi.op(
                "Corrections in a state (default: pending), newest first",
                "regulator, operator; a producer sees its own",
                params=[_status_query("pending", "approved", "rejected"), *openapi.PAGING],
            )
        },
        "/corrections/{id}/approve": _act(
            "Approve a correction: the entry is appended and the month sealed again",
            "regulator",
            "Correction",
            "CorrectionApprove",
        ),
        "/corrections/{id}/reject": _act(
            "Reject a correction with a reason", "regulator", "Correction", "ReportReturn"
        ),
        "/documents": {
            "post": {
                **openapi.op(
                    "Upload a document (PDF, JPEG, PNG or XLSX, judged by content; 10 MB at most)",
                    "any user",
                    openapi.ref("Document"),
                    status=201,
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": openapi.obj(
                                {"file": {"type": "string", "format": "binary"}}, ["file"]
                            )
                        }
                    },
                },
            }
        },
        "/documents/{id}": {"get": _file_download()},
        "/ledger/{entry_id}/attest": {
            "post": openapi.op(
                "Attest or reject a producer's own-use or treatment claim",
                "regulator; an evaluator linked to the producer",
                body="Attest",
                params=[openapi.path_id("entry_id")],
            )
        },
        "/attestations": {
            "get": openapi.op(
                "Own-use and treatment claims in a state (default: pending)",
                "regulator, operator; an evaluator (its producers)",
                params=[_status_query("pending", "attested", "rejected"), *openapi.PAGING],
            )
        },
        "/deliveries/{id}/settlement": _act(
            "Propose the tonnes a disputed delivery settles at; the same figure from the "
            "other party settles it",
            "the delivery's producer or recycler",
            "Delivery",
            "Settlement",
        ),
        "/deliveries/{id}/arbitrate": _act(
            "Decide the tonnes of a disputed delivery", "regulator", "Delivery", "Settlement"
        ),
        "/audit/seal-key": {
            "get": {
                **openapi.op(
                    "The public key (PEM) that seals approved months", "anyone", public=True
                ),
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/x-pem-file": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    },
    {
        **openapi.responses(
            answers.Report, answers.ReportList, answers.Correction, answers.Document
        ),
        **openapi.components(
            bodies.ReportSubmit,
            bodies.ReportApprove,
            bodies.ReportReturn,
            bodies.CorrectionRequest,
            bodies.CorrectionApprove,
            bodies.Attest,
            bodies.Settlement,
        ),
    },
)
