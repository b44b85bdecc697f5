"""Producer, recycler and operator pages of the marketplace flow.

A GET reads through `views` (or `listings`) and renders the page, or for htmx only a block. A POST
parses the form, calls one service in a unit of work, and redirects (303, or `HX-Redirect` for
htmx); when the service refuses the input, the form comes back (422) with the message beside the
field it names and everything the user typed kept. Who may do what is the services' business.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from market import clock, exports, listings, views
from market.auth import Actor
from market.catalogue import catalogue, use_spec
from market.db import Database, UnitOfWork
from market.errors import Conflict, DomainError, InvalidInput, NotFound
from market.papers import service as papers_service
from market.services import (
    deliveries,
    documents,
    export_jobs,
    jobs,
    ledger,
    lots,
    matching,
    offers,
    schedule,
    sites,
    trade,
)
from market.services.common import OVERSEERS
from market.settings import Settings
from market.tables import Settlement
from web import export_job, flash, i18n, paging
from web.api import db_of, path_id, run_read, run_uow, settings_of, whole
from web.i18n import translate
from web.render import lang_of, render
from web.security import CSRF_FIELD, check_csrf, require_actor

log = logging.getLogger("wastematch.pages")

REFUSALS = (InvalidInput, Conflict)
LOT_FIELDS = (
    "site_id",
    "material",
    "tonnes",
    "lab_report",
    "sampled_on",
    "available_from",
    "available_until",
    "asking_price_cny_t",
    "max_haul_km",
)
LOT_EDIT_FIELDS = tuple(f for f in LOT_FIELDS if f not in ("site_id", "material"))
OFFER_FIELDS = (
    "site_id",
    "material",
    "use",
    "capacity_t",
    "period_start",
    "period_end",
    "price_cny_t",
    "max_haul_km",
)
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


# ----------------------------------------------------------------------------- forms


@dataclass(frozen=True)
class Form:
    """What the user typed into one form and, when refused, why; `id` tells apart the forms of
    the same kind on one page (one per delivery, per proposal)."""

    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    id: str = ""


BLANK = Form()


async def posted(request: Request, form_id: str = "") -> Form:
    raw = await request.form()
    check_csrf(request, raw)
    values = {k: v for k, v in raw.items() if isinstance(v, str) and k != CSRF_FIELD}
    return Form(values, {}, form_id)


# the form's boundary, token and other fields on top of an uploaded file
UPLOAD_OVERHEAD = 64_000


async def posted_with_file(
    request: Request, file_field: str, form_id: str = ""
) -> tuple[Form, tuple[bytes, str] | None]:
    """A multipart form with at most one file (evidence): the typed values, and the file's
    content and name when one was chosen. Refused by its declared length before it is read."""
    limit = settings_of(request).max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + UPLOAD_OVERHEAD:
        raise InvalidInput(
            "file: {int_declared} bytes sent, at most {limit} allowed",
            field="file",
            int_declared=int(declared),
            limit=limit,
        )
    chosen = None
    async with request.form(max_files=1, max_fields=40) as raw:
        check_csrf(request, raw)
        values = {k: v for k, v in raw.items() if isinstance(v, str) and k != CSRF_FIELD}
        upload = raw.get(file_field)
        if isinstance(upload, UploadFile) and upload.filename:
            chosen = (await upload.read(limit + 1), upload.filename)
    return Form(values, {}, form_id), chosen


def uploaded_evidence(
    uow: UnitOfWork, actor: Actor, form: Form, upload: tuple[bytes, str] | None, limit: int
) -> str:
    """The document id a form cites: a file chosen now is uploaded first (and the id kept in the
    form, so a refused form need not be sent the file again), else the id kept from before."""
    if upload is None:
        return form.values.get("evidence", "")
    doc = documents.upload(uow, actor, content=upload[0], filename=upload[1], max_bytes=limit)
    if isinstance(form.values, dict):
        form.values["evidence"] = str(doc.id)
    return str(doc.id)


def pick(values: Mapping[str, str], names: Iterable[str]) -> dict[str, Any]:
    # an empty input is a missing value to the parsers in market.fields
    return {n: values.get(n, "") for n in names}


def quality_of(values: Mapping[str, str]) -> dict[str, str]:
    return {
        k.removeprefix("quality."): v
        for k, v in values.items()
        if k.startswith("quality.") and v.strip()
    }


def spec_of(values: Mapping[str, str]) -> dict[str, dict[str, str]]:
    spec: dict[str, dict[str, str]] = {}
    for k, v in values.items():
        parts = k.split(".")
        if len(parts) == 3 and parts[0] == "spec" and parts[2] in ("min", "max") and v.strip():
            spec.setdefault(parts[1], {})[parts[2]] = v
    return spec


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def done(request: Request, url: str, result: Any = None) -> Response:
    flash.remember(request, url, result)
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _input_for(field_name: str | None, form: Form) -> str:
    """The input a refusal belongs beside: the field itself, or the first input under it
    (`spec.caso4_2h2o_pct` -> `spec.caso4_2h2o_pct.min`); "_" for the form as a whole."""
    if field_name in form.values:
        return field_name
    if field_name:
        for name in form.values:
            if name.startswith(field_name + "."):
                return name
    return "_"


def refusal(request: Request, exc: DomainError) -> str:
    """The service's refusal in the page's language (the API keeps the English)."""
    return i18n.refusal(exc, lang_of(request))


async def submit(
    request: Request,
    form: Form,
    call: Callable[[UnitOfWork], Any],
    *,
    then: Callable[[Any], str],
    refused: Callable[[Form], Awaitable[Response]],
) -> Response:
    """Run one service in a unit of work; a refusal of the input re-renders the form."""
    db = db_of(request)
    try:
        result = await run_in_threadpool(db.run, call)
    except REFUSALS as exc:
        # every bad field beside its input (the first one's message where two share an input)
        errors: dict[str, str] = {}
        for each in exc.every():
            errors.setdefault(_input_for(each.field, form), refusal(request, each))
        return await refused(Form(form.values, errors, form.id))
    return done(request, then(result), result)


async def act(
    request: Request,
    call: Callable[[UnitOfWork], Any],
    *,
    then: str,
    refused: Callable[[str], Awaitable[Response]],
) -> Response:
    """A button (accept, withdraw ...): on refusal, the page it was pressed on, with the reason."""
    await posted(request)
    try:
        await run_uow(request, call)
    except REFUSALS as exc:
        return await refused(refusal(request, exc))
    return done(request, then)


# ----------------------------------------------------------------------------- rendering


def _cst(value: Any, with_time: bool = True) -> str:
    """An ISO instant as China Standard Time, the way people on the ground read it."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def _install_filters(env: Environment) -> None:
    env.filters.setdefault("cst", _cst)


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    form: Form = BLANK,
    block: str | None = None,
    status_code: int | None = None,
) -> Response:
    _install_filters(request.app.state.templates.env)
    lang = lang_of(request)
    ctx = {
        "catalogue": catalogue(),
        "form": form,
        "blank": BLANK,
        "material_options": [
            (code, i18n.name_of(m, lang)) for code, m in catalogue().materials.items()
        ],
        "options": _options,
        **context,
    }
    status = status_code or (422 if form.errors else 200)
    return render(request, name, ctx, block=block, status_code=status)


