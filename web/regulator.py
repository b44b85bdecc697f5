"""The regulator's desk: audit figures, 以用定产, a producer's ledger, the tamper check.

Pages call `market.audit` and render; the map and the drawdown chart fetch their JSON from the
endpoints here (the CSP allows no inline script, so app.js draws them from data-* attributes).
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from market import audit, clock, views
from market.auth import Actor
from market.catalogue import catalogue
from market.errors import InvalidInput
from market.services import jobs as job_service
from market.services.common import OVERSEERS
from web import i18n, jobs_pages
from web.api import db_of, json_object, path_id, query_int, run_read, settings_of
from web.audit_api import MAX_CHECKPOINT_BODY, period_param
from web.render import lang_of, render
from web.security import check_csrf, require_actor

METRICS = ("stock", "rate", "flags")
PAGE = 100
# the file, plus the form's token and the multipart framing around it
MAX_CHECKPOINT_UPLOAD = MAX_CHECKPOINT_BODY + 100_000


async def overseer(request: Request) -> Actor:
    actor = await require_actor(request)
    actor.require(*OVERSEERS)
    return actor


def _metric(raw: str | None) -> str:
    metric = raw or "stock"
    if metric not in METRICS:
        raise InvalidInput.about(
            "metric", metric, "is not one of {METRICS}", METRICS=", ".join(METRICS)
        )
    return metric


def _material(raw: str | None, default: str | None = None) -> str | None:
    if not raw:
        return default
    return audit.parse_scope({"material": raw}).material


def _period_context(session: Any, period: audit.Period | None) -> dict[str, Any]:
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


# ----------------------------------------------------------------------------- dashboard


async def dashboard(request: Request) -> Response:
    actor = await overseer(request)
    q = request.query_params
    period = period_param(q)
    metric = _metric(q.get("metric"))
    material = _material(q.get("material"), audit.PHOSPHOGYPSUM)
    settings = settings_of(request)

    def read(session: Any) -> dict[str, Any]:
        ctx = _period_context(session, period)
        chosen = ctx["period"]
        data = audit.summary(
            session,
            actor,
            chosen,
            circuity=settings.circuity,
            co2_kg_per_t_km=settings.co2_kg_per_t_km,
        )
        table = audit.phosphogypsum_table(session, actor, chosen)
        return ctx | {
            "summary": data,
            "flag_count": sum(len(r["flags"]) for r in table["rows"]),
            "flagged_producers": sum(1 for r in table["rows"] if r["flags"]),
            "producers": len(table["rows"]),
        }

    ctx = await run_read(request, read)
    label = ctx["period"].label
    ctx |= {
        "metric": metric,
        "material": material,
        "materials": catalogue().materials,
        "map_src": "/audit/map.json?" + query(period=label, metric=metric),
        "chart_src": "/audit/drawdown.json?" + query(period=label, material=material),
        "export": query(period=label),
    }
    return render(request, "regulator/dashboard.html", ctx, block="desk")


async def map_data(request: Request) -> Response:
    """The prefectures coloured by one metric, and the yards, in drawMap's shape."""
    actor = await overseer(request)
    q = request.query_params
    period = period_param(q)
    metric = _metric(q.get("metric"))
    lang = lang_of(request)
    say = partial(i18n.gettext, lang=lang)
    settings = settings_of(request)

    def read(session: Any) -> dict[str, Any]:
        chosen = period or audit.default_period(session)
        if metric == "flags":
            table = audit.phosphogypsum_table(session, actor, chosen)
            counts = audit.flags_by_prefecture(session, table)
            values = [{"name": k, "value": v} for k, v in counts.items()]
            label = say("以用定产 flags")
            extent: dict[str, Any] = {"regionMin": 0, "regionMax": max([1, *counts.values()])}
            extent |= {"regionGood": "low", "regionUnit": ""}
        else:
            data = audit.summary(
                session,
                actor,
                chosen,
                circuity=settings.circuity,
                co2_kg_per_t_km=settings.co2_kg_per_t_km,
            )
            if metric == "stock":
                values = [
                    {"name": r["prefecture"], "value": round(r["closing_stock_t"] / 1e4, 1)}
                    for r in data["by_prefecture"]
                ]
                label = say("Closing stock (10⁴ t)")
                extent = {"regionGood": "low", "regionUnit": say("× 10⁴ t")}
            else:
                values = [
                    {"name": r["prefecture"], "value": round(r["utilisation_rate"] * 100, 1)}
                    for r in data["by_prefecture"]
                    if r["utilisation_rate"] is not None
                ]
                label = say("Utilisation rate (%)")
                # a rate: high is good, so the ramp runs from warm (low) to green (high)
                extent = {"regionMin": 0, "regionMax": 100, "regionGood": "high", "regionUnit": "%"}
        yards = [
            {
                "name": s["name"],
                "organisation": s["organisation"],
                "kind": s["kind"],
                "lat": s["lat"],
                "lon": s["lon"],
                "prefecture": s["prefecture"],
                "county": s["county"],
            }
            for s in views.list_sites(session, actor, kind="yard")
        ]
        return {
            "period": chosen.label,
            "metric": metric,
            "sites": yards,
            "regionValues": values,
            "regionLabel": label,
        } | extent

    from geo.regions import load_regions

    data = await run_read(request, read)
    data["prefectures"] = load_regions().prefecture_geojson()
    return JSONResponse(data)


