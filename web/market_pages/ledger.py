"""A site's stock ledger: the page, entries posted by hand, and its export."""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import clock, exports, views
from market.auth import Actor
from market.catalogue import catalogue
from market.errors import InvalidInput, NotFound
from market.services import (
    export_jobs,
    ledger,
)
from market.services.common import OVERSEERS
from web import export_job, paging
from web.api import run_read, settings_of, whole
from web.market_pages.forms import (
    BLANK,
    Form,
    ItemForm,
    as_is,
    page,
    post_item_forms,
    translator,
)
from web.render import lang_of
from web.routing import Routes
from web.security import check_csrf, require_actor

routes = Routes()

KIND_LABELS = {
    "opening": "Opening survey",
    "generation": "Generation",
    "dispatch": "Dispatch",
    "utilisation": "Utilisation",
    "treatment": "Harmless treatment",
    "disposal": "Disposal",
    "correction": "Correction",
    "p2o5_output": "P2O5 output",
}


# what a producer records by hand, in the order of a month's paperwork; dispatches and receipts
# are written by deliveries
ENTRY_KINDS = {
    "generation": "Generation",
    "p2o5_output": "P2O5 output",
    "utilisation": "Own use (documented)",
    "treatment": "Harmless treatment",
    "disposal": "Disposal",
    "correction": "Correction",
    "opening": "Opening survey",
}


LEDGER_FILTERS = ("material", "kind", "month")


def _ledger_filters(request: Request) -> dict[str, Any]:
    """The ledger's filters, checked: material, kind (a ledger kind) and month (YYYY-MM)."""
    q = request.query_params
    material = q.get("material") or None
    if material is not None and material not in catalogue().materials:
        raise InvalidInput.about("material", material, "is not a known material")
    return {
        "material": material,
        "kind": paging.choice(q, "kind", views.LEDGER_KINDS),
        "month": paging.month(q, "month"),
    }


async def _ledger_page(
    request: Request, actor: Actor, site_id: int | None, form: Form = BLANK, block: str = ""
) -> Response:
    pg = paging.parse(request.query_params, default_limit=100, max_limit=500)
    wanted = _ledger_filters(request)

    def read(session: Session) -> dict[str, Any]:
        yards_ = views.list_sites(session, actor, kind="yard")
        chosen = site_id if site_id is not None else (yards_[0]["id"] if yards_ else None)
        book = (
            views.site_ledger(session, actor, chosen, **wanted, **pg.window()) if chosen else None
        )
        return {"yards": yards_, "site_id": chosen, "book": book}

    ctx = await run_read(request, read)
    kept = paging.kept(request.query_params, LEDGER_FILTERS)
    if ctx["site_id"] is not None:
        kept = {"site": str(ctx["site_id"]), **kept}
    book = ctx["book"]
    ctx["pager"] = (
        paging.Pager("/ledger", book["count"], pg, len(book["entries"]), kept) if book else None
    )
    ctx["filters"] = kept
    ctx["export"] = urlencode(kept)
    ctx["export_large"] = book and export_jobs.is_large(settings_of(request), book["count"])
    tr = translator(request)
    ctx |= {
        "all_kind_options": [(k, tr(label)) for k, label in KIND_LABELS.items()],
        "kind_options": [(k, tr(label)) for k, label in ENTRY_KINDS.items()],
        "kind_labels": KIND_LABELS,
        "today": clock.today().isoformat(),
    }
    return page(request, "market/ledger.html", ctx, form=form, block=block or "ledger_body")


@routes.get("/ledger")
async def ledger_page(request: Request) -> Response:
    actor = await require_actor(request)
    actor.require("producer", *OVERSEERS)
    return await _ledger_page(request, actor, whole(request.query_params.get("site", "")))


EXPORT_ROWS = 100_000


post_item_forms(
    routes,
    ItemForm(
        "/ledger/{id:int}",
        "ledger_post",
        "",
        ("kind", "material", "tonnes", "occurred_on", "document"),
        as_is(ledger.post_entry),
        then="/ledger?site={id}",
        refused=partial(_ledger_page, block="entry_form"),
        evidence=True,
    ),
)


@routes.route("/ledger/export.{fmt:str}", methods=["GET", "POST"])
async def ledger_export(request: Request) -> Response:
    """The ledger rows the page's filters select, every page of them, as CSV or Excel (through
    the same writer as the regulator's exports: cells that a spreadsheet would run as a
    formula are neutralised)."""
    actor = await require_actor(request)
    actor.require("producer", *OVERSEERS)
    if request.method == "POST":  # the one-button page of a large export (web/export_job.py)
        check_csrf(request, await request.form())
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise NotFound("path: {url_path} does not exist", url_path=request.url.path)
    site_id = whole(request.query_params.get("site", ""))
    if site_id is None:
        raise InvalidInput.about("site", request.query_params.get("site", ""), "is required")
    wanted = _ledger_filters(request)
    sent = (request.query_params.get(k) for k in LEDGER_FILTERS)
    tail = "-".join(str(v) for v in (site_id, *sent) if v)
    count = (await run_read(request, views.site_ledger, actor, site_id, **wanted, limit=0))["count"]
    if request.method == "POST" or export_jobs.is_large(settings_of(request), count):
        return await export_job.ledger_job(request, actor, site_id, wanted, tail)
    book = await run_read(
        request, views.site_ledger, actor, site_id, **wanted, limit=EXPORT_ROWS, offset=0
    )
    if book["count"] > EXPORT_ROWS:
        raise InvalidInput.about(
            "site",
            site_id,
            "has {book_count} entries here: filter to {EXPORT_ROWS} or fewer",
            book_count=book["count"],
            EXPORT_ROWS=EXPORT_ROWS,
        )
    body = exports.render(exports.ledger_tables(book["entries"]), fmt, lang_of(request))
    return export_job.attachment(body, exports.MEDIA[fmt], f"wastematch-ledger-{tail}.{fmt}")
