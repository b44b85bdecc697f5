"""The time-expanded network of one component, built and run."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from matching.index import IntArray
from matching.model import (
    Status,
)
from matching.network import FlowGraph
from matching.plan.components import Component, Pairs
from matching.plan.costs import PlanCosts, plan_costs
from matching.plan.model import PlanProblem

# --------------------------------------------------------------------------- the network


@dataclass(frozen=True)
class TimeNetwork(FlowGraph):
    """The drawdown plan's time-expanded flow graph, with the index map that decodes it."""

    horizon: int
    stream_node: IntArray
    """(streams, months): the node of stream s in month t; a steady stream has one node for all
    months."""
    steady: NDArray[np.bool_]
    """(streams,): the stream cannot run out within the horizon, whatever is shipped."""
    intake_node: IntArray
    """(intakes, months): the node of intake j in month t, -1 when it offers nothing then."""
    hub_node: IntArray
    """(intakes,): the node steady streams reach intake j through, -1 when none does."""
    sink: int
    hold_arcs: IntArray
    """(streams, months − 1): stream s carried from month t to t + 1; -1 for a steady stream."""
    left_arcs: IntArray
    """(streams,): stream s still in stock at the end of the horizon."""
    own_arcs: IntArray
    """(streams, months): own use of stream s in month t, -1 when none or the stream is steady
    (a steady stream always has stock for its whole own use)."""
    ship_arcs: IntArray
    ship_pair: IntArray
    ship_stream: IntArray
    ship_intake: IntArray
    ship_month: IntArray
    """Per shipment arc of a month-by-month stream: arc number, pair (in `Pairs` order), stream,
    intake, month."""
    feed_arcs: IntArray
    feed_pair: IntArray
    """Per arc from a steady stream to an intake's hub: arc number, pair."""
    hub_arcs: IntArray
    hub_intake: IntArray
    hub_month: IntArray
    """Per arc from an intake's hub to one of its months: arc number, intake, month."""
    opening: IntArray
    generation: IntArray
    own_use: IntArray
    """Per stream, whole tonnes: today's stock, and each month's generation and own use."""
    costs_map: PlanCosts


def steady_streams(
    opening: IntArray, net_make: IntArray, pairs: Pairs, capacity: IntArray
) -> NDArray[np.bool_]:
    """Streams that cannot run out within the horizon even if every eligible intake took them at
    full capacity: S + (t + 1)(G − U) ≥ Σ eligible capacity through month t, every month t."""
    num_s, T = opening.size, capacity.shape[1] if capacity.ndim == 2 else 0
    if T == 0:
        return np.ones(num_s, dtype=np.bool_)
    reach = np.zeros((num_s, T), dtype=np.int64)
    np.add.at(reach, pairs.stream, capacity[pairs.intake])
    months = np.arange(1, T + 1, dtype=np.int64)
    floor_stock = opening[:, None] + net_make[:, None] * months[None, :] - np.cumsum(reach, 1)
    result: NDArray[np.bool_] = np.all(floor_stock >= 0, axis=1)
    return result


