"""The paths of the market surface: sites and their ledgers, lots, offers, match runs,
proposals, bids, contracts and deliveries."""

from __future__ import annotations

from typing import Any

from market.tables import LEDGER_KINDS
from web.openapi.operations import FILTERS, PAGING, list_of, on_item, op, path_id, query
from web.openapi.schemas import INT, STR, ref

PATHS: dict[str, Any] = {
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
        "get": on_item(
            "A site's stockpile ledger with balances",
            "site owner; regulator, operator",
            "Ledger",
            params=[
                query("material"),
                query("kind", {"type": "string", "enum": list(LEDGER_KINDS)}),
                query("month", {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}),
                *PAGING,
            ],
        ),
        "post": on_item(
            "Record generation, P2O5 output, own use, treatment, disposal, correction",
            "producer (own yard)",
            "LedgerEntry",
            body="LedgerEntryCreate",
            status=201,
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
        "get": on_item("One lot", "owner; anyone while open", "Lot"),
        "patch": on_item(
            "Edit an open lot (the previous version is kept)",
            "producer (own)",
            "Lot",
            body="LotUpdate",
        ),
        "delete": on_item("Withdraw a lot", "producer (own)", "Lot"),
    },
    "/lots/{id}/options": {
        "get": on_item(
            "Where could this lot go? Eligible plants by landed cost, the others with reasons",
            "producer (own); regulator, operator",
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
        "get": on_item("One offer", "owner; overseers; producers while open", "Offer"),
        "delete": on_item("Withdraw an offer", "recycler (own)", "Offer"),
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
        "get": on_item(
            "A match run with a page of its proposals (`limit`, `offset`) and a page of its "
            "unmatched lots (`unmatched_limit`, `unmatched_offset`); `proposals_total` and "
            "`unmatched_total` count them all",
            "operator, regulator",
            "MatchRun",
            params=[
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
        "post": on_item(
            "Bid for a proposal at an own plant",
            "recycler (the proposal's)",
            "Bid",
            body="BidCreate",
            status=201,
        ),
    },
    "/bids": {
        "get": op(
            "Bids that concern me", "any user", list_of("bids", "Bid"), params=[*FILTERS, *PAGING]
        )
    },
    "/bids/{id}/accept": {
        "post": on_item(
            "Accept a bid: a contract; tonnes reserved, never twice",
            "producer (the lot's)",
            "Contract",
            status=201,
        )
    },
    "/bids/{id}/reject": {"post": on_item("Reject a bid", "producer (the lot's)", "Bid")},
    "/bids/{id}/withdraw": {"post": on_item("Withdraw an own bid", "recycler (own)", "Bid")},
    "/contracts": {
        "get": op(
            "Contracts I am party to",
            "any user",
            list_of("contracts", "Contract"),
            params=[*FILTERS, *PAGING],
        )
    },
    "/contracts/{id}": {
        "get": on_item("A contract with its deliveries", "its parties; overseers", "Contract")
    },
    "/contracts/{id}/cancel": {
        "post": on_item(
            "Cancel a contract under which nothing was dispatched", "its parties", "Contract"
        )
    },
    "/contracts/{id}/deliveries": {
        "get": op(
            "Deliveries under a contract",
            "its parties; overseers",
            list_of("deliveries", "Delivery"),
            params=[path_id()],
        ),
        "post": on_item(
            "Dispatch under a transfer manifest (idempotent per manifest and Idempotency-Key)",
            "producer (the contract's)",
            "Delivery",
            body="DeliveryCreate",
            status=201,
            params=[
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
        "post": on_item(
            "Confirm receipt with the weighbridge tonnes",
            "recycler (the plant's)",
            "Delivery",
            body="Receipt",
            status=201,
        )
    },
    "/deliveries/{id}/resolve": {
        "post": on_item(
            "Settle a disputed delivery",
            "producer (the yard's), operator",
            "Delivery",
            body="Resolve",
        )
    },
}
