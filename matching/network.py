"""Divisible matching as one min-cost flow (OR-Tools `SimpleMinCostFlow`): build, run, decode."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from matching.eligibility import Arcs
from matching.errors import TooLarge
from matching.index import FloatArray, IntArray, ProblemIndex
from matching.model import Status

INT64_MAX = int(np.iinfo(np.int64).max)

MAX_UNIT_COST = 1_000_000
"""Resolution of haul costs: the dearest arc costs at most this many integer units a tonne."""


@dataclass(frozen=True)
class IntegerCosts:
    haul: IntArray
    """Integer cost per tonne of each eligible arc, 0 … `max_unit`."""
    penalty_per_weight: int
    """M: an unmatched tonne of priority w costs M × w."""
    cny_per_unit: float
    c_max: int | None = None
    """The dearest arc's cost (None: the largest in `haul`); no arc costs more."""

    def haul_of(self, cny_per_t: FloatArray) -> IntArray:
        """The integer cost of more arcs, exactly as those in `haul` were costed."""
        c_max = int(self.haul.max(initial=0)) if self.c_max is None else self.c_max
        return IntegerScale(c_max, self.cny_per_unit, self.penalty_per_weight).haul(cny_per_t)


def integer_costs(
    road_km: FloatArray,
    cost_per_t_km: float,
    *,
    num_nodes: int,
    cycle_arcs: int,
    max_weight: int,
    max_unit: int = MAX_UNIT_COST,
) -> IntegerCosts:
    """The one place where distances become integer costs (and the penalty that ranks tonnes).

    Exactness of the penalty. Let x be a min-cost flow under these costs and suppose a feasible
    y matched more priority-weighted tonnes. y − x is a circulation in x's residual network;
    split it into simple cycles, each of cost ≥ 0 (x is optimal). Their weighted-tonne gains add
    up to W(y) − W(x) ≥ 1, so some cycle C gains ΔW ≥ 1 per unit of flow (weights are whole),
    and costs at most haul(C) − M·ΔW ≤ haul(C) − M per unit. Only forward lot → accept arcs
    cost more than 0 in haul(C), and a simple cycle leaves each lot node and enters each accept
    node at most once: it has at most k = `cycle_arcs` = min(lot nodes, accept nodes) of them,
    so haul(C) ≤ k·c_max < k·c_max + 1 = M. C would cost < 0: contradiction. So x maximises
    weighted tonnes; on flows with equal weighted tonnes the penalty is a constant, so x also
    minimises the haul cost among them. No trade of priority tonnes for haul cost is possible.

    Overflow. OR-Tools multiplies every cost by (N + 1), N = nodes + its own 2 (source and
    sink), and refuses costs above INT64_MAX / (2(N + 1)); cost-scaling then lowers node
    potentials by at most about 3N × the scaled maximum cost over all refinements. Keeping the
    largest cost M × max_weight ≤ INT64_MAX / (8N(N + 1)) covers both with room; the haul
    resolution c_max shrinks to fit (a million units for regional problems, thousands for
    national ones) and `TooLarge` is raised if not even one unit fits.
    """
    cny_per_t = np.asarray(road_km, dtype=np.float64) * cost_per_t_km
    top = float(cny_per_t.max()) if cny_per_t.size else 0.0
    scale = integer_scale(
        top, num_nodes=num_nodes, cycle_arcs=cycle_arcs, max_weight=max_weight, max_unit=max_unit
    )
    return IntegerCosts(
        haul=scale.haul(cny_per_t),
        penalty_per_weight=scale.penalty,
        cny_per_unit=scale.unit,
        c_max=scale.c_max,
    )


@dataclass(frozen=True)
class IntegerScale:
    """What `integer_costs` derives from the dearest arc alone: enough to cost any subset of
    arcs exactly as the whole set would be costed (the restricted network of `matching.dense`)."""

    c_max: int
    unit: float
    penalty: int

    def haul(self, cny_per_t: FloatArray) -> IntArray:
        haul: IntArray = np.minimum(np.rint(cny_per_t / self.unit), self.c_max).astype(np.int64)
        return haul


