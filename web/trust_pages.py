"""The pages of trusted figures: a producer's reporting months (月报) and corrections, the
regulator's review queues (months, corrections, own-use claims, overdue months, disputed
deliveries), and the evaluator's claims.

Like web/market_pages/: a GET reads through the services and renders; a POST parses the form,
calls one service in a unit of work and redirects; a refusal re-renders the page with the
message (in the page's language) beside the field it names and what the user typed kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import views
from market.auth import Actor
from market.db import UnitOfWork
from market.seals import SealKey
from market.services import corrections, deliveries, reports
from market.services.common import OVERSEERS
from market.tables import CORRECTION_KINDS
from web import i18n, paging
from web.api import run_read, seal_key_of, settings_of
from web.market_pages import (
    BLANK,
    KIND_LABELS,
    Form,
    ItemForm,
    ItemWrite,
    as_is,
    page,
    post_item_forms,
    serves,
    settlements_of,
    translator,
    whole_list,
)
from web.render import lang_of
from web.routing import Routes
from web.security import require_actor

routes = Routes()

T = TypeVar("T")

REPORT_QUEUES = ("submitted", "overdue", "returned", "approved")
CORRECTION_QUEUES = ("pending", "approved", "rejected")
CLAIM_QUEUES = ("pending", "attested", "rejected")
CLAIMS_SHOWN = 200
# a report's state as a coloured badge (the classes of app.css)
STATE_CLASS = {
    "open": "withdrawn",
    "submitted": "reserved",
    "approved": "ok",
    "returned": "flag",
    "pending": "reserved",
    "attested": "ok",
    "rejected": "flag",
    "not_required": "withdrawn",
}
STATE_NAMES = {
    "open": "not submitted",
    "submitted": "submitted",
    "approved": "approved",
    "returned": "returned",
    "pending": "pending",
    "attested": "attested",
    "rejected": "rejected",
    "not_required": "—",
}
EVENT_NAMES = {
    "submitted": "submitted",
    "resubmitted": "resubmitted",
    "approved": "approved",
    "returned": "returned",
    "restated": "restated",
}
CORRECTION_KIND_LABELS = {k: KIND_LABELS.get(k, k) for k in CORRECTION_KINDS} | {
    "stock": "Stock correction"
}
# the suffixes a month's totals carry (market/services/reports/sealing.py `totals_key`)
TOTAL_SUFFIXES = {"receipt": "receipt", "pending": "pending", "attested": "attested"}
TOTAL_SUFFIXES |= {"rejected": "rejected"}


def _due_day(request: Request) -> int:
    return settings_of(request).report_due_day


def _common(request: Request) -> dict[str, Any]:
    return {
        "state_class": STATE_CLASS,
        "state_names": STATE_NAMES,
        "correction_states": STATE_NAMES | {"pending": "awaiting review"},
        "event_names": EVENT_NAMES,
        "kind_labels": KIND_LABELS,
        "total_label": _total_label(request),
    }


def _total_label(request: Request) -> Any:
    tr = translator(request)
    lang = lang_of(request)

    def label(key: str) -> str:
        kind, *rest = key.split(":")
        text = tr(KIND_LABELS.get(kind, kind))
        extra = [tr(TOTAL_SUFFIXES.get(r, r)) for r in rest]
        if not extra:
            return text
        return i18n.gettext("{text} ({extra})", lang).format(
            text=text, extra=i18n.gettext(", ", lang).join(extra)
        )

    return label


def _orphan(form: Form, form_ids: set[str]) -> str:
    """A refusal of a form the page no longer shows (the claim or correction was decided
    meanwhile): shown at the top instead."""
    if form.errors and form.id not in form_ids:
        return next(iter(form.errors.values()))
    return ""


# ----------------------------------------------------------------------------- a yard's months


@routes.get("/reports")
async def my_reports(request: Request) -> Response:
    """月报: a producer's first yard; a regulator's queue; an evaluator's claims."""
    actor = await require_actor(request)
    if actor.role in OVERSEERS:
        return RedirectResponse("/review/reports", status_code=303)
    if actor.role == "evaluator":
        return RedirectResponse("/review/claims", status_code=303)
    actor.require("producer")
    yards = await run_read(request, views.list_sites, actor, kind="yard")
    if not yards:
        return RedirectResponse("/yards", status_code=303)
    return RedirectResponse(f"/yards/{yards[0]['id']}/reports", status_code=303)