def _options(rows: Iterable[Mapping[str, Any]], value: str, text: str) -> list[tuple[Any, Any]]:
    return [(r[value], r[text]) for r in rows]


def translator(request: Request) -> Callable[[str], str]:
    lang = lang_of(request)
    return lambda text: translate(text, lang)


def now_cst_input() -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M")


# ----------------------------------------------------------------------------- lists

LIST_FILTERS = ("status", "material", "from", "to")


@dataclass(frozen=True)
class Listing:
    """A list's request, checked: which page, filtered how, and the filters as sent (kept in
    the pager's links and the filter form)."""

    paging: paging.Paging
    filter: views.ListFilter
    kept: dict[str, str]

    def pager(self, path: str, total: int, shown: int, **kw: Any) -> paging.Pager:
        return paging.Pager(path, total, self.paging, shown, self.kept, **kw)


def listing(
    request: Request,
    statuses: Iterable[str] = (),
    *,
    default_limit: int = 50,
    max_limit: int = 200,
    sorts: tuple[str, ...] = (),
    default_sort: str = "",
    page_param: str = "page",
    extra: tuple[str, ...] = (),
) -> Listing:
    q = request.query_params
    params = {"page": q[page_param]} if page_param in q else {}
    params |= {k: q[k] for k in ("limit", "sort") if k in q}
    pg = paging.parse(
        params,
        default_limit=default_limit,
        max_limit=max_limit,
        sorts=sorts,
        default_sort=default_sort,
    )
    material = q.get("material") or None
    if material is not None and material not in catalogue().materials:
        raise InvalidInput.about("material", material, "is not a known material")
    f = views.ListFilter(
        status=paging.choice(q, "status", tuple(statuses)),
        material=material,
        since=paging.day(q, "from"),
        until=paging.day(q, "to"),
    )
    names = (*LIST_FILTERS, *extra) + (("limit",) if "limit" in q else ())
    kept = paging.kept(q, names)
    if pg.sort and pg.sort != default_sort:
        kept["sort"] = pg.sort
    return Listing(pg, f, kept)


# ----------------------------------------------------------------------------- yards and plants


async def _sites_page(request: Request, actor: Actor, kind: str, form: Form) -> Response:
    def read(session: Any) -> dict[str, Any]:
        rows = views.list_sites(session, actor, kind=kind)
        if kind == "yard":  # yards keep ledgers; plants post offers
            stock = views.stock_by_site(session, [r["id"] for r in rows])
            for r in rows:
                r["stock"] = stock.get(r["id"], {})
        else:
            counts = views.open_offers_by_site(session, actor)
            for r in rows:
                r["open_offers"] = counts.get(r["id"], 0)
        return {"sites": rows, "kind": kind}

    ctx = await run_read(request, read)
    return page(request, "market/sites.html", ctx, form=form, block="site_form")