async def drawdown_data(request: Request) -> Response:
    """One material's monthly drawdown as a chart: flows and the required line on the left axis,
    the ledger's stock on the right, the selected period shaded."""
    actor = await overseer(request)
    q = request.query_params
    period = period_param(q)
    material = _material(q.get("material"), audit.PHOSPHOGYPSUM)
    assert material is not None
    lang = lang_of(request)
    say = partial(i18n.gettext, lang=lang)

    def read(session: Any) -> tuple[dict[str, Any], audit.Period]:
        series = audit.drawdown(session, actor, audit.Scope(material=material))
        return series, period or audit.default_period(session)

    data, chosen = await run_read(request, read)
    m = catalogue().materials[material]

    def wan(values: list[float | None]) -> list[float | None]:
        return [None if v is None else round(v / 1e4, 2) for v in values]

    pg = data["required_is"] == "consumption"
    if pg:
        required = say("Trajectory: minimum consumption")
    else:
        required = say("Target: minimum utilisation")
    series: list[dict[str, Any]] = [
        {"name": say("Generated"), "data": wan(data["generated_t"]), "type": "bar"},
        {"name": say("Consumed"), "data": wan(data["consumed_t"])},
    ]
    if not pg:
        series.append({"name": say("Utilised"), "data": wan(data["utilised_t"])})
    series += [
        {"name": required, "data": wan(data["required_t"]), "dashed": True},
        {"name": say("Stock"), "data": wan(data["closing_stock_t"]), "axis": 1},
    ]
    out: dict[str, Any] = {
        "title": i18n.name_of(m, lang),
        "x": data["months"],
        "axes": [
            say("Monthly (10⁴ t)"),
            say("Stock (10⁴ t)"),
        ],
        "series": series,
        "highlight": [f"{chosen.start:%Y-%m}", f"{chosen.end:%Y-%m}"],
    }
    return JSONResponse(out)


# ----------------------------------------------------------------------------- 以用定产


async def phosphogypsum_page(request: Request) -> Response:
    actor = await overseer(request)
    period = period_param(request.query_params)

    def read(session: Any) -> dict[str, Any]:
        ctx = _period_context(session, period)
        return ctx | {"table": audit.phosphogypsum_table(session, actor, ctx["period"])}

    ctx = await run_read(request, read)
    ctx["export"] = query(period=ctx["period"].label)
    ctx["flag_names"] = FLAG_NAMES
    ctx["report_status_names"] = REPORT_STATUS_NAMES
    ctx["report_status_class"] = REPORT_STATUS_CLASS
    ctx["kind_names"] = KIND_NAMES
    return render(request, "regulator/phosphogypsum.html", ctx, block="desk")


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


# ----------------------------------------------------------------------------- drill-down


async def producer_page(request: Request) -> Response:
    return await _entries_page(request, path_id(request))


async def entries_page(request: Request) -> Response:
    return await _entries_page(request, None)