def integer_scale(
    top: float, *, num_nodes: int, cycle_arcs: int, max_weight: int, max_unit: int = MAX_UNIT_COST
) -> IntegerScale:
    """The resolution and penalty of `integer_costs`, from the dearest arc's CNY a tonne."""
    n = num_nodes + 2
    budget = INT64_MAX // (8 * n * (n + 1))
    k = max(1, cycle_arcs)
    c_max = min(max_unit, (budget // max(1, max_weight) - 1) // k)
    if c_max < 1:
        raise TooLarge(
            "problem",
            "{num_nodes} nodes with priorities up to {max_weight} "
            "leave no room for exact integer costs; split the "
            "problem or narrow the priorities",
            num_nodes=num_nodes,
            max_weight=max_weight,
        )
    if top > 0:
        # The dearest arc costs exactly c_max units, so max(haul) = c_max.
        return IntegerScale(c_max=c_max, unit=top / c_max, penalty=k * c_max + 1)
    return IntegerScale(c_max=c_max, unit=1.0, penalty=1)


@dataclass(frozen=True)
class FlowGraph:
    """Nodes and arcs as parallel arrays: arc i runs from node tails[i] to heads[i] with its
    capacity and cost; supplies[n] is node n's supply (negative: demand)."""

    tails: NDArray[np.int32]
    heads: NDArray[np.int32]
    capacities: IntArray
    costs: IntArray
    supplies: IntArray

    @property
    def num_nodes(self) -> int:
        return int(self.supplies.size)

    @property
    def num_arcs(self) -> int:
        return int(self.tails.size)


@dataclass(frozen=True)
class Network(FlowGraph):
    """The matching's flow graph, with the index map that decodes it."""

    lot_node: IntArray
    """Node of each lot, -1 when the lot has no eligible arc (it stays out of the network)."""
    accept_node: IntArray
    facility_node: IntArray
    """Node of each facility with an overall capacity, else -1 (its accepts go to the sink)."""
    sink: int
    num_haul_arcs: int
    """Arcs 0 … num_haul_arcs − 1 are the eligible arcs, in `Arcs` order (those of the
    `Restriction` only, when there is one)."""
    unmatched_arcs: IntArray
    """Per lot, its lot → sink arc, -1 when not in the network."""
    integer: IntegerCosts


# The network, nodes numbered in this order (source = the lots' supplies):
#
#   supply T_l                                                        demand Σ T_l
#   (lot l) ──haul: cap T_l, cost c_la──▶ (accept a) ──cap C_a──▶ (plant f) ──cap C_f──▶ (sink)
#      │                                       └──── cap C_a, when f has no capacity ────▶ ▲
#      └──────────────── unmatched: cap T_l, cost M × w_l ─────────────────────────────────┘
#
# One accept node per accept entry with an eligible arc (a plant may offer several materials or
# grades, each with its own capacity); a plant node only where the facility has an overall
# capacity. The unmatched arcs keep every supply routable, so the flow is always feasible and
# its cost ranks solutions by weighted tonnes first, haul cost second (see `integer_costs`).
# Capacities are whole tonnes; an absent capacity becomes the most that can arrive (finite, so
# no sum overflows int64).
@dataclass(frozen=True)
class Restriction:
    """Only some eligible arcs as haul arcs, costed as the whole set would cost them.

    Nodes, capacities, the resolution and the penalty still come from every arc in `Arcs`
    (`top_cny_per_t` is the exact dearest haul of all of them), so a flow that is optimal here
    and has no arc of negative reduced cost outside `keep` is optimal for the whole network.
    """

    keep: IntArray
    """Positions in `Arcs` of the haul arcs, in that order."""
    road_km: FloatArray
    """Exact road km of the kept arcs."""
    top_cny_per_t: float


def build_network(
    index: ProblemIndex, arcs: Arcs, restriction: Restriction | None = None
) -> Network:
    # np.unique without the sort: the same sorted numbers, in linear time
    lots = np.flatnonzero(np.bincount(arcs.lot, minlength=index.num_lots))
    accepts = np.flatnonzero(np.bincount(arcs.accept, minlength=index.num_accepts))
    acc_fac = index.acc_facility[accepts]
    capped = np.unique(acc_fac[np.isfinite(index.fac_capacity[acc_fac])])
    num_l, num_a, num_p = lots.size, accepts.size, capped.size

    lot_node = np.full(index.num_lots, -1, dtype=np.int64)
    lot_node[lots] = np.arange(num_l)
    accept_node = np.full(index.num_accepts, -1, dtype=np.int64)
    accept_node[accepts] = num_l + np.arange(num_a)
    facility_node = np.full(len(index.problem.facilities), -1, dtype=np.int64)
    facility_node[capped] = num_l + num_a + np.arange(num_p)
    sink = num_l + num_a + num_p
    num_nodes = sink + 1

    tonnes = index.lot_tonnes
    weights = index.lot_weight[lots]
    divisor = math.gcd(*(int(w) for w in np.unique(weights))) if num_l else 1
    max_weight = int(weights.max(initial=1)) // divisor
    if restriction is None:
        integer = integer_costs(
            arcs.road_km,
            index.cost_per_t_km,
            num_nodes=num_nodes,
            cycle_arcs=min(num_l, num_a),
            max_weight=max_weight,
        )
        haul_lot, haul_accept = arcs.lot, arcs.accept
    else:
        scale = integer_scale(
            restriction.top_cny_per_t,
            num_nodes=num_nodes,
            cycle_arcs=min(num_l, num_a),
            max_weight=max_weight,
        )
        integer = IntegerCosts(
            haul=scale.haul(restriction.road_km * index.cost_per_t_km),
            penalty_per_weight=scale.penalty,
            cny_per_unit=scale.unit,
            c_max=scale.c_max,
        )
        haul_lot, haul_accept = arcs.lot[restriction.keep], arcs.accept[restriction.keep]

    # accept → plant or sink: the entry's capacity, never more than can reach it
    arriving = _sum_by(accept_node[arcs.accept] - num_l, tonnes[arcs.lot], num_a)
    acc_cap = np.minimum(index.acc_capacity[accepts], arriving).astype(np.int64)
    via_plant = facility_node[acc_fac] >= 0
    acc_head = np.where(via_plant, facility_node[acc_fac], sink)
    # plant → sink: the facility's capacity, never more than its entries can pass on
    passing = _sum_by(facility_node[acc_fac[via_plant]] - num_l - num_a, acc_cap[via_plant], num_p)
    plant_cap = np.minimum(index.fac_capacity[capped], passing).astype(np.int64)

    tails = np.concatenate(
        (lot_node[haul_lot], accept_node[accepts], facility_node[capped], lot_node[lots])
    )
    heads = np.concatenate(
        (accept_node[haul_accept], acc_head, np.full(num_p, sink), np.full(num_l, sink))
    )
    capacities = np.concatenate((tonnes[haul_lot], acc_cap, plant_cap, tonnes[lots]))
    costs = np.concatenate(
        (
            integer.haul,
            np.zeros(num_a + num_p, dtype=np.int64),
            integer.penalty_per_weight * (weights // divisor),
        )
    )
    supplies = np.zeros(num_nodes, dtype=np.int64)
    supplies[:num_l] = tonnes[lots]
    supplies[sink] = -int(tonnes[lots].sum())
    unmatched_arcs = np.full(index.num_lots, -1, dtype=np.int64)
    unmatched_arcs[lots] = haul_lot.size + num_a + num_p + np.arange(num_l)
    return Network(
        tails=tails.astype(np.int32),
        heads=heads.astype(np.int32),
        capacities=capacities.astype(np.int64),
        costs=costs.astype(np.int64),
        supplies=supplies,
        lot_node=lot_node,
        accept_node=accept_node,
        facility_node=facility_node,
        sink=sink,
        num_haul_arcs=int(haul_lot.size),
        unmatched_arcs=unmatched_arcs,
        integer=integer,
    )


_HALF = 26


def _sum_by(keys: IntArray, values: IntArray, size: int) -> IntArray:
    """Exact int64 sums of non-negative `values` grouped by `keys` in 0 … size − 1.

    `np.bincount` sums in float64, exact below 2⁵³: the low and high 26 bits are summed apart
    (each sum stays below 2⁵³ for fewer than 2²⁷ values of at most 2⁵³), five times faster than
    `np.add.at` on the 17 M arcs of a dense problem."""
    if keys.size >= 1 << 27 or (values.size and int(values.min()) < 0):
        out = np.zeros(size, dtype=np.int64)
        np.add.at(out, keys, values)
        return out
    low = np.bincount(keys, weights=values & ((1 << _HALF) - 1), minlength=size)
    high = np.bincount(keys, weights=values >> _HALF, minlength=size)
    summed: IntArray = (high.astype(np.int64) << _HALF) + low.astype(np.int64)
    return summed


@dataclass(frozen=True)
class FlowOutcome:
    status: Status
    solver_status: str
    haul_flow: IntArray
    """Tonnes on each eligible arc, in `Arcs` order (zeros unless status is a solution)."""


_STATUS: dict[int, Status] = {
    int(min_cost_flow.SimpleMinCostFlow.OPTIMAL): "optimal",
    int(min_cost_flow.SimpleMinCostFlow.FEASIBLE): "feasible",
}


def run_network(network: Network) -> FlowOutcome:
    if network.num_haul_arcs == 0:
        return FlowOutcome("optimal", "EMPTY", np.zeros(0, dtype=np.int64))
    return FlowOutcome(*min_cost_flow_of(network, network.num_haul_arcs))


def min_cost_flow_of(network: Network, arcs: int) -> tuple[Status, str, IntArray]:
    """Solve `network`: the status, the solver's own, and the flow on its first `arcs` arcs."""
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        network.tails, network.heads, network.capacities, network.costs
    )
    smcf.set_nodes_supplies(np.arange(network.num_nodes, dtype=np.int32), network.supplies)
    solver_status = smcf.solve()
    # INFEASIBLE and UNBALANCED cannot happen (unmatched arcs carry every supply); BAD_RESULT,
    # BAD_COST_RANGE, BAD_CAPACITY_RANGE and NOT_SOLVED would be bugs here. All of them mean
    # no flow to report.
    status = _STATUS.get(int(solver_status), "infeasible")
    if status == "infeasible":
        flow = np.zeros(arcs, dtype=np.int64)
    else:
        flow = np.asarray(smcf.flows(np.arange(arcs, dtype=np.int32)), dtype=np.int64)
    return status, solver_status.name, flow


def with_haul_arcs(frame: Network, index: ProblemIndex, arcs: Arcs, keep: IntArray) -> Network:
    """`frame` (built with a `Restriction` that keeps no arc) with the arcs `keep` of `arcs` as
    its haul arcs, costed by `frame.integer.haul_of` from their road km: the same network as
    `build_network` with `Restriction(keep, …)`, without going over every arc again."""
    lot, accept = arcs.lot[keep], arcs.accept[keep]
    haul = frame.integer.haul_of(arcs.road_km[keep] * index.cost_per_t_km)
    shift = np.where(frame.unmatched_arcs >= 0, frame.unmatched_arcs + keep.size, -1)
    return Network(
        tails=np.concatenate((frame.lot_node[lot].astype(np.int32), frame.tails)),
        heads=np.concatenate((frame.accept_node[accept].astype(np.int32), frame.heads)),
        capacities=np.concatenate((index.lot_tonnes[lot], frame.capacities)),
        costs=np.concatenate((haul, frame.costs)),
        supplies=frame.supplies,
        lot_node=frame.lot_node,
        accept_node=frame.accept_node,
        facility_node=frame.facility_node,
        sink=frame.sink,
        num_haul_arcs=int(keep.size),
        unmatched_arcs=shift,
        integer=IntegerCosts(
            haul=haul,
            penalty_per_weight=frame.integer.penalty_per_weight,
            cny_per_unit=frame.integer.cny_per_unit,
            c_max=frame.integer.c_max,
        ),
    )
