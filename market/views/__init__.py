"""Read-only queries for listings and pages; each returns plain dicts in the API's shape.

Who may see what is decided here for reads, as the services decide it for writes: another
organisation's rows are filtered out in the query, never after it.

The package by subject: `common` (sites, filters, counting), `rules` (open tonnes, statuses and
the lot/offer joins, once), `lots`, `offers`, `ledger`, `runs` (match runs, proposals), `trade`
(bids, contracts), `deliveries`. Everything public is re-exported here, so `views.page_lots`
and `from market.views import ...` keep working.
"""

from __future__ import annotations

from market.views.common import (
    BID_STATUSES,
    CONTRACT_STATUSES,
    DELIVERY_STATUSES,
    EVERYTHING,
    ListFilter,
    count_of,
    list_sites,
    page_plants,
    placed,
    site_public,
)
from market.views.deliveries import (
    delivery_public,
    list_deliveries,
    page_deliveries,
)
from market.views.ledger import (
    LEDGER_KINDS,
    entry_public,
    site_ledger,
    stock_by_site,
    usernames,
)
from market.views.lots import (
    get_lot,
    lot_public,
    page_lots,
)
from market.views.offers import (
    get_offer,
    offer_public,
    open_offers_at_sites,
    open_offers_by_site,
    page_offers,
)
from market.views.rules import (
    LOT_STATUSES,
    OFFER_STATUSES,
    lot_status,
    lots_with_open_tonnes,
    offer_status,
    offers_with_open_capacity,
    open_lot_condition,
    open_offer_condition,
)
from market.views.runs import (
    PROPOSAL_SORTS,
    count_match_runs,
    latest_run_id,
    list_match_runs,
    list_proposals,
    match_run_public,
    match_run_summary,
    page_proposals,
    proposal_rows,
)
from market.views.trade import (
    bid_public,
    bids_for_proposal,
    contract_public,
    get_contract,
    latest_bids,
    page_bids,
    page_contracts,
)

__all__ = [
    "BID_STATUSES",
    "CONTRACT_STATUSES",
    "DELIVERY_STATUSES",
    "EVERYTHING",
    "LEDGER_KINDS",
    "LOT_STATUSES",
    "ListFilter",
    "OFFER_STATUSES",
    "PROPOSAL_SORTS",
    "bid_public",
    "bids_for_proposal",
    "contract_public",
    "count_match_runs",
    "count_of",
    "delivery_public",
    "entry_public",
    "get_contract",
    "get_lot",
    "get_offer",
    "latest_bids",
    "latest_run_id",
    "list_deliveries",
    "list_match_runs",
    "list_proposals",
    "list_sites",
    "page_plants",
    "lot_public",
    "lot_status",
    "lots_with_open_tonnes",
    "match_run_public",
    "match_run_summary",
    "offer_public",
    "offer_status",
    "offers_with_open_capacity",
    "open_lot_condition",
    "open_offer_condition",
    "open_offers_by_site",
    "page_bids",
    "page_contracts",
    "page_deliveries",
    "page_lots",
    "open_offers_at_sites",
    "page_offers",
    "page_proposals",
    "placed",
    "proposal_rows",
    "site_ledger",
    "site_public",
    "stock_by_site",
    "usernames",
]
