"""Entry point for `uvicorn --factory web.asgi:app` and `wastematch serve --workers N`."""

from __future__ import annotations

import os

from starlette.applications import Starlette

from market.settings import Settings
from web.app import create_app
from web.logs import configure


def app() -> Starlette:
    configure(os.environ.get("WASTEMATCH_LOG_LEVEL", "INFO"))
    demo = os.environ.get("WASTEMATCH_DEMO") == "1"
    return create_app(Settings.from_env(demo=demo))
