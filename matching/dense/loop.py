"""The dense path's loop: solve a min-cost flow over each lot's and plant's nearest arcs, price
every other arc against it (`Pricing`), add those that may lower the cost, solve again.

The network starts from each lot's `NEAREST` and each plant's `NEAREST_LOTS` nearest arcs,
costed exactly (nodes, capacities, resolution and penalty are those of the network of all
arcs). The last flow is optimal for the network of all arcs, which has the same optimum value
as the reference: the same weighted tonnes and the same integer haul cost. Where several flows
reach it, the one returned may differ from the reference path's.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

import numpy as np

from matching.dense.distances import NEAREST, NEAREST_LOTS, DenseArcs, dense_eligible_arcs
from matching.dense.pricing import Pricing
from matching.index import IntArray, ProblemIndex
from matching.model import Status
from matching.network import Network, Restriction, build_network, min_cost_flow_of, with_haul_arcs


@dataclass(frozen=True)
class DenseSolution:
    dense: DenseArcs
    network: Network
    """The last (restricted) network."""
    status: Status
    solver_status: str
    flow: IntArray
    """Tonnes on every eligible arc, in `Arcs` order."""
    rounds: int
    """Solves until no arc outside the network had a negative reduced cost."""
    full_network_arcs: int
    """Arcs of the network over every eligible arc, as the reference path builds it."""
    built: float
    """`perf_counter()` when the arcs were built (the rest is solving and pricing)."""


def solve_dense(
    index: ProblemIndex,
    circuity: float,
    nearest: int = NEAREST,
    nearest_lots: int = NEAREST_LOTS,
) -> DenseSolution:
    dense = dense_eligible_arcs(index, circuity, nearest, nearest_lots)
    built = perf_counter()
    arcs = dense.arcs
    cost = index.cost_per_t_km
    # The dearest arc, exactly: only arcs whose upper bound reaches the largest lower bound can be.
    band = dense.band_km(slice(None))
    if arcs.size:
        dense.refine(index, np.flatnonzero(arcs.road_km + band >= (arcs.road_km - band).max()))
        top = float(arcs.road_km[dense.exact].max()) * cost
    else:
        top = 0.0
    keep = np.flatnonzero(dense.nearest)
    none = np.zeros(0, dtype=np.int64)
    frame = build_network(index, arcs, Restriction(none, np.zeros(0), top))
    flow = np.zeros(arcs.size, dtype=np.int64)
    pricing = Pricing(index, dense, band)
    rounds = 0
    while True:
        rounds += 1
        dense.refine(index, keep)
        network = with_haul_arcs(frame, index, arcs, keep)
        status, solver_status, flows = min_cost_flow_of(network, network.num_arcs)
        flow[:] = 0
        if status == "infeasible" or arcs.size == 0:
            break
        flow[keep] = flows[: keep.size]
        joining = pricing.entering(network, flows, keep)
        if joining.size == 0:
            break
        keep = np.union1d(keep, joining)
    full_arcs = arcs.size + network.num_arcs - network.num_haul_arcs
    return DenseSolution(dense, network, status, solver_status, flow, rounds, full_arcs, built)
