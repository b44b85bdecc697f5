"""Producer, recycler and operator pages of the marketplace flow.

A GET reads through `views` (or `listings`) and renders the page, or for htmx only a block. A POST
parses the form, calls one service in a unit of work, and redirects (303, or `HX-Redirect` for
htmx); when the service refuses the input, the form comes back (422) with the message beside the
field it names and everything the user typed kept. Who may do what is the services' business.

The package by surface: `forms` (the shared request plumbing), `sites`, `lots`, `offers`,
`trade` (proposals, bids, contracts), `deliveries` (receipts, disputes), `ledger`, `runs` (match
runs and the schedule loop); `routes()` is assembled here. What the other page modules and the
app import from `web.market_pages` is re-exported here, so their imports stay as they were.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from web.market_pages import deliveries, ledger, lots, offers, runs, sites, trade
from web.market_pages.deliveries import settlements_of
from web.market_pages.forms import (
    BLANK,
    Form,
    decide,
    done,
    listing,
    page,
    pick,
    posted,
    posted_with_file,
    record_with_evidence,
    submit,
    translator,
    uploaded_evidence,
)
from web.market_pages.ledger import KIND_LABELS
from web.market_pages.runs import schedule_loop
from web.market_pages.trade import _contract_page

__all__ = [
    "BLANK",
    "KIND_LABELS",
    "Form",
    "decide",
    "_contract_page",
    "done",
    "listing",
    "page",
    "pick",
    "posted",
    "posted_with_file",
    "record_with_evidence",
    "routes",
    "schedule_loop",
    "settlements_of",
    "submit",
    "translator",
    "uploaded_evidence",
]


def routes() -> list[BaseRoute]:
    return [
        Route("/yards", sites.yards, methods=["GET"]),
        Route("/yards", sites.yards_post, methods=["POST"]),
        Route("/my/plants", sites.plants, methods=["GET"]),
        Route("/my/plants", sites.plants_post, methods=["POST"]),
        Route("/my/lots", lots.my_lots, methods=["GET"]),
        Route("/my/lots", lots.my_lots_post, methods=["POST"]),
        Route("/my/lots/assay", lots.assay_fields, methods=["GET"]),
        Route("/lots/{id:int}", lots.lot_detail, methods=["GET"]),
        Route("/lots/{id:int}/edit", lots.lot_edit, methods=["POST"]),
        Route("/lots/{id:int}/withdraw", lots.lot_withdraw, methods=["POST"]),
        Route("/bids", trade.bids, methods=["GET"]),
        Route("/bids/{id:int}/accept", trade.bid_accept, methods=["POST"]),
        Route("/bids/{id:int}/reject", trade.bid_reject, methods=["POST"]),
        Route("/bids/{id:int}/withdraw", trade.bid_withdraw, methods=["POST"]),
        Route("/contracts", trade.contracts, methods=["GET"]),
        Route("/contracts/{id:int}", trade.contract_detail, methods=["GET"]),
        Route("/contracts/{id:int}/dispatch", trade.contract_dispatch, methods=["POST"]),
        Route("/deliveries/{id:int}/resolve", trade.delivery_resolve, methods=["POST"]),
        Route("/deliveries/{id:int}/receipt", deliveries.delivery_receipt, methods=["POST"]),
        Route("/receipts", deliveries.receipts, methods=["GET"]),
        Route("/ledger", ledger.ledger_page, methods=["GET"]),
        Route("/ledger/{id:int}", ledger.ledger_post, methods=["POST"]),
        Route("/ledger/export.{fmt:str}", ledger.ledger_export, methods=["GET", "POST"]),
        Route("/offers", offers.offers_page, methods=["GET"]),
        Route("/offers", offers.offers_post, methods=["POST"]),
        Route("/offers/spec", offers.offer_spec, methods=["GET"]),
        Route("/offers/{id:int}/withdraw", offers.offer_withdraw, methods=["POST"]),
        Route("/proposals", trade.proposals, methods=["GET"]),
        Route("/proposals/{id:int}/bid", trade.proposal_bid, methods=["POST"]),
        Route("/proposals/{id:int}/map.json", trade.proposal_map, methods=["GET"]),
        Route("/map/prefectures.json", trade.prefectures, methods=["GET"]),
        Route("/match-runs", runs.match_runs, methods=["GET"]),
        Route("/match-runs", runs.match_run_start, methods=["POST"]),
        Route("/match-runs/schedule", runs.match_schedule, methods=["POST"]),
        Route("/match-runs/{id:int}", runs.match_run_detail, methods=["GET"]),
    ]