async def _entries_page(request: Request, org_id: int | None) -> Response:
    actor = await overseer(request)
    q = request.query_params
    period = period_param(q)
    scope_params = {k: q.get(k, "") for k in ("prefecture", "county", "material")}
    if org_id is not None:
        scope_params["organisation"] = str(org_id)
    else:
        scope_params["organisation"] = q.get("organisation", "")
    scope = audit.parse_scope(scope_params)
    kind = q.get("kind") or None
    audit.kinds_for(kind, audit.rules())
    offset = query_int(request, "offset", 0, 10**9)
    settings = settings_of(request)

    def read(session: Any) -> dict[str, Any]:
        ctx = _period_context(session, period)
        chosen = ctx["period"]
        org = None
        pg_row = None
        if scope.organisation_id is not None:
            org = audit.organisation_of(session, actor, scope.organisation_id)
            table = audit.phosphogypsum_table(session, actor, chosen)
            pg_row = next(
                (r for r in table["rows"] if r["organisation_id"] == scope.organisation_id), None
            )
        # the figures of every material in the scope, whichever one the listing is filtered to
        figures = audit.summary(
            session,
            actor,
            chosen,
            audit.Scope(scope.prefecture_code, scope.county_code, scope.organisation_id),
            circuity=settings.circuity,
            co2_kg_per_t_km=settings.co2_kg_per_t_km,
        )
        listing = audit.ledger_entries(
            session, actor, chosen, scope, kind=kind, limit=PAGE, offset=offset
        )
        return ctx | {"org": org, "pg_row": pg_row, "figures": figures, "listing": listing}

    ctx = await run_read(request, read)
    label = ctx["period"].label
    base = {
        "period": label,
        "prefecture": scope.prefecture_code,
        "county": scope.county_code,
        "material": scope.material,
    }
    if org_id is None:
        base["organisation"] = scope.organisation_id
    here = f"/audit/producers/{org_id}" if org_id is not None else "/audit/entries"

    def link(**change: Any) -> str:
        params = base | {"kind": kind} | change
        return here + "?" + query(**params) + "#entries"

    listing = ctx["listing"]
    ctx |= {
        "here": here,
        "kind": kind,
        "scope": scope,
        "link": link,
        "materials": catalogue().materials,
        "export": query(**(base | {"organisation": scope.organisation_id, "kind": kind})),
        "export_large": listing["count"] > request.app.state.settings.inline_max_export_rows,
        "prev_offset": max(offset - PAGE, 0) if offset > 0 else None,
        "next_offset": offset + PAGE if offset + PAGE < listing["count"] else None,
        "flag_names": FLAG_NAMES,
        "figure_names": FIGURE_NAMES,
        "kind_names": KIND_NAMES,
    }
    return render(request, "regulator/entries.html", ctx, block="entries")


# ----------------------------------------------------------------------------- verification


async def verify_page(request: Request) -> Response:
    """The tamper check; a POST compares the ledger with an uploaded checkpoint (the JSON of an
    earlier check), and a file that cannot be read re-renders the page with one line saying why."""
    actor = await overseer(request)
    raw = request.query_params.get("organisation", "")
    organisation = audit.parse_scope({"organisation": raw}).organisation_id
    refusal = None
    if request.method == "POST":
        try:
            checkpoint = await _checkpoint_upload(request)
            comparison = await run_read(request, audit.compare_checkpoint, actor, checkpoint)
        except InvalidInput as exc:
            refusal = i18n.refusal(exc, lang_of(request))
        else:
            ctx = _verify_context() | {
                "result": comparison["verification"],
                "org": None,
                "comparison": comparison,
                "changed": _changed_first(comparison["sites"]),
            }
            return render(request, "regulator/verify.html", ctx)

    job = await jobs_pages.stored_result(request, actor, "verify")
    if job is None and request.method == "GET" and organisation is None:
        if await run_read(request, _ledger_size) > VERIFY_INLINE_MAX_ENTRIES:
            return jobs_pages.start_page(
                request, "Ledger verification", "/audit/verify/jobs", VERIFY_IN_BACKGROUND, {}
            )

    def read(session: Any) -> dict[str, Any]:
        org = None
        scope = job.params.get("organisation_id") if job else organisation
        if scope is not None:
            org = audit.organisation_of(session, actor, scope)
        if job is not None:
            return {"result": job.result, "org": org}
        return {"result": audit.verify(session, actor, organisation), "org": org}

    ctx = await run_read(request, read) | _verify_context() | {"checkpoint_error": refusal}
    return render(
        request, "regulator/verify.html", ctx, status_code=200 if refusal is None else 422
    )


