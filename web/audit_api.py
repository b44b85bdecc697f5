"""The regulator's audit under /api/v1/audit: figures, 以用定产, the drill-down, the chain check.

Regulators and operators only; anyone else gets 403. `?format=csv|xlsx` turns the figures, the
table, the entries and the chain check into a download (`lang` picks its headings); the drawdown
and the checkpoint comparison answer JSON only. Each route takes the query parameters its
operation below declares, and every other name is refused (`web/declared_query.py`).
POST /audit/verify/checkpoint only reads, but takes its checkpoint as a body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlmodel import Session
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market import audit, clock, exports
from market.auth import Actor
from market.errors import InvalidInput
from market.schemas import answers
from market.settings import Settings
from web import export_job, openapi
from web.api import json_object, overseer, query_int, run_read, seal_key_of, settings_of
from web.errors import BadRequest
from web.i18n import pick_lang
from web.routing import Routes

routes = Routes()

FORMATS = ("json", "csv", "xlsx")


def period_param(params: Mapping[str, str]) -> audit.Period | None:
    raw = params.get("period")
    return None if raw is None or raw == "" else audit.parse_period(raw)


def format_param(params: Mapping[str, str]) -> str:
    fmt = params.get("format") or "json"
    if fmt not in FORMATS:
        raise InvalidInput.about(
            "format", fmt, "is not one of {FORMATS}", FORMATS=", ".join(FORMATS)
        )
    return fmt


def json_only(params: Mapping[str, str]) -> None:
    """`?format=` of a route that answers JSON and nothing else: json or nothing."""
    if format_param(params) != "json":
        raise InvalidInput.about("format", params["format"], "is not answered here: only json")


def export_lang(request: Request) -> str:
    return pick_lang(request.query_params.get("lang") or request.cookies.get("lang"))


def answer(
    request: Request,
    data: dict[str, Any],
    fmt: str,
    tables: Callable[[dict[str, Any]], Sequence[exports.Table]],
    filename: str,
) -> Response:
    if fmt == "json":
        return JSONResponse(data)
    lang = export_lang(request)
    made = tables(data)
    body = exports.render(made, fmt, lang)
    return export_job.attachment(body, exports.MEDIA[fmt], f"wastematch-{filename}.{fmt}")


async def asked_export(request: Request) -> tuple[Actor, QueryParams, str]:
    """An export's request: the caller (an overseer), the query, and the file format asked for."""
    actor = await overseer(request)
    return actor, request.query_params, format_param(request.query_params)


def figures(
    session: Session,
    actor: Actor,
    period: audit.Period | None,
    settings: Settings,
    scope: audit.Scope | None = None,
) -> dict[str, Any]:
    """`audit.summary` with the haul model of the settings (circuity, CO2 per t·km)."""
    return audit.summary(
        session,
        actor,
        period,
        scope,
        circuity=settings.circuity,
        co2_kg_per_t_km=settings.co2_kg_per_t_km,
    )


@routes.get("/audit/summary")
async def summary(request: Request) -> Response:
    actor, q, fmt = await asked_export(request)
    period = period_param(q)
    scope = audit.parse_scope(q)
    data = await run_read(request, figures, actor, period, settings_of(request), scope)
    return answer(request, data, fmt, exports.summary_tables, f"audit-summary-{data['period']}")


@routes.get("/audit/phosphogypsum")
async def phosphogypsum(request: Request) -> Response:
    actor, q, fmt = await asked_export(request)
    data = await run_read(request, audit.phosphogypsum_table, actor, period_param(q))
    return answer(
        request, data, fmt, exports.phosphogypsum_tables, f"phosphogypsum-{data['period']}"
    )


@routes.get("/audit/entries")
async def entries(request: Request) -> Response:
    actor, q, fmt = await asked_export(request)
    period = period_param(q)
    scope = audit.parse_scope(q)
    limit = query_int(request, "limit", 200 if fmt == "json" else 100_000, 100_000)
    offset = query_int(request, "offset", 0, 10**9)

    async def read(rows: int, skip: int) -> dict[str, Any]:
        kind = q.get("kind") or None
        return await run_read(
            request, audit.ledger_entries, actor, period, scope, kind=kind, limit=rows, offset=skip
        )

    if fmt != "json":
        job = await export_job.start_if_large(
            request, actor, q, read, limit, offset, export_lang(request)
        )
        if job is not None:
            return job
    data = await read(limit, offset)
    return answer(request, data, fmt, exports.entries_tables, f"entries-{data['period']}")


@routes.get("/audit/verify")
async def verify(request: Request) -> Response:
    actor, q, fmt = await asked_export(request)
    organisation = audit.parse_scope({"organisation": q.get("organisation", "")}).organisation_id
    data = await run_read(request, audit.verify, actor, organisation, seal_key=seal_key_of(request))
    return answer(request, data, fmt, exports.verify_tables, f"verify-{clock.today():%Y%m%d}")


# a verify answer of MAX_CHECKPOINT_HEADS heads, with its site names, fits well within this
MAX_CHECKPOINT_BODY = 20_000_000


