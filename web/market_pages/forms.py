"""The request plumbing every marketplace page shares: the posted form and its files, refusals shown
beside the field they name, `done` (303 or HX-Redirect with a flash), rendering a page or its
htmx block, and list pages (filters, paging, sorting)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import clock, views
from market.auth import Actor
from market.catalogue import catalogue
from market.db import UnitOfWork
from market.errors import Conflict, DomainError, InvalidInput
from market.services import (
    documents,
)
from web import flash, i18n, paging
from web.api import db_of, path_id, refuse_large_upload, run_uow, settings_of
from web.i18n import translate
from web.paging import Pager, Paging
from web.render import lang_of, render
from web.routing import Routes
from web.security import CSRF_FIELD, check_csrf, require_actor

REFUSALS = (InvalidInput, Conflict)


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


async def posted_with_file(
    request: Request, file_field: str, form_id: str = ""
) -> tuple[Form, tuple[bytes, str] | None]:
    """A multipart form with at most one file (evidence): the typed values, and the file's
    content and name when one was chosen. Refused by its declared length before it is read."""
    limit = settings_of(request).max_upload_bytes
    refuse_large_upload(request, limit)
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
    if field_name is not None and field_name in form.values:
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


Fields = Iterable[str] | Callable[[Mapping[str, str]], dict[str, Any]]
ItemPage = Callable[[Request, Actor, int, Form], Awaitable[Response]]
Then = str | Callable[[Any], str]


def _data(values: Mapping[str, str], fields: Fields) -> dict[str, Any]:
    """A form's data for its service: the named fields, or what a function makes of the values."""
    return fields(values) if callable(fields) else pick(values, fields)


def _after(then: Then, item: int | None = None) -> Callable[[Any], str]:
    """Where a done form redirects: a function of the service's result, or a fixed target (with
    `{id}` the item's id)."""
    if callable(then):
        return then
    target = then if item is None else then.format(id=item)
    return lambda _result: target


async def on_form(
    request: Request,
    fields: Fields,
    write: Callable[[UnitOfWork, Actor, dict[str, Any]], Any],
    *,
    then: Then,
    refused: Callable[[Request, Actor, Form], Awaitable[Response]],
) -> Response:
    """A page's own form (a lot, an offer, a site ...): its `fields` go to `write(uow, actor,
    data)`; a refusal re-renders the page (`refused(request, actor, form)`)."""
    actor = await require_actor(request)
    form = await posted(request)
    data = _data(form.values, fields)
    return await submit(
        request,
        form,
        lambda uow: write(uow, actor, data),
        then=_after(then),
        refused=lambda f: refused(request, actor, f),
    )


async def on_item(
    request: Request,
    form_id: str,
    fields: Fields,
    write: Callable[[UnitOfWork, Actor, int, dict[str, Any]], Any],
    *,
    then: Then,
    refused: ItemPage,
    evidence: bool = False,
) -> Response:
    """A form about the item the path names (form id `form_id`, with `{id}` the item's id, which
    tells apart one form per item on a page): its `fields` go to `write(uow, actor, id, data)`;
    a refusal re-renders the form (`refused(request, actor, id, form)`, the item's page). A
    `then` given as text is the redirect's target, with `{id}` the item's id.

    A form with `evidence` cites a document: `evidence_file`, uploaded in the same unit of work,
    or the id kept from before; its id goes in `data["evidence"]`."""
    actor = await require_actor(request)
    item = path_id(request)
    if evidence:
        form, upload = await posted_with_file(request, "evidence_file", form_id.format(id=item))
    else:
        form, upload = await posted(request, form_id.format(id=item)), None
    data = _data(form.values, fields)
    limit = settings_of(request).max_upload_bytes

    def call(uow: UnitOfWork) -> Any:
        cited = {"evidence": uploaded_evidence(uow, actor, form, upload, limit)} if evidence else {}
        return write(uow, actor, item, data | cited)

    return await submit(
        request,
        form,
        call,
        then=_after(then, item),
        refused=lambda f: refused(request, actor, item, f),
    )


def whole_list(show: Callable[[Request, Actor, Form], Awaitable[Response]]) -> ItemPage:
    """The list a refused form about one of its items comes back on (a review queue): the whole
    page, the form kept by its id."""
    return lambda request, actor, _item, form: show(request, actor, form)


ItemWrite = Callable[[UnitOfWork, Actor, int, dict[str, Any]], Any]


@dataclass(frozen=True)
class ItemForm:
    """One POST form about the item its path names, as a row of a module's table (see `on_item`
    for `form_id`, `fields`, `then`, `refused` and `evidence`). It is served at `path` under the
    endpoint `name`, on which web/flash.py keys the message of a done form. `write(request)`
    gives the service call: most need nothing from the request (`as_is`), some this worker's
    settings or seal key."""

    path: str
    name: str
    form_id: str
    fields: Fields
    write: Callable[[Request], ItemWrite]
    then: Then
    refused: ItemPage
    evidence: bool = False

    async def handle(self, request: Request) -> Response:
        return await on_item(
            request,
            self.form_id,
            self.fields,
            self.write(request),
            then=self.then,
            refused=self.refused,
            evidence=self.evidence,
        )


def as_is(write: ItemWrite) -> Callable[[Request], ItemWrite]:
    """A service call that needs nothing from the request."""
    return lambda _request: write


