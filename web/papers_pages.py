"""The papers on the pages: the receipt page a manifest's QR code opens (made for a phone at the
weighbridge), a day's trucks at once, the printable 台账, the lot's lab report."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import clock, statutory
from market.auth import Actor
from market.db import UnitOfWork
from market.documents import sniff
from market.errors import InvalidInput, NotFound
from market.papers import facts, service
from market.services import documents
from market.tables import Document, Lot, Site
from web import i18n
from web.api import path_id, run_read, settings_of
from web.market_pages import (
    BLANK,
    Form,
    ItemForm,
    _contract_page,
    as_is,
    page,
    pick,
    post_item_forms,
    posted_with_file,
    serves,
    submit,
)
from web.papers_api import receipt_url
from web.render import lang_of
from web.routing import Routes
from web.security import require_actor

routes = Routes()

# ----------------------------------------------------------------------------- receipt


@serves(routes, "/deliveries/{id:int}/receipt")
async def _receipt_page(
    request: Request, actor: Actor, delivery_id: int, form: Form = BLANK
) -> Response:
    def read(session: Session) -> dict[str, Any]:
        d = facts.delivery_facts(session, actor, delivery_id)
        return {"d": d, "ticket": facts.ticket_of(session, delivery_id)}

    ctx = await run_read(request, read)
    d = ctx["d"]
    ctx |= {
        "is_recycler": actor.role == "recycler"
        and actor.organisation_id == d.contract.recycler.organisation_id,
        "receipt_url": receipt_url(request, delivery_id),
        "code": d.contract.waste_code or _not_verified(request),
        "cst": facts.cst,
    }
    return page(request, "papers/receipt.html", ctx, form=form)


@dataclass(frozen=True)
class _Paper:
    """The file a step comes with (a weighbridge ticket's photo, a lab report), if one was
    chosen."""

    upload: tuple[bytes, str] | None
    limit: int

    def store(self, uow: UnitOfWork, actor: Actor) -> Document | None:
        """The file, uploaded in batch mode: its commit only flushes, so the step it belongs to
        commits both together, or neither."""
        if self.upload is None:
            return None
        batch, uow.batch = uow.batch, True
        try:
            doc: Document = documents.upload(
                uow, actor, content=self.upload[0], filename=self.upload[1], max_bytes=self.limit
            )
        finally:
            uow.batch = batch
        return doc


async def _step_with_paper(
    request: Request,
    file_field: str,
    form_id: str,
    step: Callable[[UnitOfWork, Actor, int, Form, _Paper], Any],
    *,
    then: str,
    refused: Callable[[Request, Actor, int, Form], Awaitable[Response]],
) -> Response:
    """A form about the item the path names that sends a paper's file along (`file_field`):
    `step(uow, actor, id, form, paper)` in one unit of work; a refusal re-renders the page
    (`refused(request, actor, id, form)`), else to `then` (with `{id}` the item's id)."""
    actor = await require_actor(request)
    item = path_id(request)
    form, upload = await posted_with_file(request, file_field, form_id)
    paper = _Paper(upload, settings_of(request).max_upload_bytes)
    return await submit(
        request,
        form,
        lambda uow: step(uow, actor, item, form, paper),
        then=lambda _r: then.format(id=item),
        refused=lambda f: refused(request, actor, item, f),
    )


@routes.post("/deliveries/{id:int}/weighbridge")
async def weighbridge(request: Request) -> Response:
    """The clerk's one step: tonnes confirmed and the ticket attached together, or neither."""
    settings = settings_of(request)

    def step(uow: UnitOfWork, actor: Actor, delivery_id: int, form: Form, ticket: _Paper) -> Any:
        if ticket.upload is not None and sniff(ticket.upload[0]) not in service.TICKET_TYPES:
            raise InvalidInput.about(
                "ticket_file", ticket.upload[1], "is not a picture or a PDF (judged by its content)"
            )
        stored = ticket.store(uow, actor)
        ticket_id = stored.id if stored is not None else None
        if form.values.get("ticket_only") == "1":
            if ticket_id is None:
                raise InvalidInput("ticket_file: choose the ticket's photo", field="ticket_file")
            return service.attach_ticket(uow, actor, delivery_id, ticket_id)
        receipt = pick(form.values, ("received_tonnes", "note"))
        return service.receive_with_ticket(uow, actor, delivery_id, receipt, ticket_id, settings)

    return await _step_with_paper(
        request,
        "ticket_file",
        "weighbridge",
        step,
        then="/deliveries/{id}/receipt",
        refused=_receipt_page,
    )


# ----------------------------------------------------------------------------- trucks


def _trucks_of(values: Mapping[str, str]) -> dict[str, Any]:
    """The trucks form's data: a pasted CSV, else one row of inputs a truck; the dispatch time
    when given."""
    csv_text = values.get("csv", "").strip()
    data: dict[str, Any] = (
        {"csv": csv_text}
        if csv_text
        else {"trucks": service.trucks_from_form(list(values.items()))}
    )
    if values.get("dispatched_at"):
        data["dispatched_at"] = values["dispatched_at"]
    return data


post_item_forms(
    routes,
    ItemForm(
        "/contracts/{id:int}/trucks",
        "contract_trucks",
        "trucks",
        _trucks_of,
        as_is(service.dispatch_trucks),
        then="/contracts/{id}#deliveries",
        refused=_contract_page,
    ),
)


# ----------------------------------------------------------------------------- 台账


async def _statutory(request: Request, scope_of: Any, target: int) -> Response:
    actor = await require_actor(request)
    q = request.query_params
    # the page opens on this year; the workbook's API route asks for the year outright
    period = statutory.parse_period(q.get("year") or str(clock.today().year), q.get("month"))

    def read(session: Session) -> dict[str, Any]:
        return statutory.build(session, scope_of(session, actor, target), period)

    data = await run_read(request, read)
    if data["site_id"]:
        xlsx = f"/api/v1/sites/{data['site_id']}/statutory-ledger.xlsx"
    else:
        xlsx = f"/api/v1/organisations/{data['organisation_id']}/statutory-ledger.xlsx"
    query = f"?year={period.year}" + (
        f"&month={period.start.month}" if period.kind == "month" else ""
    )
    ctx = {
        "t": data,
        "sheets": statutory.SHEETS,
        "cell": statutory.cell,
        "xlsx": xlsx + query,
        "year": period.year,
        "month": period.start.month if period.kind == "month" else None,
    }
    return page(request, "papers/statutory.html", ctx)


@routes.get("/yards/{id:int}/statutory")
async def yard_statutory(request: Request) -> Response:
    return await _statutory(request, statutory.scope_of_site, path_id(request))


@routes.get("/organisations/{id:int}/statutory")
async def organisation_statutory(request: Request) -> Response:
    return await _statutory(request, statutory.scope_of_organisation, path_id(request))


# ----------------------------------------------------------------------------- lab reports


@serves(routes, "/lots/{id:int}/lab-report")
async def _lab_panel(request: Request, actor: Actor, lot_id: int, form: Form = BLANK) -> Response:
    def read(session: Session) -> dict[str, Any]:
        if not service.may_read_lab_report(session, actor, lot_id):
            raise NotFound("lot: {lot_id} does not exist", field="lot", lot_id=lot_id)
        row = session.get(Lot, lot_id)
        site = session.get(Site, row.site_id) if row else None
        return {
            "lot_id": lot_id,
            "report": service.lab_report_of(session, lot_id),
            "own": site is not None
            and site.organisation_id == actor.organisation_id
            and actor.role == "producer",
        }

    ctx = await run_read(request, read)
    return page(request, "papers/_lab_report.html", ctx, form=form)


@routes.post("/lots/{id:int}/lab-report")
async def lab_report_post(request: Request) -> Response:
    def step(uow: UnitOfWork, actor: Actor, lot_id: int, _form: Form, report: _Paper) -> Any:
        doc = report.store(uow, actor)
        if doc is None:
            raise InvalidInput("lab_report_file: choose the report", field="lab_report_file")
        return service.attach_lab_report(uow, actor, lot_id, doc.id)

    return await _step_with_paper(
        request, "lab_report_file", "lab-report", step, then="/lots/{id}", refused=_lab_panel
    )


def _not_verified(request: Request) -> str:
    """A material whose national waste code is not yet checked against the catalogue."""
    return i18n.gettext("(not verified)", lang_of(request))