# The time-expanded network of one component, months t = 0 … T − 1, nodes numbered in this
# order (streams by month, then intake hubs, then intakes by month, then plants by month, then
# the sink):
#
#   supply S_s + G_s      supply G_s               supply G_s
#   (s, 0) ──hold: 0──▶ (s, 1) ──hold: 0──▶ … ──▶ (s, T−1) ──left: (M + H(T−1))·w─────────▶ (sink)
#     │ └── own use: cap U_s, cost H·w·t ─────────────────────────────────────────────────▶ ▲
#     └── ship: c_so + H·w·t ──▶ (o, t) ──cap K_ot──▶ (plant p, t) ──cap P_pt─────────────▶ │
#                                  ▲   └──── cap K_ot, when p has no shared capacity ──────▶ │
#   supply S_s + T(G_s − U_s)      │ cap K_ot, cost H·w·t                                    │
#   (steady s) ──feed: c_so──▶ (hub o)                                                        │
#        └──────────────── left: (M + H(T−1))·w ────────────────────────────────────────────┘
#
# A stream-month node has a ship arc to each eligible intake offering capacity K_ot > 0 that
# month (the same haul every month), its own-use arc when the yard has own use, and a holdover
# arc to the next month; the last month's stock goes to the sink on the "left" arc. So the
# sink's demand, all the supply, is always met: the flow is always feasible, and its cost ranks
# plans by drawdown, then earliness, then haulage (`plan_costs`, which also shows why the
# holding penalty may sit on the arcs a tonne leaves by).
#
# A steady stream, one whose stock cannot run out within the horizon even if every eligible
# intake took it at full capacity (S + (t+1)(G − U) ≥ Σ capacity through month t, every t), has
# a non-binding stock constraint in every month: its months collapse into one node with supply
# S + T(G − U) and a left arc, and its own use is U every month. It reaches intake o's months
# through o's hub: feed s → hub at the haul, hub → (o, t) at the month's penalty, which depends
# on the intake's material alone. Every path costs what the direct arc (s, t) → (o, t) would,
# so the optimum is the same; only which steady stream fills which month is left open, and any
# split costs the same (`run_network` takes a fixed one). In a yard-heavy province (stockpiles
# of millions of tonnes, offers of thousands a month) most streams are steady: the network loses
# its long chains and its pairs × months arcs, which is what makes the solver fast. Capacities
# are whole tonnes, finite: never more than the stream can hold.
def build_network(
    problem: PlanProblem,
    comp: Component,
    pairs: Pairs,
    capacity: IntArray,
    plant_capacity: IntArray,
) -> TimeNetwork:
    """`capacity`: (intakes, months) of the component; `plant_capacity`: (plants, months)."""
    params = problem.params
    T = params.horizon_months
    stocks = [problem.stocks[int(i)] for i in comp.streams]
    intakes = [problem.intakes[int(j)] for j in comp.intakes]
    num_s, num_j, num_p = len(stocks), len(intakes), len(comp.plants)
    months = np.arange(T, dtype=np.int64)

    opening = np.array([math.floor(s.tonnes) for s in stocks], dtype=np.int64)
    gen = np.array([math.floor(s.monthly_generation_t) for s in stocks], dtype=np.int64)
    own = np.array([math.floor(s.monthly_own_use_t) for s in stocks], dtype=np.int64)
    raw_w = np.array([params.priority(s.material) for s in stocks], dtype=np.int64)
    divisor = max(1, math.gcd(*(int(w) for w in np.unique(raw_w))) if num_s else 1)
    weight = raw_w // divisor
    intake_w = np.array([params.priority(o.material) for o in intakes], dtype=np.int64) // divisor

    # the most stream s can hold at the end of month t: its opening stock and t + 1 months' make
    cumulative = opening[:, None] + gen[:, None] * (months[None, :] + 1)
    ps, pj = pairs.stream, pairs.intake
    steady = steady_streams(opening, gen - own, pairs, capacity)
    chain = ~steady
    active = capacity > 0
    fed = np.zeros(num_j, dtype=np.bool_)
    fed[pj[steady[ps] & active[pj].any(axis=1)]] = True

    # nodes: T per stream (1 per steady stream), hubs, intake-months, plant-months, the sink
    per_stream = np.where(steady, 1, T)
    first = np.concatenate(([0], np.cumsum(per_stream)[:-1])).astype(np.int64)
    stream_node = first[:, None] + np.where(steady[:, None], 0, months[None, :])
    next_node = int(per_stream.sum())
    hub_node = np.full(num_j, -1, dtype=np.int64)
    hub_node[fed] = next_node + np.arange(int(fed.sum()))
    next_node += int(fed.sum())
    intake_node = np.full((num_j, T), -1, dtype=np.int64)
    intake_node[active] = next_node + np.arange(int(active.sum()))
    next_node += int(active.sum())
    plant_of = np.array(
        [comp.plants.index(o.plant) if o.plant in comp.plants else -1 for o in intakes],
        dtype=np.int64,
    )
    plant_active = np.zeros((num_p, T), dtype=np.bool_)
    for j in range(num_j):
        if plant_of[j] >= 0:
            plant_active[plant_of[j]] |= active[j]
    plant_node = np.full((num_p, T), -1, dtype=np.int64)
    plant_node[plant_active] = next_node + np.arange(int(plant_active.sum()))
    sink = next_node + int(plant_active.sum())
    num_nodes = sink + 1

    # the penalties are sized on the plain network, every pair in every active month (see
    # `plan_costs`); the arcs built are fewer
    all_pair, all_month = np.nonzero(active[pj])
    ship_nodes = np.unique(ps[all_pair] * T + all_month).size
    costs = plan_costs(
        pairs.road_km * params.cost_per_t_km,
        num_nodes=num_nodes,
        ship_cycle_arcs=min(ship_nodes, int(active.sum())),
        horizon=T,
        hold_arcs=num_s * max(0, T - 1),
        max_weight=int(weight.max(initial=1)),
        min_weight=int(weight.min(initial=1)),
    )
    H = costs.month_per_weight

    # month-by-month streams ship straight to the intake's months
    by_month = chain[ps[all_pair]]
    pair_idx, month = all_pair[by_month], all_month[by_month]
    ship_s, ship_j = ps[pair_idx], pj[pair_idx]
    ship_tail = stream_node[ship_s, month]
    ship_head = intake_node[ship_j, month]
    ship_cap = np.minimum(capacity[ship_j, month], cumulative[ship_s, month])
    ship_cost = costs.haul[pair_idx] + weight[ship_s] * H * month

    # steady streams feed the intake's hub, the hub its months
    steady_supply = opening + T * (gen - own)
    feed_pair = np.flatnonzero(steady[ps] & fed[pj])
    feed_tail = stream_node[ps[feed_pair], 0]
    feed_head = hub_node[pj[feed_pair]]
    feed_cap = np.minimum(steady_supply[ps[feed_pair]], capacity[pj[feed_pair]].sum(axis=1))
    hub_j, hub_t = np.nonzero(fed[:, None] & active)
    hub_tail = hub_node[hub_j]
    hub_head = intake_node[hub_j, hub_t]
    hub_cap = capacity[hub_j, hub_t]
    hub_cost = intake_w[hub_j] * H * hub_t

    hold_mask = np.repeat(chain[:, None], max(0, T - 1), axis=1)
    hold_tail = stream_node[:, :-1][hold_mask]
    hold_head = stream_node[:, 1:][hold_mask]
    hold_cap = cumulative[:, :-1][hold_mask]

    left_tail = stream_node[:, T - 1]
    left_cap = np.where(steady, steady_supply, cumulative[:, T - 1])
    left_cost = weight * costs.left_per_weight

    own_mask = (chain & (own > 0))[:, None] & np.ones((1, T), dtype=np.bool_)
    own_tail = stream_node[own_mask]
    own_cap = np.minimum(own[:, None], cumulative)[own_mask]
    own_cost = (weight[:, None] * H * months[None, :])[own_mask]

    j_idx, t_idx = np.nonzero(active)
    via_plant = plant_of[j_idx] >= 0
    out_head = np.full(j_idx.size, sink, dtype=np.int64)
    out_head[via_plant] = plant_node[plant_of[j_idx[via_plant]], t_idx[via_plant]]
    out_tail = intake_node[j_idx, t_idx]
    out_cap = capacity[j_idx, t_idx]

    p_idx, pt_idx = np.nonzero(plant_active)
    plant_tail = plant_node[p_idx, pt_idx]
    plant_cap = plant_capacity[p_idx, pt_idx]

    zeros = np.zeros
    blocks = [  # (tails, heads, capacities, costs), in arc-number order
        (ship_tail, ship_head, ship_cap, ship_cost),
        (feed_tail, feed_head, feed_cap, costs.haul[feed_pair]),
        (hub_tail, hub_head, hub_cap, hub_cost),
        (hold_tail, hold_head, hold_cap, zeros(hold_tail.size, dtype=np.int64)),
        (left_tail, np.full(num_s, sink), left_cap, left_cost),
        (own_tail, np.full(own_tail.size, sink), own_cap, own_cost),
        (out_tail, out_head, out_cap, zeros(out_tail.size, dtype=np.int64)),
        (plant_tail, np.full(plant_tail.size, sink), plant_cap, zeros(plant_tail.size, np.int64)),
    ]
    starts = np.cumsum([0] + [b[0].size for b in blocks])

    def numbers(block: int) -> IntArray:
        return np.arange(starts[block], starts[block + 1], dtype=np.int64)

    hold_arcs = np.full((num_s, max(0, T - 1)), -1, dtype=np.int64)
    hold_arcs[hold_mask] = numbers(3)
    own_arcs = np.full((num_s, T), -1, dtype=np.int64)
    own_arcs[own_mask] = numbers(5)

    supplies = np.zeros(num_nodes, dtype=np.int64)
    for s in range(num_s):
        if steady[s]:
            supplies[stream_node[s, 0]] = steady_supply[s]
        else:
            supplies[stream_node[s]] = gen[s]
            supplies[stream_node[s, 0]] += opening[s]
    supplies[sink] = -int(supplies.sum())

    def cat(column: int) -> IntArray:
        return np.concatenate([np.asarray(b[column], dtype=np.int64) for b in blocks])

    return TimeNetwork(
        tails=cat(0).astype(np.int32),
        heads=cat(1).astype(np.int32),
        capacities=cat(2),
        costs=cat(3),
        supplies=supplies,
        horizon=T,
        stream_node=stream_node,
        steady=steady,
        intake_node=intake_node,
        hub_node=hub_node,
        sink=sink,
        hold_arcs=hold_arcs,
        left_arcs=numbers(4),
        own_arcs=own_arcs,
        ship_arcs=numbers(0),
        ship_pair=pair_idx.astype(np.int64),
        ship_stream=ship_s.astype(np.int64),
        ship_intake=ship_j.astype(np.int64),
        ship_month=month.astype(np.int64),
        feed_arcs=numbers(1),
        feed_pair=feed_pair.astype(np.int64),
        hub_arcs=numbers(2),
        hub_intake=hub_j.astype(np.int64),
        hub_month=hub_t.astype(np.int64),
        opening=opening,
        generation=gen,
        own_use=own,
        costs_map=costs,
    )


