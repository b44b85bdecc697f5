"""The divisible match on dense problems: cheap distances for the arcs, exact ones where they
decide anything, and a min-cost flow over the nearest arcs priced against all of them
(`distances`, `pricing`, `loop`; `report` makes exact what the result shows).

Same arcs, same integer costs, same optimum as `eligible_arcs` + `build_network` over every arc.
Road km stays approximate on most arcs until something reads it: arcs in the network, matched
arcs, the arcs an explanation names, the dearest arc. Where several flows reach the optimum,
the one returned may differ from the reference path's.
"""

from matching.dense.distances import (
    BLOCK_PAIRS,
    NEAREST,
    NEAREST_LOTS,
    DenseArcs,
    dense_eligible_arcs,
)
from matching.dense.loop import DenseSolution, solve_dense
from matching.dense.pricing import EXTRA_SHARE, Pricing, potentials
from matching.dense.report import refine_for_report

__all__ = [
    "BLOCK_PAIRS",
    "EXTRA_SHARE",
    "NEAREST",
    "NEAREST_LOTS",
    "DenseArcs",
    "DenseSolution",
    "Pricing",
    "dense_eligible_arcs",
    "potentials",
    "refine_for_report",
    "solve_dense",
]
