"""Planning for the regulator: the adapter from the tables to the drawdown planner and siting.

Both read one snapshot (stock from the ledger, recent generation and own use, the lots' assays,
the open offers), pose a pure problem (`matching.plan`, `matching.siting`), and answer plain
dicts. Neither writes anything: a plan is advice, computed afresh each time.

One job per module: `requests` (limits, months, parsing a request), `snapshot` (one read of the
market), `adapter` (`drawdown` and `siting_analysis`: the snapshot to a pure problem and back)
and `presentation` (the plain dicts shown). What other code imports is re-exported here.
"""

from __future__ import annotations

from market.planning.adapter import Analysis, drawdown, drawdown_problem, siting_analysis
from market.planning.presentation import located, plan_dict, plant_names, siting_dict
from market.planning.requests import (
    DEFAULT_HORIZON,
    DRAWDOWN_KEYS,
    MAX_BUFFER_KM,
    MAX_CANDIDATES,
    MAX_CAPACITY_T,
    MAX_HAUL_KM,
    MAX_HORIZON,
    MAX_ZONE_BYTES,
    MAX_ZONE_VERTICES,
    SITING_KEYS,
    SOURCES,
    DrawdownRequest,
    SitingRequest,
    add_months,
    month_start,
    months_between,
    parse_drawdown,
    parse_siting,
    parse_zones,
)
from market.planning.snapshot import (
    GENERATION_WINDOW_MONTHS,
    OWN_USE_KINDS,
    Grade,
    Snapshot,
    Yard,
    snapshot,
    yard_streams,
)

__all__ = [
    "Analysis",
    "DEFAULT_HORIZON",
    "DRAWDOWN_KEYS",
    "DrawdownRequest",
    "GENERATION_WINDOW_MONTHS",
    "Grade",
    "MAX_BUFFER_KM",
    "MAX_CANDIDATES",
    "MAX_CAPACITY_T",
    "MAX_HAUL_KM",
    "MAX_HORIZON",
    "MAX_ZONE_BYTES",
    "MAX_ZONE_VERTICES",
    "OWN_USE_KINDS",
    "SITING_KEYS",
    "SOURCES",
    "SitingRequest",
    "Snapshot",
    "Yard",
    "add_months",
    "drawdown",
    "drawdown_problem",
    "located",
    "month_start",
    "months_between",
    "parse_drawdown",
    "parse_siting",
    "parse_zones",
    "plan_dict",
    "plant_names",
    "siting_analysis",
    "siting_dict",
    "snapshot",
    "yard_streams",
]