async def yards(request: Request) -> Response:
    actor = await require_actor(request)
    actor.require("producer")
    return await _sites_page(request, actor, "yard", BLANK)


async def plants(request: Request) -> Response:
    actor = await require_actor(request)
    actor.require("recycler")
    return await _sites_page(request, actor, "plant", BLANK)


async def _post_site(request: Request, kind: str, back: str) -> Response:
    actor = await require_actor(request)
    form = await posted(request)
    data = pick(form.values, ("name", "lat", "lon")) | {"kind": kind}
    return await submit(
        request,
        form,
        lambda uow: sites.post_site(uow, actor, data),
        then=lambda _site: back,
        refused=lambda f: _sites_page(request, actor, kind, f),
    )


async def yards_post(request: Request) -> Response:
    return await _post_site(request, "yard", "/yards")


async def plants_post(request: Request) -> Response:
    return await _post_site(request, "plant", "/my/plants")


# ----------------------------------------------------------------------------- lots


async def _my_lots_page(request: Request, actor: Actor, form: Form) -> Response:
    ls = listing(request, views.LOT_STATUSES)

    def read(session: Any) -> dict[str, Any]:
        rows, total = views.page_lots(session, actor, ls.filter, mine=True, **ls.paging.window())
        return {
            "lots": rows,
            "pager": ls.pager("/my/lots", total, len(rows)),
            "filters": ls.kept,
            "statuses": views.LOT_STATUSES,
            "yards": views.list_sites(session, actor, kind="yard"),
        }

    ctx = await run_read(request, read)
    material = form.values.get("material") or request.query_params.get("material") or ""
    ctx |= {"material": material if material in catalogue().materials else "", "quality": {}}
    ctx["today"] = clock.today().isoformat()
    return page(request, "market/my_lots.html", ctx, form=form, block="lot_form")


async def my_lots(request: Request) -> Response:
    actor = await require_actor(request)
    actor.require("producer")
    return await _my_lots_page(request, actor, BLANK)


async def my_lots_post(request: Request) -> Response:
    actor = await require_actor(request)
    form = await posted(request)
    data = pick(form.values, LOT_FIELDS) | {"quality": quality_of(form.values)}
    return await submit(
        request,
        form,
        lambda uow: lots.post_lot(uow, actor, data),
        then=lambda lot: f"/lots/{lot.id}",
        refused=lambda f: _my_lots_page(request, actor, f),
    )


async def assay_fields(request: Request) -> Response:
    """The assay inputs of the chosen material (htmx swaps them in when the material changes)."""
    await require_actor(request)
    material = request.query_params.get("material", "")
    if not is_htmx(request):
        return RedirectResponse(f"/my/lots?{urlencode({'material': material})}", status_code=303)
    if material not in catalogue().materials:
        material = ""
    return page(request, "market/_assay.html", {"material": material, "quality": {}})


async def _lot_page(
    request: Request, actor: Actor, lot_id: int, form: Form = BLANK, alert: str = ""
) -> Response:
    settings = settings_of(request)

    def read(session: Any) -> dict[str, Any]:
        lot = views.get_lot(session, actor, lot_id)
        owner = actor.role == "producer" and lot["organisation_id"] == actor.organisation_id
        ctx: dict[str, Any] = {"lot": lot, "owner": owner, "history": [], "bids": []}
        ctx["options"] = None
        if owner or actor.role in OVERSEERS:
            ctx["history"] = listings.lot_history(session, actor, lot_id)
            ctx["options"] = matching.lot_options(session, actor, lot_id, settings)
        if owner:
            ctx["bids"] = views.page_bids(session, actor, lot_id=lot_id, limit=200)[0]
        return ctx

    ctx = await run_read(request, read)
    ctx |= {"material": ctx["lot"]["material"], "quality": ctx["lot"]["quality"], "alert": alert}
    return page(
        request,
        "market/lot.html",
        ctx,
        form=form,
        block="edit_form",
        status_code=409 if alert else None,
    )


async def lot_detail(request: Request) -> Response:
    actor = await require_actor(request)
    return await _lot_page(request, actor, path_id(request))


async def lot_edit(request: Request) -> Response:
    actor = await require_actor(request)
    lot_id = path_id(request)
    form = await posted(request)
    data = pick(form.values, LOT_EDIT_FIELDS) | {"quality": quality_of(form.values)}
    return await submit(
        request,
        form,
        lambda uow: lots.update_lot(uow, actor, lot_id, data),
        then=lambda _lot: f"/lots/{lot_id}",
        refused=lambda f: _lot_page(request, actor, lot_id, f),
    )


