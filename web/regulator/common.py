"""What the regulator's desk pages share: the overseer check, the period, metric and material
of a query, links, and the names the pages show for flags, kinds, figures and report states."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session
from starlette.requests import Request

from market import audit
from market.auth import Actor
from market.errors import InvalidInput
from market.services.common import OVERSEERS
from web.security import require_actor

METRICS = ("stock", "rate", "flags")


async def overseer(request: Request) -> Actor:
    actor = await require_actor(request)
    actor.require(*OVERSEERS)
    return actor


def parse_metric(raw: str | None) -> str:
    metric = raw or "stock"
    if metric not in METRICS:
        raise InvalidInput.about(
            "metric", metric, "is not one of {METRICS}", METRICS=", ".join(METRICS)
        )
    return metric


def parse_material(raw: str | None, default: str | None = None) -> str | None:
    if not raw:
        return default
    return audit.parse_scope({"material": raw}).material


def period_context(session: Session, period: audit.Period | None) -> dict[str, Any]:
    chosen = period or audit.default_period(session)
    _first, last = audit.ledger_span(session)
    return {
        "period": chosen,
        "period_is_default": period is None,
        "period_choices": audit.period_choices(session),
        # a period the ledger has not reached the end of is only partly recorded
        "ledger_until": last if last is not None and last < chosen.end else None,
    }


def query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v is not None and v != ""})


FIGURE_NAMES = {
    "generated": "Generated",
    "utilised": "Utilised",
    "treated": "Harmlessly treated",
    "consumed": "Consumed",
    "disposed": "Disposed",
    "dispatched": "Dispatched",
    "corrected": "Corrections",
    "p2o5": "P2O5 output",
    "opening": "Opening survey",
    "stock": "Every entry that moves stock",
}
KIND_NAMES = {
    "opening": "Opening survey",
    "generation": "Generation",
    "dispatch": "Dispatch",
    "utilisation": "Utilisation",
    "treatment": "Treatment",
    "disposal": "Disposal",
    "correction": "Correction",
    "p2o5_output": "P2O5 output",
}
FLAG_NAMES = {
    "output_above_allowance": "P2O5 output above allowance",
    "stock_increment_positive": "Stock increment positive",
    "below_trajectory": "Below trajectory",
    "generation_inconsistent": "Generation inconsistent with P2O5",
    "report_overdue": "Monthly report overdue",
    "restated": "Restated by a correction",
}
REPORT_STATUS_NAMES = {
    "approved": "All months approved",
    "partial": "Partly approved",
    "missing": "No month approved",
}
REPORT_STATUS_CLASS = {"approved": "ok", "partial": "reserved", "missing": "flag"}
