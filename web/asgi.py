"""Entry point for `uvicorn --factory web.asgi:app` and `wastematch serve --workers N`."""

from __future__ import annotations

import os
from dataclasses import replace

from starlette.applications import Starlette

from market.settings import DEMO_SECRET, Settings, demo_secret
from web.app import create_app
from web.logs import configure


def app() -> Starlette:
    configure(os.environ.get("WASTEMATCH_LOG_LEVEL", "INFO"))
    demo = os.environ.get("WASTEMATCH_DEMO") == "1"
    settings = Settings.from_env(demo=demo)
    if settings.secret_key == DEMO_SECRET:
        settings = replace(settings, secret_key=demo_secret(settings.database_url))
    return create_app(settings)
