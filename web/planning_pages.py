"""The regulator's planning tools: the drawdown planner and the siting analysis.

Handlers parse the form, call `market.planning` and render; a refused field re-renders the form
with what was typed and the message beside the field (422). Charts and the map are drawn by
app.js from data-* attributes (the CSP allows no inline script).
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from market import catalogue, planning
from market.errors import InvalidInput
from market.services import jobs
from web import i18n, jobs_pages
from web.api import MAX_BODY, db_of, settings_of
from web.errors import BadRequest
from web.i18n import refusal
from web.regulator.common import overseer
from web.render import lang_of, render
from web.routing import Routes
from web.security import check_csrf

routes = Routes()

MAX_UPLOAD = planning.MAX_ZONE_BYTES + MAX_BODY
"""The siting form's body limit: the zone file's cap plus an ordinary body (BodyLimit, in web.app,
refuses a larger one before the form is read)."""
TOP_YARDS_IN_CHART = 8
DEFAULT_MATERIALS = ("phosphogypsum",)


def _field(path: str | None) -> str:
    """The form field a refusal belongs to: `candidates[3].lat` → `candidates`."""
    if not path:
        return "_"
    name = re.split(r"[.\[]", path, maxsplit=1)[0]
    return {"spec": "use"}.get(name, name)


def _beside_fields(request: Request, exc: InvalidInput) -> dict[str, str]:
    """Every bad field's refusal beside the form field it belongs to (the first one's where two
    belong to the same), in the page's language."""
    errors: dict[str, str] = {}
    for each in exc.every():
        errors.setdefault(_field(each.field), refusal(each, lang_of(request)))
    return errors


# ----------------------------------------------------------------------------- planner


def _chart(material: dict[str, Any], months: list[str], lang: str) -> dict[str, Any]:
    """The stock lines of one material: the province, then its largest yards."""
    say = partial(i18n.gettext, lang=lang)
    now = say("now")
    yards = sorted(material["yards"], key=lambda y: (-y["stock_t"][0], y["yard"]))
    series = [{"name": say("Province total"), "data": material["stock_t"], "total": True}]
    for y in yards[:TOP_YARDS_IN_CHART]:
        series.append({"name": y["yard"], "data": y["stock_t"]})
    return {
        "x": [now, *months[1:]],
        "series": series,
        "zero": say("zero"),
        "unit": say("t"),
        "title": i18n.name_of(material, lang),
    }


def _planner_values(params: Any) -> dict[str, Any]:
    """What the form asks; a first visit plans phosphogypsum, a form with none ticked all."""
    submitted = "horizon_months" in params
    return {
        "horizon_months": params.get("horizon_months", str(planning.DEFAULT_HORIZON)),
        "materials": params.getlist("materials") if submitted else list(DEFAULT_MATERIALS),
        "renew_offers": params.get("renew_offers") in ("on", "true", "1"),
    }


def _drawdown_request(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "horizon_months": values["horizon_months"],
        "materials": values["materials"],
        "renew_offers": values["renew_offers"],
    }


@routes.get("/audit/planner")
async def planner_page(request: Request) -> Response:
    actor = await overseer(request)
    values = _planner_values(request.query_params)
    errors: dict[str, str] = {}
    plan: dict[str, Any] | None = None
    job = await jobs_pages.stored_result(request, actor, "drawdown")
    background = False
    if job is not None:  # a plan worked out in the background
        plan = job.result
        values = job.params["request"]
    elif await run_in_threadpool(jobs.is_large, db_of(request), settings_of(request)):
        background = True  # the form posts, and a worker plans
    else:
        try:
            plan = await request.app.state.planning_pool.run(
                planning.drawdown,
                db_of(request),
                actor,
                settings_of(request),
                _drawdown_request(values),
            )
        except InvalidInput as exc:
            errors = _beside_fields(request, exc)
    return _planner(request, values, errors, plan, background)


@routes.post("/audit/planner")
async def planner_post(request: Request) -> Response:
    """The planner as a job (the form posts here when the market is large)."""
    actor = await overseer(request)
    form = await request.form()
    check_csrf(request, form)
    values = _planner_values(form)
    try:
        job = await run_in_threadpool(
            jobs.start_drawdown,
            db_of(request),
            actor,
            settings_of(request),
            _drawdown_request(values),
        )
    except InvalidInput as exc:
        return _planner(request, values, _beside_fields(request, exc), None, True)
    return jobs_pages.to_job(request, job)


