"""Loading the catalogue and the illustrative demo data set, through the services.

`seed_demo` runs in one batch unit of work and records a marker with it, so it lands whole or not
at all, and a second run finds the marker and adds nothing.

By job: `catalogue` (the materials), `demo` (the marker and the load), `history` (the months of
ledger entries and deliveries), `trust` (evidence, attestations and evaluator links).
"""

from __future__ import annotations

from market.seed.catalogue import sync_catalogue
from market.seed.common import SeedReport, month_end, month_starts
from market.seed.demo import DEMO_MARKER, demo_seeded, seed_demo
from market.seed.trust import link_evaluator

__all__ = [
    "DEMO_MARKER",
    "SeedReport",
    "demo_seeded",
    "link_evaluator",
    "month_end",
    "month_starts",
    "seed_demo",
    "sync_catalogue",
]