@dataclass(frozen=True)
class ItemButton:
    """One button about the item its path names (withdraw, reject ...), as a row like
    `ItemForm`'s: see `act` for `change`, `then` and `refused`."""

    path: str
    name: str
    change: Callable[[UnitOfWork, Actor, int], Any]
    then: str
    refused: Callable[[Request, Actor, int, str], Awaitable[Response]]

    async def handle(self, request: Request) -> Response:
        return await act(request, self.change, then=self.then, refused=self.refused)


def post_item_forms(routes: Routes, *forms: ItemForm | ItemButton) -> None:
    """Serve each form's or button's POST, in the table's order, under the row's name (the
    route name web/flash.py finds a done action's message by)."""
    for form in forms:
        routes.post(form.path, name=form.name)(form.handle)


Shows = TypeVar("Shows", bound=Callable[..., Awaitable[Response]])


def serves(
    routes: Routes, path: str, *roles: str, name: str | None = None
) -> Callable[[Shows], Shows]:
    """GET `path` answers with the decorated page: `show(request, actor)`, or `show(request,
    actor, id)` when the path names an item (`{id:int}`), for the signed-in actor (who must hold
    one of `roles`, when any are given). The page itself is returned as it was: the forms on it
    re-render it when refused."""

    def register(show: Shows) -> Shows:
        async def handler(request: Request) -> Response:
            actor = await require_actor(request)
            if roles:
                actor.require(*roles)
            items = (path_id(request),) if "{id:int}" in path else ()
            response: Response = await show(request, actor, *items)
            return response

        handler.__name__ = name or getattr(show, "__name__", "page").lstrip("_")
        routes.get(path, name=handler.__name__)(handler)
        return show

    return register


Fragment = Callable[[Request, str], Awaitable[Response]]


def material_fragment(routes: Routes, path: str, back: str) -> Callable[[Fragment], Fragment]:
    """GET `path` answers with the inputs a form shows for the material chosen in it, which htmx
    swaps in when the choice changes: `show(request, material)`, the material "" when the
    catalogue has no such one. A plain GET (no htmx) goes to the form's page `back` instead,
    with the material chosen."""

    def register(show: Fragment) -> Fragment:
        async def handler(request: Request) -> Response:
            await require_actor(request)
            if not is_htmx(request):
                material = request.query_params.get("material", "")
                return RedirectResponse(
                    f"{back}?{urlencode({'material': material})}", status_code=303
                )
            return await show(request, chosen_material(request, BLANK))

        handler.__name__ = show.__name__.lstrip("_")
        handler.__doc__ = show.__doc__
        routes.get(path)(handler)
        return show

    return register


async def act(
    request: Request,
    change: Callable[[UnitOfWork, Actor, int], Any],
    *,
    then: str,
    refused: Callable[[Request, Actor, int, str], Awaitable[Response]],
) -> Response:
    """A button about the item the path names (withdraw, reject ...): `change(uow, actor, id)`;
    done, to `then` (with `{id}` the item's id); refused, the page it was pressed on with the
    reason (`refused(request, actor, id, message)`)."""
    actor = await require_actor(request)
    item = path_id(request)
    await posted(request)
    try:
        await run_uow(request, lambda uow: change(uow, actor, item))
    except REFUSALS as exc:
        return await refused(request, actor, item, refusal(request, exc))
    return done(request, then.format(id=item))


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
    alert: str | None = None,
) -> Response:
    """The page (or for htmx its `block`), 422 when the form comes back refused; an `alert` is
    a button's refusal shown at the top of the page, answered 409."""
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
    if alert is not None:
        ctx["alert"] = alert
        status_code = status_code or (409 if alert else None)
    status = status_code or (422 if form.errors else 200)
    return render(request, name, ctx, block=block, status_code=status)


def _options(rows: Iterable[Mapping[str, Any]], value: str, text: str) -> list[tuple[Any, Any]]:
    return [(r[value], r[text]) for r in rows]


def chosen_material(request: Request, form: Form) -> str:
    """The material a form's inputs follow: as typed, else as the link asked; "" if unknown."""
    material = form.values.get("material") or request.query_params.get("material") or ""
    return material if material in catalogue().materials else ""


def translator(request: Request) -> Callable[[str], str]:
    lang = lang_of(request)
    return lambda text: translate(text, lang)


def now_cst_input() -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M")


LIST_FILTERS = ("status", "material", "from", "to")


@dataclass(frozen=True)
class Listing:
    """A list's request, checked: which page, filtered how, and the filters as sent (kept in
    the pager's links and the filter form)."""

    paging: Paging
    filter: views.ListFilter
    kept: dict[str, str]

    def pager(self, path: str, total: int, shown: int, **kw: Any) -> Pager:
        return Pager(path, total, self.paging, shown, self.kept, **kw)

    def shown(
        self, path: str, key: str, found: tuple[list[dict[str, Any]], int], statuses: Any
    ) -> dict[str, Any]:
        """A list page's context: the page of rows `found` (rows, total) under `key`, its pager,
        the filters as sent, and the `statuses` to filter by."""
        rows, total = found
        return {
            key: rows,
            "pager": self.pager(path, total, len(rows)),
            "filters": self.kept,
            "statuses": statuses,
        }


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