_STATUS: dict[int, Status] = {
    int(min_cost_flow.SimpleMinCostFlow.OPTIMAL): "optimal",
    int(min_cost_flow.SimpleMinCostFlow.FEASIBLE): "feasible",
}


@dataclass(frozen=True)
class Flows:
    status: Status
    solver_status: str
    stock: IntArray
    """(streams, months + 1): today, then the end of each month."""
    shipped: IntArray
    """(streams, months)."""
    own_use: IntArray
    intake_shipped: IntArray
    """(intakes, months)."""
    pair_tonnes: IntArray
    """Per pair, over the horizon."""


def run_network(
    net: TimeNetwork, num_streams: int, num_intakes: int, pair_streams: IntArray
) -> Flows:
    """Solve and decode through the index map. `pair_streams`: the stream of each pair."""
    T = net.horizon
    num_pairs = int(pair_streams.size)
    arcs = int(net.tails.size)
    smcf = min_cost_flow.SimpleMinCostFlow()
    if arcs:
        smcf.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, net.capacities, net.costs)
        smcf.set_nodes_supplies(np.arange(net.supplies.size, dtype=np.int32), net.supplies)
        solver_status = smcf.solve()
        name = solver_status.name
        status = _STATUS.get(int(solver_status), "infeasible")
    else:
        name, status = "EMPTY", "optimal"
    # INFEASIBLE and UNBALANCED cannot happen (the left arcs carry every supply); BAD_RESULT,
    # BAD_COST_RANGE, BAD_CAPACITY_RANGE and NOT_SOLVED would be bugs. Then nothing moves:
    # the stock is reported as it would be without the market, and the status says so.
    if status == "infeasible" or not arcs:
        flow = np.zeros(arcs, dtype=np.int64)
    else:
        flow = np.asarray(smcf.flows(np.arange(arcs, dtype=np.int32)), dtype=np.int64)

    shipped = np.zeros((num_streams, T), dtype=np.int64)
    intake_shipped = np.zeros((num_intakes, T), dtype=np.int64)
    pair_tonnes = np.zeros(num_pairs, dtype=np.int64)
    ship_flow = flow[net.ship_arcs]
    if ship_flow.size:
        np.add.at(shipped, (net.ship_stream, net.ship_month), ship_flow)
        np.add.at(intake_shipped, (net.ship_intake, net.ship_month), ship_flow)
        np.add.at(pair_tonnes, net.ship_pair, ship_flow)
    hub_flow = flow[net.hub_arcs]
    if hub_flow.size:
        np.add.at(intake_shipped, (net.hub_intake, net.hub_month), hub_flow)
        feed_flow = flow[net.feed_arcs]
        np.add.at(pair_tonnes, net.feed_pair, feed_flow)
        _split_steady(shipped, net, pair_streams, feed_flow, hub_flow)
    own_use = np.zeros((num_streams, T), dtype=np.int64)
    has_own = net.own_arcs >= 0
    own_use[has_own] = flow[net.own_arcs[has_own]]
    own_use[net.steady] = net.own_use[net.steady, None]
    stock = np.zeros((num_streams, T + 1), dtype=np.int64)
    stock[:, 0] = net.opening
    if status == "infeasible":
        # no plan: each yard keeps what it makes, less its own use
        for t in range(T):
            own_use[:, t] = np.minimum(net.own_use, stock[:, t] + net.generation)
            stock[:, t + 1] = stock[:, t] + net.generation - own_use[:, t]
        return Flows(status, name, stock, shipped, own_use, intake_shipped, pair_tonnes)
    chain = ~net.steady
    if T > 1:
        stock[chain, 1:T] = flow[net.hold_arcs[chain]]
    stock[chain, T] = flow[net.left_arcs[chain]]
    # a steady stream's stock follows from what left it: it never touched zero
    change = net.generation[:, None] - own_use - shipped
    steady_stock = net.opening[:, None] + np.cumsum(change, axis=1)
    stock[net.steady, 1:] = steady_stock[net.steady]
    return Flows(status, name, stock, shipped, own_use, intake_shipped, pair_tonnes)


