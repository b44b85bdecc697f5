"""The drawdown planner; it lives in `matching.plan` (model, validation, costs, components,
network, solve, decode). This module keeps `from matching.planner import …` working."""

from __future__ import annotations

from matching.plan import *  # noqa: F403
from matching.plan import __all__ as __all__