async def lot_withdraw(request: Request) -> Response:
    actor = await require_actor(request)
    lot_id = path_id(request)
    return await act(
        request,
        lambda uow: lots.withdraw_lot(uow, actor, lot_id),
        then=f"/lots/{lot_id}",
        refused=lambda message: _lot_page(request, actor, lot_id, alert=message),
    )


# ----------------------------------------------------------------------------- bids


async def _bids_page(request: Request, actor: Actor, alert: str = "") -> Response:
    ls = listing(request, views.BID_STATUSES)

    def read(session: Any) -> dict[str, Any]:
        rows, total = views.page_bids(session, actor, ls.filter, **ls.paging.window())
        ctx = {
            "bids": rows,
            "by_lot": [],
            "pager": ls.pager("/bids", total, len(rows)),
            "filters": ls.kept,
            "statuses": views.BID_STATUSES,
        }
        if actor.role != "producer":
            return ctx
        by_lot: dict[int, dict[str, Any]] = {}
        for b in rows:
            group = by_lot.setdefault(b["lot_id"], {"lot": None, "bids": []})
            group["bids"].append(b)
        for lot_id, group in by_lot.items():
            group["lot"] = views.get_lot(session, actor, lot_id)
        return ctx | {"by_lot": list(by_lot.values())}

    ctx = await run_read(request, read) | {"alert": alert}
    return page(request, "market/bids.html", ctx, status_code=409 if alert else None)


async def bids(request: Request) -> Response:
    return await _bids_page(request, await require_actor(request))


async def bid_accept(request: Request) -> Response:
    actor = await require_actor(request)
    bid_id = path_id(request)
    await posted(request)
    try:
        contract = await run_uow(request, trade.accept_bid, actor, bid_id)
    except REFUSALS as exc:
        return await _bids_page(request, actor, refusal(request, exc))
    return done(request, f"/contracts/{contract.id}", contract)


async def bid_reject(request: Request) -> Response:
    actor = await require_actor(request)
    bid_id = path_id(request)
    return await act(
        request,
        lambda uow: trade.reject_bid(uow, actor, bid_id),
        then="/bids",
        refused=lambda message: _bids_page(request, actor, message),
    )


async def bid_withdraw(request: Request) -> Response:
    actor = await require_actor(request)
    bid_id = path_id(request)
    return await act(
        request,
        lambda uow: trade.withdraw_bid(uow, actor, bid_id),
        then="/bids",
        refused=lambda message: _bids_page(request, actor, message),
    )


# ----------------------------------------------------------------------------- contracts


def _disputed_for(session: Any, actor: Actor, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The disputed deliveries the actor settles (either party) or watches (operator), each with
    the figures proposed so far."""
    mine = [
        d
        for d in rows
        if d["status"] == "disputed"
        and (
            actor.role == "operator"
            or actor.organisation_id in (d["producer_id"], d["recycler_id"])
        )
    ]
    proposals = settlements_of(session, [d["id"] for d in mine])
    for d in mine:
        d["proposals"] = proposals.get(d["id"], [])
    return mine


def settlements_of(session: Any, delivery_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The figures proposed for each disputed delivery (or decided by a regulator), oldest
    first."""
    if not delivery_ids:
        return {}
    rows = session.exec(
        select(Settlement)
        .where(col(Settlement.delivery_id).in_(delivery_ids))
        .order_by(col(Settlement.id))
    ).all()
    names = views.usernames(session, [r.by for r in rows])
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r.delivery_id, []).append(
            {
                "side": r.side,
                "settled_tonnes": r.settled_tonnes,
                "note": r.note,
                "by": names.get(r.by),
                "at": r.at.isoformat(),
            }
        )
    return out


async def _contracts_page(request: Request, actor: Actor, form: Form = BLANK) -> Response:
    ls = listing(request, views.CONTRACT_STATUSES)

    def read(session: Any) -> dict[str, Any]:
        rows, total = views.page_contracts(session, actor, ls.filter, **ls.paging.window())
        disputed, _ = views.page_deliveries(
            session, actor, None, views.ListFilter(status="disputed"), limit=200
        )
        return {
            "contracts": rows,
            "pager": ls.pager("/contracts", total, len(rows)),
            "filters": ls.kept,
            "statuses": views.CONTRACT_STATUSES,
            "disputed": _disputed_for(session, actor, disputed),
        }

    return page(request, "market/contracts.html", await run_read(request, read), form=form)


async def contracts(request: Request) -> Response:
    return await _contracts_page(request, await require_actor(request))


async def _contract_page(
    request: Request, actor: Actor, contract_id: int, form: Form = BLANK
) -> Response:
    def read(session: Any) -> dict[str, Any]:
        c = views.get_contract(session, actor, contract_id)
        return {"c": c, "disputed": _disputed_for(session, actor, c["deliveries"])}

    ctx = await run_read(request, read)
    ctx |= {"now": now_cst_input(), "idempotency_key": secrets.token_urlsafe(16)}
    return page(request, "market/contract.html", ctx, form=form, block="dispatch_form")


