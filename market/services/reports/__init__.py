"""Reporting months (月报): a producer submits each ended month of a yard, a regulator approves
it (the month locks and is sealed) or returns it with a reason.

The states: `open` → `submitted` (producer, once the month has ended, in order) → `approved`
(regulator; locked, sealed) or `returned` (regulator, with a reason; the producer may post into it
again and resubmit). A month without a row is `open`. Every step is appended to `report_event`;
the `report` row holds only the latest state, which is what the locks read.

By job: `months` (a month's name, due day and state), `checks` (what the ledger's writers ask
before an entry), `listing` (a yard's months), `transitions` (submit, approve, return),
`sealing` (the month's figures and its signed seals), `review_queue` (the regulator's queue and
review page).
"""

from __future__ import annotations

from market.services.reports.checks import check_date, check_open, check_stock
from market.services.reports.listing import list_reports, public, readable_yard, user_names
from market.services.reports.months import (
    LOCKED,
    due_on,
    first_day,
    first_reported_month,
    parse_month,
    report_row,
    status_of,
    yard_months,
)
from market.services.reports.review_queue import queue, review
from market.services.reports.sealing import (
    SEALED_NAMES,
    month_figures,
    month_last,
    month_rows,
    seal,
    seal_export,
    sealed_columns,
    totals_key,
)
from market.services.reports.transitions import (
    DECIDE_FIELDS,
    RETURN_FIELDS,
    SUBMIT_FIELDS,
    approve,
    reseal_if_approved,
    return_report,
    submit,
    tell_yard,
)

__all__ = [
    "DECIDE_FIELDS",
    "LOCKED",
    "RETURN_FIELDS",
    "SEALED_NAMES",
    "SUBMIT_FIELDS",
    "approve",
    "check_date",
    "check_open",
    "check_stock",
    "due_on",
    "first_day",
    "first_reported_month",
    "list_reports",
    "month_figures",
    "month_last",
    "month_rows",
    "parse_month",
    "public",
    "queue",
    "readable_yard",
    "report_row",
    "reseal_if_approved",
    "return_report",
    "review",
    "seal",
    "seal_export",
    "sealed_columns",
    "status_of",
    "submit",
    "tell_yard",
    "totals_key",
    "user_names",
    "yard_months",
]