def _planner(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    plan: dict[str, Any] | None,
    background: bool,
) -> Response:
    lang = lang_of(request)
    charts = (
        {m["material"]: _chart(m, plan["months"], lang) for m in plan["materials"]} if plan else {}
    )
    plants = plan["plants"] if plan else []
    return _analysis(
        request,
        "planning/planner.html",
        values,
        errors,
        {
            "plan": plan,
            "charts": charts,
            "background": background,
            "bottlenecks": [p for p in plants if p["bottleneck"]],
            "others": [p for p in plants if not p["bottleneck"]],
            "catalogue": catalogue.catalogue(),
        },
    )


def _analysis(
    request: Request,
    template: str,
    values: dict[str, Any],
    errors: dict[str, str],
    answer: dict[str, Any],
) -> Response:
    """A planning page (its htmx block named after it): the form as typed with what was refused
    beside its fields (422), and the analysis's `answer`."""
    block = template.removeprefix("planning/").removesuffix(".html")
    return render(
        request,
        template,
        {"form": {"data": values, "errors": errors}, **answer},
        block=block,
        status_code=422 if errors else 200,
    )


# ----------------------------------------------------------------------------- siting


# how a candidate site came out: ranked, or left out (and why), each shown as its own list
CANDIDATE_STATUSES = ("ranked", "excluded", "unreachable")
SITING_DEFAULTS = {
    "material": "phosphogypsum",
    "capacity_t_per_year": "500000",
    "max_haul_km": "150",
    "buffer_km": "5",
    "source": "lots",
    "use": "",
    "candidates": "",
}


async def _read_upload(value: Any) -> bytes | None:
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    data = await value.read(planning.MAX_ZONE_BYTES + 1)
    await value.close()
    return data or None


async def _siting_form(request: Request) -> tuple[FormData, dict[str, Any], bytes | None]:
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise BadRequest("body: a Content-Length is required")
    form = await request.form(max_files=1, max_fields=20)
    values = {k: str(form.get(k) or "") for k in SITING_DEFAULTS}
    zones = await _read_upload(form.get("zones"))
    values["zones_name"] = getattr(form.get("zones"), "filename", "") or ""
    return form, values, zones


def _siting_request(values: dict[str, Any], zones: bytes | None) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "material": values["material"],
        "capacity_t_per_year": values["capacity_t_per_year"],
        "max_haul_km": values["max_haul_km"],
        "buffer_km": values["buffer_km"],
        "source": values["source"],
        "candidates": values["candidates"],
    }
    if zones is not None:
        raw["zones"] = zones
    if values["use"]:
        material = catalogue.material(values["material"])
        raw["spec"] = catalogue.use_spec(material, values["use"])
    return raw


def _map_points(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": c["name"],
            "lat": c["lat"],
            "lon": c["lon"],
            "status": c["status"],
            "rank": c["rank"],
            "extra_t": c["extra_matched_t"],
            "region": c["region"] or "",
            "zone": c["zones"][0]["zone"] if c["zones"] else "",
        }
        for c in result["candidates"]
    ]


@routes.route("/audit/siting", methods=["GET", "POST"])
async def siting_page(request: Request) -> Response:
    actor = await overseer(request)
    values: dict[str, Any] = dict(SITING_DEFAULTS) | {"zones_name": ""}
    errors: dict[str, str] = {}
    result: dict[str, Any] | None = None
    job = await jobs_pages.stored_result(request, actor, "siting")
    if job is not None:  # an analysis worked out in the background
        result = job.result
        values |= {k: str(v) for k, v in job.params["request"].items() if k in SITING_DEFAULTS}
    if request.method == "POST":
        form, values, zones = await _siting_form(request)
        check_csrf(request, form)
        try:
            raw = _siting_request(values, zones)
            if await run_in_threadpool(jobs.is_large, db_of(request), settings_of(request)):
                started = await run_in_threadpool(
                    jobs.start_siting, db_of(request), actor, settings_of(request), raw
                )
                return jobs_pages.to_job(request, started)
            result = await request.app.state.planning_pool.run(
                planning.siting_analysis, db_of(request), actor, settings_of(request), raw
            )
        except InvalidInput as exc:
            errors = _beside_fields(request, exc)
    cat = catalogue.catalogue()
    uses = [
        (code, i18n.name_of(m, lang_of(request)), m.uses)
        for code, m in cat.materials.items()
        if m.uses
    ]
    candidates = result["candidates"] if result else []
    return _analysis(
        request,
        "planning/siting.html",
        values,
        errors,
        {
            "result": result,
            **{s: [c for c in candidates if c["status"] == s] for s in CANDIDATE_STATUSES},
            "points": json.dumps(_map_points(result), ensure_ascii=False) if result else "[]",
            "catalogue": cat,
            "uses": uses,
            "sources": planning.SOURCES,
        },
    )