async def contract_detail(request: Request) -> Response:
    actor = await require_actor(request)
    return await _contract_page(request, actor, path_id(request))


async def contract_dispatch(request: Request) -> Response:
    actor = await require_actor(request)
    contract_id = path_id(request)
    form = await posted(request)
    data = pick(
        form.values, ("manifest_no", "tonnes", "truck_plate", "dispatched_at", "idempotency_key")
    )
    driver = form.values.get("driver", "")
    return await submit(
        request,
        form,
        lambda uow: papers_service.dispatch_with_driver(uow, actor, contract_id, data, driver),
        then=lambda _result: f"/contracts/{contract_id}",
        refused=lambda f: _contract_page(request, actor, contract_id, f),
    )


def _delivery_row(session: Any, actor: Actor, delivery_id: int) -> dict[str, Any] | None:
    rows = views.list_deliveries(session, actor, None, delivery_id=delivery_id)
    return rows[0] if rows else None


def _delivery_refused(
    request: Request,
    actor: Actor,
    delivery_id: int,
    template: str,
    whole_page: Callable[[Request, Actor, Form], Awaitable[Response]],
) -> Callable[[Form], Awaitable[Response]]:
    """A refused delivery form: htmx swaps just that delivery's form back in, else the page."""

    async def refused(f: Form) -> Response:
        if is_htmx(request):
            d = await run_read(request, _delivery_row, actor, delivery_id)
            if d is not None:
                proposals = await run_read(request, settlements_of, [delivery_id])
                d["proposals"] = proposals.get(delivery_id, [])
                return page(request, template, {"d": d}, form=f)
        return await whole_page(request, actor, f)

    return refused


async def delivery_resolve(request: Request) -> Response:
    actor = await require_actor(request)
    delivery_id = path_id(request)
    form = await posted(request, f"resolve-{delivery_id}")
    data = pick(form.values, ("accepted_tonnes", "note"))

    return await submit(
        request,
        form,
        lambda uow: deliveries.resolve_dispute(uow, actor, delivery_id, data),
        then=lambda d: f"/contracts/{d.contract_id}",
        refused=_delivery_refused(
            request, actor, delivery_id, "market/_resolve_form.html", _contracts_page
        ),
    )


# ----------------------------------------------------------------------------- receipts


RECEIPT_SECTIONS = (("pending", "dispatched"), ("disputed", "disputed"), ("received", "received"))


async def _receipts_page(request: Request, actor: Actor, form: Form = BLANK) -> Response:
    """Every delivery to the recycler's plants, in three paged lists: waiting for the
    weighbridge, disputed, received (each newest first, filtered by material and date)."""
    pages = tuple(f"{name}_page" for name, _ in RECEIPT_SECTIONS)
    sections = {
        name: listing(request, page_param=f"{name}_page", extra=pages)
        for name, _ in RECEIPT_SECTIONS
    }

    def read(session: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"filters": sections["received"].kept, "pagers": {}}
        for name, status in RECEIPT_SECTIONS:
            ls = sections[name]
            f = views.ListFilter(status, ls.filter.material, ls.filter.since, ls.filter.until)
            rows, total = views.page_deliveries(
                session,
                actor,
                None,
                f,
                to_plants_of=actor.organisation_id,
                **ls.paging.window(),
            )
            out[name] = rows
            out["pagers"][name] = ls.pager(
                "/receipts", total, len(rows), name=f"{name}_page", anchor=name
            )
        return out

    return page(request, "market/receipts.html", await run_read(request, read), form=form)


async def receipts(request: Request) -> Response:
    actor = await require_actor(request)
    actor.require("recycler")
    return await _receipts_page(request, actor)


async def delivery_receipt(request: Request) -> Response:
    actor = await require_actor(request)
    delivery_id = path_id(request)
    settings = settings_of(request)
    form = await posted(request, f"receipt-{delivery_id}")
    data = pick(form.values, ("received_tonnes", "note"))

    return await submit(
        request,
        form,
        lambda uow: deliveries.confirm_receipt(uow, actor, delivery_id, data, settings),
        then=lambda _result: "/receipts",
        refused=_delivery_refused(
            request, actor, delivery_id, "market/_receipt_form.html", _receipts_page
        ),
    )


# ----------------------------------------------------------------------------- ledger


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

    def read(session: Any) -> dict[str, Any]:
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


async def ledger_page(request: Request) -> Response:
    actor = await require_actor(request)
    actor.require("producer", *OVERSEERS)
    return await _ledger_page(request, actor, whole(request.query_params.get("site", "")))


LEDGER_COLUMNS = exports.LEDGER_COLUMNS
EXPORT_ROWS = 100_000


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
    table = exports.Table("台账 ledger", LEDGER_COLUMNS, book["entries"])
    lang = lang_of(request)
    body = exports.to_csv([table], lang) if fmt == "csv" else exports.to_xlsx([table], lang)
    media = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[fmt]
    return Response(
        body,
        media_type=media,
        headers={
            "content-disposition": f'attachment; filename="wastematch-ledger-{tail}.{fmt}"',
            "cache-control": "no-store",
        },
    )