def _split_steady(
    shipped: IntArray,
    net: TimeNetwork,
    pair_streams: IntArray,
    feed_flow: IntArray,
    hub_flow: IntArray,
) -> None:
    """Which steady stream filled which month of an intake: streams in pair order fill the
    months in order. Every split costs the same and no steady stream runs out, so any split is
    optimal; this one is fixed, so the plan is the same every time."""
    feed_hub = net.heads[net.feed_arcs]
    for j in np.unique(net.hub_intake):
        in_hub = net.hub_intake == j
        months = net.hub_month[in_hub]
        room = hub_flow[in_hub].copy()
        m = 0
        for k in np.flatnonzero(feed_hub == net.hub_node[j]):
            amount = int(feed_flow[k])
            stream = int(pair_streams[net.feed_pair[k]])
            while amount > 0:
                while room[m] == 0:
                    m += 1
                take = min(amount, int(room[m]))
                shipped[stream, months[m]] += take
                room[m] -= take
                amount -= take


# --------------------------------------------------------------------------- one component solved


@dataclass(frozen=True)
class Solved:
    comp: Component
    pairs: Pairs
    capacity: IntArray
    plant_capacity: IntArray
    flows: Flows
    net: TimeNetwork


def plant_capacities(problem: PlanProblem, comp: Component) -> IntArray:
    T = problem.params.horizon_months
    caps = problem.params.plant_monthly_capacity_t
    return np.array([[math.floor(caps[p])] * T for p in comp.plants], dtype=np.int64).reshape(
        len(comp.plants), T
    )


def solve_component(
    problem: PlanProblem,
    comp: Component,
    pairs: Pairs,
    capacity: IntArray,
    plant_capacity: IntArray,
) -> Solved:
    net = build_network(problem, comp, pairs, capacity, plant_capacity)
    flows = run_network(net, comp.streams.size, comp.intakes.size, pairs.stream)
    return Solved(comp, pairs, capacity, plant_capacity, flows, net)
