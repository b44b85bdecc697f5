"""Deliveries after dispatch: receipts at the plant, disputes and how they were settled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from market import views
from market.auth import Actor
from market.services import (
    deliveries,
)
from market.tables import Settlement
from web.api import run_read, settings_of
from web.market_pages.forms import (
    BLANK,
    Form,
    ItemForm,
    ItemPage,
    ItemWrite,
    is_htmx,
    listing,
    page,
    post_item_forms,
    serves,
)
from web.routing import Routes

routes = Routes()


def _disputed_for(
    session: Session, actor: Actor, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
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


def settlements_of(session: Session, delivery_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
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


def _delivery_row(session: Session, actor: Actor, delivery_id: int) -> dict[str, Any] | None:
    rows = views.list_deliveries(session, actor, None, delivery_id=delivery_id)
    return rows[0] if rows else None


def _delivery_refused(
    template: str, whole_page: Callable[[Request, Actor, Form], Awaitable[Response]]
) -> ItemPage:
    """A refused delivery form: htmx swaps just that delivery's form back in, else the page."""

    async def refused(request: Request, actor: Actor, delivery_id: int, f: Form) -> Response:
        if is_htmx(request):
            d = await run_read(request, _delivery_row, actor, delivery_id)
            if d is not None:
                proposals = await run_read(request, settlements_of, [delivery_id])
                d["proposals"] = proposals.get(delivery_id, [])
                return page(request, template, {"d": d}, form=f)
        return await whole_page(request, actor, f)

    return refused


RECEIPT_SECTIONS = (("pending", "dispatched"), ("disputed", "disputed"), ("received", "received"))


@serves(routes, "/receipts", "recycler")
async def _receipts_page(request: Request, actor: Actor, form: Form = BLANK) -> Response:
    """Every delivery to the recycler's plants, in three paged lists: waiting for the
    weighbridge, disputed, received (each newest first, filtered by material and date)."""
    pages = tuple(f"{name}_page" for name, _ in RECEIPT_SECTIONS)
    sections = {
        name: listing(request, page_param=f"{name}_page", extra=pages)
        for name, _ in RECEIPT_SECTIONS
    }

    def read(session: Session) -> dict[str, Any]:
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


def _confirm_receipt(request: Request) -> ItemWrite:
    """A receipt, weighed against this worker's tolerances."""
    settings = settings_of(request)
    return lambda uow, actor, item, data: deliveries.confirm_receipt(
        uow, actor, item, data, settings
    )


post_item_forms(
    routes,
    ItemForm(
        "/deliveries/{id:int}/receipt",
        "delivery_receipt",
        "receipt-{id}",
        ("received_tonnes", "note"),
        _confirm_receipt,
        then="/receipts",
        refused=_delivery_refused("market/_receipt_form.html", _receipts_page),
    ),
)