async def ledger_post(request: Request) -> Response:
    actor = await require_actor(request)
    site_id = path_id(request)
    form, upload = await posted_with_file(request, "evidence_file")
    data = pick(form.values, ("kind", "material", "tonnes", "occurred_on", "document"))
    limit = settings_of(request).max_upload_bytes

    def call(uow: UnitOfWork) -> Any:
        evidence = uploaded_evidence(uow, actor, form, upload, limit)
        return ledger.post_entry(uow, actor, site_id, data | {"evidence": evidence})

    return await submit(
        request,
        form,
        call,
        then=lambda _entry: f"/ledger?site={site_id}",
        refused=lambda f: _ledger_page(request, actor, site_id, f, block="entry_form"),
    )


# ----------------------------------------------------------------------------- offers


def _use_options(request: Request, material: str) -> list[tuple[str, str]]:
    if material not in catalogue().materials:
        return []
    lang = lang_of(request)
    return [
        (u.code, f"{i18n.name_of(u, lang)} ({u.standard})")
        for u in catalogue().materials[material].uses
    ]


def _spec_defaults(material: str, use: str) -> dict[str, str]:
    """The catalogue use's limits as the spec inputs' starting values."""
    if not material or not use:
        return {}
    try:
        spec = use_spec(material, use)
    except InvalidInput:
        return {}
    return {f"spec.{p}.{k}": f"{v:g}" for p, bounds in spec.items() for k, v in bounds.items()}


async def _offers_page(request: Request, actor: Actor, form: Form, alert: str = "") -> Response:
    ls = listing(request, views.OFFER_STATUSES)

    def read(session: Any) -> dict[str, Any]:
        rows, total = views.page_offers(session, actor, ls.filter, **ls.paging.window())
        return {
            "offers": rows,
            "pager": ls.pager("/offers", total, len(rows)),
            "filters": ls.kept,
            "statuses": views.OFFER_STATUSES,
            "plants": views.list_sites(session, actor, kind="plant"),
        }

    ctx = await run_read(request, read)
    material = form.values.get("material") or request.query_params.get("material") or ""
    material = material if material in catalogue().materials else ""
    use = form.values.get("use", "")
    today = clock.today()
    ctx |= {
        "material": material,
        "use": use,
        "spec_defaults": _spec_defaults(material, use),
        "use_options": _use_options(request, material),
        "period_start": today.isoformat(),
        "period_end": (today + timedelta(days=365)).isoformat(),
        "alert": alert,
    }
    return page(
        request,
        "market/offers.html",
        ctx,
        form=form,
        block="offer_form",
        status_code=409 if alert else None,
    )


async def offers_page(request: Request) -> Response:
    actor = await require_actor(request)
    actor.require("recycler")
    return await _offers_page(request, actor, BLANK)


async def offers_post(request: Request) -> Response:
    actor = await require_actor(request)
    form = await posted(request)
    data = pick(form.values, OFFER_FIELDS) | {"spec": spec_of(form.values)}
    return await submit(
        request,
        form,
        lambda uow: offers.post_offer(uow, actor, data),
        then=lambda _offer: "/offers",
        refused=lambda f: _offers_page(request, actor, f),
    )


async def offer_spec(request: Request) -> Response:
    """The use choices and the spec inputs of a material, prefilled from the chosen use."""
    await require_actor(request)
    q = request.query_params
    material = q.get("material", "")
    if not is_htmx(request):
        return RedirectResponse(f"/offers?{urlencode({'material': material})}", status_code=303)
    material = material if material in catalogue().materials else ""
    use = q.get("use", "") if material else ""
    ctx = {
        "material": material,
        "use": use,
        "spec_defaults": _spec_defaults(material, use),
        "use_options": _use_options(request, material),
    }
    return page(request, "market/_spec.html", ctx)


async def offer_withdraw(request: Request) -> Response:
    actor = await require_actor(request)
    offer_id = path_id(request)
    return await act(
        request,
        lambda uow: offers.withdraw_offer(uow, actor, offer_id),
        then="/offers",
        refused=lambda message: _offers_page(request, actor, BLANK, message),
    )


# ----------------------------------------------------------------------------- proposals


PROPOSAL_SORTS = ("cost", "-cost", "tonnes", "-tonnes", "distance", "-distance", "date", "run")