VERIFY_INLINE_MAX_ENTRIES = 50_000
"""Past this many ledger entries the page checks them as a job (the full check of 288,000
took 27 s in a request)."""
VERIFY_IN_BACKGROUND = (
    "The ledger is large: the full check runs in the background and this page follows it."
)


def _ledger_size(session: Any) -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from market.tables import LedgerEntry

    return int(session.exec(select(func.count()).select_from(LedgerEntry)).one())


async def verify_job(request: Request) -> Response:
    """The full tamper check as a job; its page follows it and shows the result here."""
    actor = await overseer(request)
    check_csrf(request, await request.form())
    raw = request.query_params.get("organisation", "")
    organisation = audit.parse_scope({"organisation": raw}).organisation_id
    job = await run_in_threadpool(
        job_service.start_verify, db_of(request), actor, settings_of(request), organisation
    )
    return jobs_pages.to_job(request, job)


CHECKPOINT_ROWS = 500
STATUS_CLASS = {
    "unchanged": "ok",
    "extended": "ok",
    "new": "reserved",
    "rewritten": "flag",
    "truncated": "flag",
    "site_missing": "flag",
}
STATUS_NAMES = {
    "unchanged": "Unchanged",
    "extended": "Extended",
    "new": "New since the checkpoint",
    "rewritten": "Rewritten",
    "truncated": "Truncated",
    "site_missing": "Site missing",
}


def _changed_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every yard that is not as at the checkpoint, what a regulator must look at first."""
    order = ("rewritten", "truncated", "site_missing", "new", "extended")
    return sorted(
        (r for r in rows if r["status"] != "unchanged"),
        key=lambda r: (order.index(r["status"]), r["site_id"]),
    )


def _verify_context() -> dict[str, Any]:
    return {
        "today": f"{clock.today():%Y%m%d}",
        "status_class": STATUS_CLASS,
        "status_names": STATUS_NAMES,
        "checkpoint_rows": CHECKPOINT_ROWS,
        "checkpoint_error": None,
    }


async def _checkpoint_upload(request: Request) -> dict[str, Any]:
    """The uploaded file as a JSON object, after the form's CSRF token is checked."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise InvalidInput("file: a Content-Length is required", field="file")
    if int(declared) > MAX_CHECKPOINT_UPLOAD:
        raise InvalidInput(
            "file: {int_declared:,} bytes, at most {MAX_CHECKPOINT_BODY:,} allowed",
            field="file",
            int_declared=int(declared),
            MAX_CHECKPOINT_BODY=MAX_CHECKPOINT_BODY,
        )
    # leaving the block closes the spooled upload, whether or not it was read
    async with request.form(max_files=1, max_fields=5) as form:
        check_csrf(request, form)
        upload = form.get("checkpoint")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput(
                "file: none chosen; choose the JSON of an earlier check", field="file"
            )
        data = await upload.read(MAX_CHECKPOINT_BODY + 1)
    if len(data) > MAX_CHECKPOINT_BODY:
        raise InvalidInput(
            "file: more than {MAX_CHECKPOINT_BODY:,} bytes",
            field="file",
            MAX_CHECKPOINT_BODY=MAX_CHECKPOINT_BODY,
        )
    if not data.strip():
        raise InvalidInput("file: is empty; choose the JSON of an earlier check", field="file")
    try:
        # a UTF-8 byte-order mark is what some editors put in front of a saved file
        return json_object(data.removeprefix(b"\xef\xbb\xbf"))
    except InvalidInput as exc:
        raise InvalidInput(
            "file: {inner}; choose the JSON of an earlier check, not its CSV or Excel export",
            field="file",
            inner=exc,
        ) from None


def routes() -> list[BaseRoute]:
    return [
        Route("/audit", dashboard, methods=["GET"]),
        Route("/audit/map.json", map_data, methods=["GET"]),
        Route("/audit/drawdown.json", drawdown_data, methods=["GET"]),
        Route("/audit/phosphogypsum", phosphogypsum_page, methods=["GET"]),
        Route("/audit/producers/{id:int}", producer_page, methods=["GET"]),
        Route("/audit/entries", entries_page, methods=["GET"]),
        Route("/audit/verify", verify_page, methods=["GET", "POST"]),
        Route("/audit/verify/jobs", verify_job, methods=["POST"]),
    ]
