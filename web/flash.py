"""What a person is told after an action: one line on the next page, with a link to what was done.

Every form and button of the pages (a lot posted, a bid accepted, a receipt confirmed …) ends in a
redirect; `remember` keeps a line about it in the session (Starlette's signed session cookie, see
web/app.py) and the next full page shows it once (web/render.py takes it, base.html shows it).
The lines are keyed by the name of the page route that did the action, so a new action without
one is caught by tests/unit/test_flash.py. The text is English with {placeholders}; web/i18n.py's
ZH has the Chinese.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from web.i18n import translate

SESSION_FLASH = "flash"


@dataclass(frozen=True)
class Said:
    text: str  # English, with {id} (the thing made or changed) and path parameters
    href: str = ""  # where "what was done" is; the redirect's target when empty
    disputed: str = ""  # the text when the outcome is a dispute (a receipt beyond the tolerance)


SAID: dict[str, Said] = {
    "yards_post": Said("Yard “{name}” added.", "/yards"),
    "plants_post": Said("Plant “{name}” added.", "/my/plants"),
    "my_lots_post": Said("Lot #{id} posted.", "/lots/{id}"),
    "lot_edit": Said("Lot #{id} updated.", "/lots/{id}"),
    "lot_withdraw": Said("Lot #{id} withdrawn.", "/lots/{id}"),
    "bid_accept": Said("Bid accepted: contract #{id} made.", "/contracts/{id}"),
    "bid_reject": Said("Bid #{id} rejected.", "/bids"),
    "bid_withdraw": Said("Bid #{id} withdrawn.", "/bids"),
    "contract_dispatch": Said(
        "Delivery #{id} dispatched on contract #{contract_id}.", "/contracts/{contract_id}"
    ),
    "delivery_resolve": Said("Dispute on delivery #{id} resolved.", "/contracts/{contract_id}"),
    "delivery_receipt": Said(
        "Receipt of delivery #{id} confirmed.",
        "/contracts/{contract_id}",
        "Receipt of delivery #{id} recorded: outside the tolerance, it is now disputed.",
    ),
    "ledger_post": Said("Ledger entry #{id} recorded.", ""),
    "offers_post": Said("Offer #{id} posted.", "/offers"),
    "offer_withdraw": Said("Offer #{id} withdrawn.", "/offers"),
    "proposal_bid": Said("Bid #{id} placed.", "/bids"),
    "match_run_start": Said("Match run #{id} finished.", "/match-runs/{id}"),
    "match_schedule": Said("Match schedule saved.", "/match-runs"),
    "yard_submit": Said("Monthly report submitted.", ""),
    "yard_correction": Said("Correction requested.", ""),
    "report_approve": Said("Report #{id} approved.", "/review/reports/{id}"),
    "report_return": Said("Report #{id} returned to the producer.", "/review/reports/{id}"),
    "correction_approve": Said("Correction #{id} approved.", "/review/corrections"),
    "correction_reject": Said("Correction #{id} rejected.", "/review/corrections"),
    "claim_attest": Said("Own-use claim #{id} decided.", "/review/claims"),
    "dispute_arbitrate": Said("Dispute on delivery #{id} arbitrated.", "/review/disputes"),
    "user_action": Said("User #{id} updated.", "/account/users"),
    # the papers (web/papers_pages.py) and the notifications (web/daily_pages.py)
    "weighbridge": Said(
        "Weighbridge tonnes and ticket recorded for delivery #{path_id}.",
        "/deliveries/{path_id}/receipt",
    ),
    "contract_trucks": Said(
        "Trucks dispatched on contract #{path_id}, each under its own manifest.",
        "/contracts/{path_id}",
    ),
    "lab_report_post": Said("Lab report attached to lot #{path_id}.", "/lots/{path_id}"),
    "notifications_read_all": Said("All notifications marked read.", "/notifications"),
}


def action(request: Request) -> str:
    """The name of the route that answered `request` ("" outside one)."""
    return str(getattr(request.scope.get("route"), "name", "") or "")


def _values(request: Request, result: Any) -> dict[str, Any]:
    if isinstance(result, tuple) and result:  # (delivery, created now)
        result = result[0]
    values: dict[str, Any] = {"id": "", "name": "", "contract_id": "", "status": ""}
    values.update({k: v for k, v in request.path_params.items()})
    values["path_id"] = request.path_params.get("id", "")
    if action(request).startswith("contract_"):
        values["contract_id"] = request.path_params.get("id", "")
    for key in ("id", "name", "contract_id", "status"):
        found = getattr(result, key, None)
        if found is None and isinstance(result, dict):
            found = result.get(key)
        if found is not None:
            values[key] = found
    return values


def remember(request: Request, url: str, result: Any = None) -> None:
    """After the action behind `request` succeeded (redirecting to `url`): say so next page."""
    said = SAID.get(action(request))
    if said is None or "session" not in request.scope:
        return
    from web.render import lang_of  # web.render imports this module

    values = _values(request, result)
    words = said.disputed if said.disputed and values["status"] == "disputed" else said.text
    needed = {f for _, f, _, _ in string.Formatter().parse(words) if f}
    if any(values.get(f, "") == "" for f in needed):
        return  # nothing to name (a match run handed to a worker: its job page speaks for it)
    text = translate(words, lang_of(request)).format(**values)
    href = said.href.format(**values) if said.href else url
    if href.endswith("/") or "//" in href or not href.startswith("/"):
        href = url
    request.session[SESSION_FLASH] = {"text": text, "href": href}


def take(request: Request) -> dict[str, str] | None:
    """The line saved by the last action, once."""
    if "session" not in request.scope:
        return None
    found = request.session.pop(SESSION_FLASH, None)
    return found if isinstance(found, dict) else None