async def _proposals_page(request: Request, actor: Actor, form: Form = BLANK) -> Response:
    """A summary table of a page of proposals, sortable, then the same proposals as cards."""
    ls = listing(
        request, default_limit=20, max_limit=100, sorts=PROPOSAL_SORTS, default_sort="cost"
    )

    def read(session: Any) -> dict[str, Any]:
        run_id = views.latest_run_id(session)
        rows, total = views.page_proposals(
            session,
            actor,
            run_id,
            material=ls.filter.material,
            sort=ls.paging.sort,
            **ls.paging.window(),
        )
        latest = views.latest_bids(session, actor, [r["id"] for r in rows])
        for r in rows:
            r["bid"] = latest.get(r["id"])
        return {
            "proposals": rows,
            "run_id": run_id,
            "pager": ls.pager("/proposals", total, len(rows)),
            "filters": ls.kept,
            "sort": ls.paging.sort,
        }

    return page(request, "market/proposals.html", await run_read(request, read), form=form)


async def proposals(request: Request) -> Response:
    actor = await require_actor(request)
    actor.require("recycler", "producer", *OVERSEERS)
    return await _proposals_page(request, actor)


async def proposal_bid(request: Request) -> Response:
    actor = await require_actor(request)
    proposal_id = path_id(request)
    form = await posted(request, f"bid-{proposal_id}")
    data = pick(form.values, ("price_cny_t", "tonnes"))

    async def refused(f: Form) -> Response:
        if not is_htmx(request):
            return await _proposals_page(request, actor, f)
        p = await run_read(request, listings.proposal_for, actor, proposal_id)
        return page(request, "market/_bid_form.html", {"p": p}, form=f)

    return await submit(
        request,
        form,
        lambda uow: trade.place_bid(uow, actor, proposal_id, data),
        then=lambda _bid: "/bids",
        refused=refused,
    )


def _zoom_for(span_deg: float) -> float:
    # at zoom 1 a small map shows ~10 degrees (all Yunnan); show about three times the route,
    # and never less than a county or so around it
    return max(1.0, min(9.0, 10.0 / max(span_deg * 3.0, 1.2)))


async def proposal_map(request: Request) -> Response:
    """The two ends of one proposal's route, as `drawMap` data; prefectures come separately."""
    actor = await require_actor(request)
    p = await run_read(request, listings.proposal_for, actor, path_id(request))
    ends = [(p["yard_lon"], p["yard_lat"]), (p["plant_lon"], p["plant_lat"])]
    span = max(abs(ends[0][0] - ends[1][0]), abs(ends[0][1] - ends[1][1]))
    return JSONResponse(
        {
            "prefecturesSrc": "/map/prefectures.json",
            "center": [(ends[0][0] + ends[1][0]) / 2, (ends[0][1] + ends[1][1]) / 2],
            "zoom": round(_zoom_for(span), 2),
            "sites": [
                {
                    "name": p["yard"],
                    "organisation": p["producer"],
                    "kind": "yard",
                    "lon": ends[0][0],
                    "lat": ends[0][1],
                },
                {
                    "name": p["plant"],
                    "organisation": p["recycler"],
                    "kind": "plant",
                    "lon": ends[1][0],
                    "lat": ends[1][1],
                },
            ],
            "extraSeries": [
                {
                    "name": "route",
                    "type": "lines",
                    "coordinateSystem": "geo",
                    "zlevel": 1,
                    "data": [
                        {
                            "coords": [list(ends[0]), list(ends[1])],
                            "label": f"{p['yard']} → {p['plant']} · {p['road_km']:.1f} km",
                        }
                    ],
                    "lineStyle": {"color": "#3d4f7a", "width": 2, "curveness": 0.2},
                    "effect": {"show": True, "symbol": "arrow", "symbolSize": 7, "period": 3},
                }
            ],
        }
    )


async def prefectures(request: Request) -> Response:
    """Prefecture outlines alone, cacheable: every small map on a page shares one download."""
    await require_actor(request)
    from geo.regions import load_regions

    return JSONResponse(
        load_regions().prefecture_geojson(), headers={"Cache-Control": "private, max-age=86400"}
    )


# ----------------------------------------------------------------------------- match runs


async def _runs_page(request: Request, actor: Actor, form: Form = BLANK) -> Response:
    pg = paging.parse(request.query_params, default_limit=50, max_limit=200)

    def read(session: Any) -> dict[str, Any]:
        runs = views.list_match_runs(session, actor, **pg.window())
        total = views.count_match_runs(session, actor)
        return {
            "runs": runs,
            "pager": paging.Pager("/match-runs", total, pg, len(runs)),
            "schedule": schedule.get_schedule(session),
        }

    ctx = await run_read(request, read)
    return page(request, "market/match_runs.html", ctx, form=form, block="schedule_form")


async def match_runs(request: Request) -> Response:
    return await _runs_page(request, await require_actor(request))


async def match_run_start(request: Request) -> Response:
    actor = await require_actor(request)
    await posted(request)
    db, settings = db_of(request), settings_of(request)
    if await run_in_threadpool(jobs.is_large, db, settings):
        # a worker solves it; the job's page shows its progress, then opens the run
        job = await run_in_threadpool(jobs.start_match_run, db, actor, settings, None)
        return done(request, f"/jobs/{job.id}")
    # the solve runs outside any transaction (run_match reads, solves, then writes)
    run = await run_in_threadpool(matching.run_match, db, actor, settings, None)
    return done(request, f"/match-runs/{run.id}", run)