def next_to_submit(months: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The month the producer may submit now: the earliest ended month not yet submitted or
    approved (months go in order)."""
    for m in reversed(months):  # newest first in the listing
        if m["status"] in ("open", "returned"):
            return m if m["ended"] else None
    return None


@serves(routes, "/yards/{id:int}/reports")
async def _months_page(
    request: Request, actor: Actor, site_id: int, form: Form = BLANK, alert: str = ""
) -> Response:
    due_day = _due_day(request)

    def read(session: Session) -> dict[str, Any]:
        listing = reports.list_reports(session, actor, site_id, due_day)
        yards = views.list_sites(session, actor, kind="yard") if actor.role == "producer" else []
        asked = corrections.list_corrections(session, actor, site_id=site_id)
        return {"listing": listing, "yards": yards, "corrections": asked}

    ctx = await run_read(request, read)
    months = ctx["listing"]["reports"]
    owner = actor.role == "producer"
    tr = translator(request)
    ctx |= _common(request) | {
        "site_id": site_id,
        "months": months,
        "owner": owner,
        "next": next_to_submit(months) if owner else None,
        "locked_periods": [m["period"] for m in months if m["status"] in reports.LOCKED],
        "correction_kinds": [(k, tr(v)) for k, v in CORRECTION_KIND_LABELS.items()],
        "overdue": [m["period"] for m in months if m["overdue"]],
        "due_day": due_day,
    }
    return page(request, "trust/months.html", ctx, form=form, alert=alert)


async def _months_alert(request: Request, actor: Actor, site_id: int, f: Form) -> Response:
    """A refused month: the reason at the top of the months' page (the form is one button)."""
    return await _months_page(request, actor, site_id, alert=next(iter(f.errors.values())))


# ----------------------------------------------------------------------------- review queues


@routes.get("/review")
async def review_home(request: Request) -> Response:
    actor = await require_actor(request)
    target = "/review/claims" if actor.role == "evaluator" else "/review/reports"
    return RedirectResponse(target, status_code=303)


@serves(routes, "/review/reports", *OVERSEERS)
async def _reports_queue(request: Request, actor: Actor) -> Response:
    status = paging.queue(request.query_params, REPORT_QUEUES)
    rows = await run_read(request, reports.queue, actor, _due_day(request), status=status)
    ctx = _common(request) | {"status": status, "rows": rows, "queues": REPORT_QUEUES}
    return page(request, "trust/reports_queue.html", ctx)


@serves(routes, "/review/reports/{id:int}")
async def _review_page(
    request: Request, actor: Actor, report_id: int, form: Form = BLANK
) -> Response:
    due_day = _due_day(request)

    def read(session: Session) -> dict[str, Any]:
        data = reports.review(session, actor, report_id, due_day)
        listed = reports.list_reports(session, actor, data["site"]["id"], due_day)["reports"]
        month = next((r for r in listed if r["id"] == report_id), None)
        return {
            "review": data,
            "history": month["history"] if month else [],
            "site_corrections": corrections.list_corrections(
                session, actor, site_id=data["site"]["id"], status="pending"
            ),
        }

    ctx = await run_read(request, read)
    ctx |= _common(request) | {"report_id": report_id}
    return page(request, "trust/review.html", ctx, form=form)


# ----------------------------------------------------------------------------- corrections


@serves(routes, "/review/corrections", *OVERSEERS)
async def _corrections_page(request: Request, actor: Actor, form: Form = BLANK) -> Response:
    status = paging.queue(request.query_params, CORRECTION_QUEUES) if not form.id else "pending"
    rows = await run_read(request, corrections.list_corrections, actor, status=status)
    shown = {
        f"{a}-{r['id']}" for r in rows if r["status"] == "pending" for a in ("approve", "reject")
    }
    ctx = _common(request) | {
        "status": status,
        "rows": rows,
        "queues": CORRECTION_QUEUES,
        "correction_kind_labels": CORRECTION_KIND_LABELS,
        "alert": _orphan(form, shown),
    }
    return page(request, "trust/corrections_queue.html", ctx, form=form)


# ----------------------------------------------------------------------------- own-use claims


@serves(routes, "/review/claims")
async def _claims_page(request: Request, actor: Actor, form: Form = BLANK) -> Response:
    actor.require("regulator", "evaluator", "operator")
    status = paging.queue(request.query_params, CLAIM_QUEUES) if not form.id else "pending"
    # pending oldest first (the order to decide them in), decided ones latest first
    rows = await run_read(request, corrections.claims, actor, status=status, limit=CLAIMS_SHOWN)
    shown = {f"claim-{r['entry_id']}" for r in rows if r["attestation"] == "pending"}
    ctx = _common(request) | {
        "status": status,
        "rows": rows,
        "queues": CLAIM_QUEUES,
        "alert": _orphan(form, shown),
    }
    return page(request, "trust/claims.html", ctx, form=form)


# ----------------------------------------------------------------------------- disputes


@serves(routes, "/review/disputes", *OVERSEERS)
async def _disputes_page(request: Request, actor: Actor, form: Form = BLANK) -> Response:
    def read(session: Session) -> dict[str, Any]:
        rows = [d for d in views.list_deliveries(session, actor, None) if d["status"] == "disputed"]
        proposals = settlements_of(session, [d["id"] for d in rows])
        for d in rows:
            d["proposals"] = proposals.get(d["id"], [])
        return {"disputed": rows, "alert": _orphan(form, {f"arbitrate-{d['id']}" for d in rows})}

    ctx = await run_read(request, read)
    return page(request, "trust/disputes.html", ctx | _common(request), form=form)


# ----------------------------------------------------------------------------- the forms


def _sealed(
    write: Callable[[UnitOfWork, Actor, int, dict[str, Any], SealKey], T],
) -> Callable[[Request], ItemWrite]:
    """A decision that seals what it approves, with this worker's key."""

    def for_request(request: Request) -> ItemWrite:
        key = seal_key_of(request)
        return lambda uow, actor, item, data: write(uow, actor, item, data, key)

    return for_request


def _submit_month(request: Request) -> ItemWrite:
    """Submit one ended month (the page offers the next in order), due by this worker's day."""
    due_day = _due_day(request)
    return lambda uow, actor, site_id, data: reports.submit(uow, actor, site_id, data, due_day)


post_item_forms(
    routes,
    ItemForm(
        "/yards/{id:int}/reports",
        "yard_submit",
        "submit",
        ("period",),
        _submit_month,
        then="/yards/{id}/reports",
        refused=_months_alert,
    ),
    # a correction to a submitted or approved month, with the evidence uploaded
    ItemForm(
        "/yards/{id:int}/corrections",
        "yard_correction",
        "correction",
        ("period", "material", "kind", "tonnes", "reason"),
        as_is(corrections.request),
        then="/yards/{id}/reports#corrections",
        refused=_months_page,
        evidence=True,
    ),
    ItemForm(
        "/review/reports/{id:int}/approve",
        "report_approve",
        "approve",
        ("note",),
        _sealed(reports.approve),
        then="/review/reports",
        refused=_review_page,
    ),
    ItemForm(
        "/review/reports/{id:int}/return",
        "report_return",
        "return",
        ("reason",),
        as_is(reports.return_report),
        then="/review/reports",
        refused=_review_page,
    ),
    ItemForm(
        "/review/corrections/{id:int}/approve",
        "correction_approve",
        "approve-{id}",
        ("note",),
        _sealed(corrections.approve),
        then="/review/corrections",
        refused=whole_list(_corrections_page),
    ),
    ItemForm(
        "/review/corrections/{id:int}/reject",
        "correction_reject",
        "reject-{id}",
        ("reason",),
        as_is(corrections.reject),
        then="/review/corrections",
        refused=whole_list(_corrections_page),
    ),
    ItemForm(
        "/review/claims/{id:int}/attest",
        "claim_attest",
        "claim-{id}",
        ("decision", "note"),
        _sealed(corrections.attest),
        then="/review/claims",
        refused=whole_list(_claims_page),
    ),
    ItemForm(
        "/review/disputes/{id:int}/arbitrate",
        "dispute_arbitrate",
        "arbitrate-{id}",
        ("settled_tonnes", "note"),
        as_is(deliveries.arbitrate),
        then="/review/disputes",
        refused=whole_list(_disputes_page),
    ),
)
