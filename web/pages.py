"""HTML pages. Handlers parse the form, call one service or view, and render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from sqlalchemy import text
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from market import views
from market.catalogue import catalogue
from market.errors import DomainError
from market.services import users
from web import paging
from web.api import db_of, run_read
from web.i18n import LANGS, refusal
from web.login import log_in
from web.render import lang_of, render
from web.routing import Routes
from web.security import SESSION_EPOCH, SESSION_USER, check_csrf, current_actor, require_actor

routes = Routes()


async def healthz(request: Request) -> Response:
    def ping() -> None:
        with db_of(request).read_session() as session:
            # sqlmodel types exec() for select() only; a text clause runs the same
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]

    try:
        await run_in_threadpool(ping)
    except Exception:
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "up"})


def _safe_next(target: str | None) -> str:
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@routes.get("/")
async def home(request: Request) -> Response:
    actor = await current_actor(request)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    from web.daily_pages import home_context

    return render(request, "home.html", await home_context(request, actor))


@routes.get("/favicon.ico")
async def favicon(request: Request) -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


@routes.route("/login", methods=["GET", "POST"])
async def login(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "login.html", {"next": request.query_params.get("next", "/")})
    form = await request.form()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    nxt = _safe_next(str(form.get("next", "/")))
    try:
        check_csrf(request, form)
        actor = await log_in(request, username, password)
    except DomainError as exc:
        return render(
            request,
            "login.html",
            {
                "error": refusal(exc, lang_of(request)),
                "username": username,
                "next": nxt,
            },
            status_code=400 if exc.code != "too_many_attempts" else 429,
        )
    request.session.clear()  # a fresh session (and CSRF token) at every login
    request.session[SESSION_USER] = actor.user_id
    request.session[SESSION_EPOCH] = actor.session_epoch
    if actor.must_change_password:
        return RedirectResponse("/account/password", status_code=303)
    return RedirectResponse(nxt, status_code=303)


@routes.post("/logout")
async def logout(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    actor = await current_actor(request)
    if actor is not None:

        def call() -> None:
            with db_of(request).unit_of_work() as uow:
                users.end_sessions(uow, actor)

        await run_in_threadpool(call)
        request.app.state.callers.forget_user(actor.user_id)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@routes.get("/lang/{lang}")
async def set_lang(request: Request) -> Response:
    lang = request.path_params["lang"]
    target = _safe_next(request.query_params.get("next"))
    response = RedirectResponse(target, status_code=303)
    if lang in LANGS:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response


MAP_POINT = ("name", "organisation", "kind", "lat", "lon", "prefecture", "county")


def map_point(site: dict[str, Any]) -> dict[str, Any]:
    """What app.js's drawMap shows of a site (a `views.list_sites` row)."""
    return {key: site[key] for key in MAP_POINT}


@routes.get("/map/data.json")
async def map_data(request: Request) -> Response:
    """Prefecture outlines and the sites on the market, for the ECharts map."""
    actor = await require_actor(request)
    from geo.regions import load_regions

    def read(session: Session) -> dict[str, Any]:
        sites = views.list_sites(session, actor, everyone=True)
        return {"sites": [map_point(s) for s in sites]}

    data = await run_read(request, read)
    data["prefectures"] = load_regions().prefecture_geojson()
    return JSONResponse(data)


@routes.get("/lots")
async def lots_page(request: Request) -> Response:
    actor = await require_actor(request)
    from web.market_pages import listing

    ls = listing(request, views.LOT_STATUSES)
    rows, total = await run_read(request, views.page_lots, actor, ls.filter, **ls.paging.window())
    return render(
        request,
        "lots.html",
        {
            "lots": rows,
            "materials": catalogue().materials,
            "material": ls.filter.material,
            "pager": ls.pager("/lots", total, len(rows)),
        },
        block="table",
    )


@routes.get("/plants")
async def plants_page(request: Request) -> Response:
    actor = await require_actor(request)

    pg = paging.parse(request.query_params, default_limit=50, max_limit=200)

    def read(session: Session) -> dict[str, Any]:
        plants, total = views.page_plants(session, **pg.window())
        by_site = views.open_offers_at_sites(session, actor, [p["id"] for p in plants])
        for p in plants:
            p["offers"] = by_site.get(p["id"], [])
        kept = paging.kept(request.query_params, ("limit",))
        return {"plants": plants, "pager": paging.Pager("/plants", total, pg, len(plants), kept)}

    return render(
        request, "plants.html", await run_read(request, read) | {"materials": catalogue().materials}
    )


@routes.get("/materials")
async def materials_page(request: Request) -> Response:
    await require_actor(request)
    cat = catalogue()
    return render(request, "materials.html", {"catalogue": cat})