async def match_schedule(request: Request) -> Response:
    actor = await require_actor(request)
    form = await posted(request)
    return await submit(
        request,
        form,
        lambda uow: schedule.set_schedule(uow, actor, form.values.get("every_hours", "")),
        then=lambda _setting: "/match-runs",
        refused=lambda f: _runs_page(request, actor, f),
    )


RUN_PAGE = 100


async def match_run_detail(request: Request) -> Response:
    """A run's headline, then its proposals and its unmatched lots, each paged on its own
    (`page`, `unmatched_page`)."""
    actor = await require_actor(request)
    run_id = path_id(request)
    pages = ("page", "unmatched_page")
    shown = {
        name: listing(request, default_limit=RUN_PAGE, max_limit=500, page_param=name, extra=pages)
        for name in pages
    }
    run = await run_read(
        request,
        views.match_run_public,
        actor,
        run_id,
        proposals=(shown["page"].paging.limit, shown["page"].paging.offset),
        unmatched=(shown["unmatched_page"].paging.limit, shown["unmatched_page"].paging.offset),
    )
    for u in run["unmatched"]:
        key = str(u.get("lot", ""))
        u["lot_id"] = int(key[1:]) if key[1:].isdigit() else None
    here = f"/match-runs/{run_id}"
    pagers = {
        "proposals": shown["page"].pager(
            here, run["proposals_total"], len(run["proposals"]), anchor="run-proposals"
        ),
        "unmatched": shown["unmatched_page"].pager(
            here,
            run["unmatched_total"],
            len(run["unmatched"]),
            name="unmatched_page",
            anchor="run-unmatched",
        ),
    }
    return page(request, "market/match_run.html", {"run": run, "pagers": pagers})


# ----------------------------------------------------------------------------- schedule loop


async def schedule_loop(db: Database, settings: Settings, every_s: float = 60.0) -> None:
    """Checks the match schedule once a minute for the life of the app (one per worker; the
    schedule's row lock lets only one of them start a run)."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await run_in_threadpool(schedule.run_if_due, db, settings)
        except Exception:  # noqa: BLE001 - a failed check must not end the loop
            log.exception("scheduled match run failed")


def routes() -> list[BaseRoute]:
    return [
        Route("/yards", yards, methods=["GET"]),
        Route("/yards", yards_post, methods=["POST"]),
        Route("/my/plants", plants, methods=["GET"]),
        Route("/my/plants", plants_post, methods=["POST"]),
        Route("/my/lots", my_lots, methods=["GET"]),
        Route("/my/lots", my_lots_post, methods=["POST"]),
        Route("/my/lots/assay", assay_fields, methods=["GET"]),
        Route("/lots/{id:int}", lot_detail, methods=["GET"]),
        Route("/lots/{id:int}/edit", lot_edit, methods=["POST"]),
        Route("/lots/{id:int}/withdraw", lot_withdraw, methods=["POST"]),
        Route("/bids", bids, methods=["GET"]),
        Route("/bids/{id:int}/accept", bid_accept, methods=["POST"]),
        Route("/bids/{id:int}/reject", bid_reject, methods=["POST"]),
        Route("/bids/{id:int}/withdraw", bid_withdraw, methods=["POST"]),
        Route("/contracts", contracts, methods=["GET"]),
        Route("/contracts/{id:int}", contract_detail, methods=["GET"]),
        Route("/contracts/{id:int}/dispatch", contract_dispatch, methods=["POST"]),
        Route("/deliveries/{id:int}/resolve", delivery_resolve, methods=["POST"]),
        Route("/deliveries/{id:int}/receipt", delivery_receipt, methods=["POST"]),
        Route("/receipts", receipts, methods=["GET"]),
        Route("/ledger", ledger_page, methods=["GET"]),
        Route("/ledger/{id:int}", ledger_post, methods=["POST"]),
        Route("/ledger/export.{fmt:str}", ledger_export, methods=["GET", "POST"]),
        Route("/offers", offers_page, methods=["GET"]),
        Route("/offers", offers_post, methods=["POST"]),
        Route("/offers/spec", offer_spec, methods=["GET"]),
        Route("/offers/{id:int}/withdraw", offer_withdraw, methods=["POST"]),
        Route("/proposals", proposals, methods=["GET"]),
        Route("/proposals/{id:int}/bid", proposal_bid, methods=["POST"]),
        Route("/proposals/{id:int}/map.json", proposal_map, methods=["GET"]),
        Route("/map/prefectures.json", prefectures, methods=["GET"]),
        Route("/match-runs", match_runs, methods=["GET"]),
        Route("/match-runs", match_run_start, methods=["POST"]),
        Route("/match-runs/schedule", match_schedule, methods=["POST"]),
        Route("/match-runs/{id:int}", match_run_detail, methods=["GET"]),
    ]
