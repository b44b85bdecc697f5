"""The regulator's desk: audit figures, 以用定产, a producer's ledger (`desk`) and the tamper
check (`verify`). Pages call `market.audit` and render."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from web.regulator.desk import (
    dashboard,
    drawdown_data,
    entries_page,
    map_data,
    phosphogypsum_page,
    producer_page,
)
from web.regulator.verify import MAX_CHECKPOINT_UPLOAD, verify_job, verify_page

__all__ = ["MAX_CHECKPOINT_UPLOAD", "routes"]


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
