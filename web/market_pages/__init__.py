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

from starlette.routing import BaseRoute

from web.market_pages import deliveries, ledger, lots, offers, runs, sites, trade
from web.market_pages.deliveries import settlements_of
from web.market_pages.forms import (
    BLANK,
    Form,
    ItemButton,
    ItemForm,
    ItemPage,
    ItemWrite,
    as_is,
    done,
    listing,
    on_form,
    on_item,
    page,
    pick,
    post_item_forms,
    posted,
    posted_with_file,
    serves,
    submit,
    translator,
    uploaded_evidence,
    whole_list,
)
from web.market_pages.ledger import KIND_LABELS
from web.market_pages.runs import schedule_loop
from web.market_pages.trade import _contract_page
from web.routing import joined

__all__ = [
    "BLANK",
    "KIND_LABELS",
    "Form",
    "ItemButton",
    "ItemForm",
    "ItemPage",
    "ItemWrite",
    "_contract_page",
    "as_is",
    "done",
    "listing",
    "on_form",
    "on_item",
    "page",
    "pick",
    "post_item_forms",
    "posted",
    "posted_with_file",
    "routes",
    "schedule_loop",
    "serves",
    "settlements_of",
    "submit",
    "translator",
    "uploaded_evidence",
    "whole_list",
]


def routes() -> list[BaseRoute]:
    return joined(
        sites.routes,
        lots.routes,
        trade.routes,
        deliveries.routes,
        ledger.routes,
        offers.routes,
        trade.proposal_routes,
        runs.routes,
    )
