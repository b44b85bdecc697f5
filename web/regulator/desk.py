"""The regulator's desk: audit figures, 以用定产 and a producer's ledger.

The map and the drawdown chart fetch their JSON from the endpoints here (the CSP allows no
inline script, so app.js draws them from data-* attributes).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market import audit, views
from market.catalogue import catalogue
from web import i18n
from web.api import path_id, query_int, run_read, settings_of
from web.audit_api import figures, period_param
from web.pages import map_point
from web.regulator.common import (
    FIGURE_NAMES,
    FLAG_NAMES,
    KIND_NAMES,
    REPORT_STATUS_CLASS,
    REPORT_STATUS_NAMES,
    overseer,
    parse_material,
    parse_metric,
    period_context,
    query,
)
from web.render import lang_of, render
from web.routing import Routes

routes = Routes()

PAGE = 100


# ----------------------------------------------------------------------------- dashboard


def _period_and_metric(q: Mapping[str, str]) -> tuple[audit.Period | None, str]:
    """The period a desk page is asked for, and the metric its map colours by."""
    return period_param(q), parse_metric(q.get("metric"))


@routes.get("/audit")
async def dashboard(request: Request) -> Response:
    actor = await overseer(request)
    q = request.query_params
    period, metric = _period_and_metric(q)
    material = parse_material(q.get("material"), audit.PHOSPHOGYPSUM)
    settings = settings_of(request)

    def read(session: Session) -> dict[str, Any]:
        ctx = period_context(session, period)
        chosen = ctx["period"]
        data = figures(session, actor, chosen, settings)
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


@routes.get("/audit/map.json", name="audit_map_data")
async def map_data(request: Request) -> Response:
    """The prefectures coloured by one metric, and the yards, in drawMap's shape."""
    actor = await overseer(request)
    q = request.query_params
    period, metric = _period_and_metric(q)
    lang = lang_of(request)
    say = partial(i18n.gettext, lang=lang)
    settings = settings_of(request)

    def read(session: Session) -> dict[str, Any]:
        chosen = period or audit.default_period(session)
        if metric == "flags":
            table = audit.phosphogypsum_table(session, actor, chosen)
            counts = audit.flags_by_prefecture(session, table)
            values = [{"name": k, "value": v} for k, v in counts.items()]
            label = say("以用定产 flags")
            extent: dict[str, Any] = {"regionMin": 0, "regionMax": max([1, *counts.values()])}
            extent |= {"regionGood": "low", "regionUnit": ""}
        else:
            data = figures(session, actor, chosen, settings)
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
        yards = [map_point(s) for s in views.list_sites(session, actor, kind="yard")]
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


@routes.get("/audit/drawdown.json")
async def drawdown_data(request: Request) -> Response:
    """One material's monthly drawdown as a chart: flows and the required line on the left axis,
    the ledger's stock on the right, the selected period shaded."""
    actor = await overseer(request)
    q = request.query_params
    period = period_param(q)
    material = parse_material(q.get("material"), audit.PHOSPHOGYPSUM)
    assert material is not None
    lang = lang_of(request)
    say = partial(i18n.gettext, lang=lang)

    def read(session: Session) -> tuple[dict[str, Any], audit.Period]:
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


@routes.get("/audit/phosphogypsum")
async def phosphogypsum_page(request: Request) -> Response:
    actor = await overseer(request)
    period = period_param(request.query_params)

    def read(session: Session) -> dict[str, Any]:
        ctx = period_context(session, period)
        return ctx | {"table": audit.phosphogypsum_table(session, actor, ctx["period"])}

    ctx = await run_read(request, read)
    ctx["export"] = query(period=ctx["period"].label)
    ctx["flag_names"] = FLAG_NAMES
    ctx["report_status_names"] = REPORT_STATUS_NAMES
    ctx["report_status_class"] = REPORT_STATUS_CLASS
    ctx["kind_names"] = KIND_NAMES
    return render(request, "regulator/phosphogypsum.html", ctx, block="desk")


# ----------------------------------------------------------------------------- drill-down


@routes.get("/audit/producers/{id:int}")
async def producer_page(request: Request) -> Response:
    return await _entries_page(request, path_id(request))


@routes.get("/audit/entries")
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

    def read(session: Session) -> dict[str, Any]:
        ctx = period_context(session, period)
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
        every_material = audit.Scope(
            scope.prefecture_code, scope.county_code, scope.organisation_id
        )
        found = figures(session, actor, chosen, settings, every_material)
        listing = audit.ledger_entries(
            session, actor, chosen, scope, kind=kind, limit=PAGE, offset=offset
        )
        return ctx | {"org": org, "pg_row": pg_row, "figures": found, "listing": listing}

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
