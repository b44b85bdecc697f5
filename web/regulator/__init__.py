"""The regulator's desk: audit figures, 以用定产, a producer's ledger (`desk`) and the tamper
check (`verify`). Pages call `market.audit` and render."""

from __future__ import annotations

from starlette.routing import BaseRoute

from web.regulator import desk, verify
from web.regulator.verify import MAX_CHECKPOINT_UPLOAD
from web.routing import joined

__all__ = ["MAX_CHECKPOINT_UPLOAD", "routes"]


def routes() -> list[BaseRoute]:
    return joined(desk.routes, verify.routes)