async def checkpoint_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object, read no further than the cap (a checkpoint may be larger than
    the other routes' bodies, so their `body()` does not fit)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_CHECKPOINT_BODY:
            raise BadRequest(
                "body: more than {MAX_CHECKPOINT_BODY:,} bytes",
                MAX_CHECKPOINT_BODY=MAX_CHECKPOINT_BODY,
            )
        chunks.append(chunk)
    return json_object(b"".join(chunks))


@routes.post("/audit/verify/checkpoint")
async def verify_checkpoint(request: Request) -> Response:
    actor = await overseer(request)
    json_only(request.query_params)
    checkpoint = await checkpoint_body(request)
    return JSONResponse(await run_read(request, audit.compare_checkpoint, actor, checkpoint))


@routes.get("/audit/drawdown")
async def drawdown(request: Request) -> Response:
    actor = await overseer(request)
    q = request.query_params
    json_only(q)
    scope = audit.parse_scope(q)
    return JSONResponse(await run_read(request, audit.drawdown, actor, scope))


# ----------------------------------------------------------------------------- OpenAPI

_PERIOD = openapi.query(
    "period",
    {"type": "string", "pattern": r"^(19|20|21)[0-9]{2}(-Q[1-4]|-(0[1-9]|1[0-2]))?$"},
)
_SCOPE = [
    openapi.query("prefecture", {"type": "integer", "description": "prefecture adcode"}),
    openapi.query("county", {"type": "integer", "description": "county adcode"}),
    openapi.query("organisation", {"type": "integer"}),
    openapi.query("material"),
]
_FORMAT = openapi.query("format", {"type": "string", "enum": list(FORMATS), "default": "json"})
# taken by the JSON-only routes too (any other format is refused there, by name)
_JSON_FORMAT = openapi.query("format", {"type": "string", "enum": ["json"], "default": "json"})


def _downloadable(operation: dict[str, Any]) -> dict[str, Any]:
    """`?format=csv|xlsx` answers a file: its media types beside the JSON."""
    content = operation["responses"]["200"]["content"]
    content["text/csv"] = {"schema": {"type": "string"}}
    content[exports.MEDIA["xlsx"]] = {"schema": {"type": "string", "format": "binary"}}
    return operation


_LANG = openapi.query("lang", {"type": "string", "enum": ["zh", "en"]})

openapi.register(
    {
        "/audit/summary": {
            "get": _downloadable(
                openapi.op(
                    "Generation, utilisation, treatment, consumption, disposal and stock for a "
                    "period (default: the latest complete year) and scope, by material, prefecture "
                    "and county, with the targets and transport / avoided CO2",
                    "regulator, operator",
                    openapi.ref("AuditSummary"),
                    params=[_PERIOD, *_SCOPE, _FORMAT, _LANG],
                )
            )
        },
        "/audit/phosphogypsum": {
            "get": _downloadable(
                openapi.op(
                    "以用定产 per phosphogypsum producer, with its P2O5 allowance and flags",
                    "regulator, operator",
                    openapi.ref("PhosphogypsumTable"),
                    params=[_PERIOD, _FORMAT, _LANG],
                )
            )
        },
        "/audit/entries": {
            "get": _downloadable(
                openapi.op(
                    "The ledger entries behind a figure: `kind` is a ledger kind, a figure "
                    f"({', '.join(audit.rules().figures())}) or `stock`",
                    "regulator, operator",
                    params=[
                        _PERIOD,
                        *_SCOPE,
                        openapi.query("kind"),
                        *openapi.PAGING,
                        _FORMAT,
                        _LANG,
                    ],
                )
            )
        },
        "/audit/verify": {
            "get": _downloadable(
                openapi.op(
                    "Verify every yard's hash chain (or one producer's), its head, and that every "
                    "manifest has its ledger entries",
                    "regulator, operator",
                    openapi.ref("Verification"),
                    params=[openapi.query("organisation", {"type": "integer"}), _FORMAT, _LANG],
                )
            )
        },
        "/audit/verify/checkpoint": {
            "post": openapi.op(
                "Compare the ledger with a checkpoint: the `heads` of an earlier verify answer "
                "(or the whole answer). Runs the chain check, then says per site `unchanged`, "
                "`extended` (only appended since), `rewritten` (the checkpoint's last entry now "
                "has another hash), `truncated` (it is gone), `site_missing`, or `new`; `ok` only "
                "when the chains hold and no site is rewritten, truncated or missing",
                "regulator, operator",
                openapi.ref("CheckpointComparison"),
                body="Checkpoint",
                params=[_JSON_FORMAT, _LANG],
            )
        },
        "/audit/drawdown": {
            "get": openapi.op(
                "Monthly generation, consumption and ledger stock of one material, with the "
                "line the policy asks consumption (phosphogypsum) or utilisation to reach",
                "regulator, operator",
                params=[*_SCOPE, _JSON_FORMAT, _LANG],
            )
        },
    },
    {
        **openapi.responses(
            answers.AuditSummary,
            answers.PhosphogypsumRow,
            answers.PhosphogypsumTable,
            answers.Verification,
            answers.CheckpointHead,
            answers.CheckpointSite,
            answers.CheckpointComparison,
        ),
        "Checkpoint": openapi.obj(
            {
                "heads": {
                    "type": "array",
                    "items": openapi.ref("CheckpointHead"),
                    "maxItems": audit.MAX_CHECKPOINT_HEADS,
                },
                # the rest of a verify answer, so a whole one can be sent as it was kept
                **{key: {"description": "ignored"} for key in sorted(audit.VERIFY_ANSWER_KEYS)},
            },
            ["heads"],
        ),
    },
)
