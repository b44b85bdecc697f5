"""The divisible match on dense problems: cheap distances for the arcs, exact ones where they
decide anything, and a min-cost flow over the nearest arcs priced against all of them.

Same arcs, same integer costs, same optimum as `eligible_arcs` + `build_network` over every arc:

- Distances. Every candidate pair gets the Andoyer-Lambert distance (`geo.distance`), within
  `andoyer_error_km` of Karney's geodesic, vectorised over blocks of lots × plants after a
  dot-product pre-filter on the auxiliary sphere. A pair within that error band of its haul limit
  gets the exact geodesic (the same `geodesic_km_bulk` call as the reference path), so the arc
  set is exactly `eligible_arcs`'. Road km stays approximate on the other arcs until something
  reads it: arcs in the network, matched arcs, the arcs an explanation names, the dearest arc.
- Solve. The network starts from each lot's `NEAREST` and each plant's `NEAREST_LOTS` nearest
  arcs, costed exactly (nodes, capacities, resolution and penalty are those of the network of
  all arcs). After each solve, node potentials (shortest distances in the residual network, by
  Bellman-Ford) price every other arc; an arc whose reduced cost may be negative under its
  distance's error gets its exact cost, and those with a negative one join the network (with
  the cheapest others, see `EXTRA_SHARE`). When none is left the potentials prove the flow
  optimal for the network of all arcs (complementary slackness), which has the same optimum
  value as the reference: the same weighted tonnes and the same integer haul cost. Where several
  flows reach it, the one returned may differ from the reference path's.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from time import perf_counter

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from geo.distance import (
    ANDOYER_ABS_ERROR_KM,
    ANDOYER_MAX_KM,
    ANDOYER_REL_ERROR,
    WGS84_A_KM,
    WGS84_F,
    andoyer_lambert_km,
    reduced_latitude,
)
from matching.eligibility import Arcs, SpecTable
from matching.explain import NAMED_PLANTS
from matching.index import FloatArray, IntArray, ProblemIndex
from matching.model import Status
from matching.network import Network, Restriction, build_network, with_haul_arcs

BoolArray = NDArray[np.bool_]

NEAREST = 8
"""Arcs per lot in the first network (nearest first); pricing adds whatever else is needed."""
NEAREST_LOTS = 16
"""And each plant's nearest lots for a material: the arcs an optimum uses are far more often
among a plant's few nearest lots than among a lot's few nearest plants, because plants are
what is scarce."""
EXTRA_SHARE = 20
"""With the arcs of negative reduced cost the cheapest others join, up to 1/20 of the network."""
BLOCK_PAIRS = 1 << 21
"""Lots × plants compared at once (16 MB of dot products)."""
_DOT_SLACK = 1e-12
"""Rounding of a dot product of unit vectors, with room."""


@dataclass
class DenseArcs:
    """`Arcs` whose road km is Andoyer-Lambert × circuity except where `exact` says Karney's."""

    arcs: Arcs
    exact: BoolArray
    circuity: float
    nearest: BoolArray
    """The first network's arcs: each lot's `NEAREST` shortest and each plant's shortest to its
    `NEAREST_LOTS` nearest lots of a material."""

    def band_km(self, rows: IntArray | slice) -> FloatArray:
        """How far each arc's road km may be from the exact one."""
        road = self.arcs.road_km[rows]
        band: FloatArray = np.where(
            self.exact[rows],
            0.0,
            road * ANDOYER_REL_ERROR + ANDOYER_ABS_ERROR_KM * self.circuity,
        )
        return band

    def refine(self, index: ProblemIndex, rows: IntArray) -> None:
        """Replace the road km of `rows` by the exact one (the reference path's very call)."""
        rows = rows[~self.exact[rows]]
        if rows.size == 0:
            return
        lot = self.arcs.lot[rows]
        fac = index.acc_facility[self.arcs.accept[rows]]
        self.arcs.road_km[rows] = index.road.road_km_bulk(
            index.lot_lat[lot], index.lot_lon[lot], index.fac_lat[fac], index.fac_lon[fac]
        )
        self.exact[rows] = True


def _unit_vectors(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Points on the auxiliary sphere (reduced latitude) as unit vectors, and sin β."""
    beta = reduced_latitude(lat)
    lam = np.radians(lon)
    cos_b = np.cos(beta)
    vectors = np.stack((cos_b * np.cos(lam), cos_b * np.sin(lam), np.sin(beta)), axis=1)
    return vectors, np.sin(beta)


def _cos_reach(limit_km: FloatArray, circuity: float) -> FloatArray:
    """cos of the largest auxiliary-sphere angle a pair within `limit_km` of road can span.

    The exact geodesic is at least Andoyer-Lambert's − its error bound, and Andoyer-Lambert
    is at least a σ (1 − 3f/2) (`andoyer_lambert_km`); −2 (no pre-filter) past the bound's
    range."""
    geodesic = (limit_km / circuity + ANDOYER_ABS_ERROR_KM) / (1.0 - ANDOYER_REL_ERROR)
    sigma = geodesic / (WGS84_A_KM * (1.0 - 1.5 * WGS84_F))
    inside = np.isfinite(geodesic) & (geodesic < 0.9 * ANDOYER_MAX_KM)
    reach: FloatArray = np.where(inside, np.cos(np.minimum(sigma, math.pi)) - _DOT_SLACK, -2.0)
    return reach


@dataclass(frozen=True)
class _Material:
    """One material's lots and plants, as the blocks of `dense_eligible_arcs` read them."""

    lots: IntArray
    table: SpecTable
    facilities: IntArray
    first_row: IntArray
    per_facility: IntArray
    assays: FloatArray
    """Per spec parameter: the lots' assays (NaN where missing), and which entries bound it."""
    columns: tuple[tuple[FloatArray, FloatArray, FloatArray, BoolArray | None], ...]
    vectors_t: FloatArray
    reach: FloatArray
    sin_beta: FloatArray
    limit: FloatArray


_Part = tuple[IntArray, IntArray, FloatArray, BoolArray, BoolArray]


def dense_eligible_arcs(
    index: ProblemIndex,
    circuity: float,
    nearest: int = NEAREST,
    nearest_lots: int = NEAREST_LOTS,
    threads: int | None = None,
) -> DenseArcs:
    """`eligible_arcs(index)` for a road of geodesic × `circuity`, road km approximate.

    Blocks of lots × plants run on `threads` threads (default: up to 2 by CPU count); numpy
    lets go of the GIL inside its array loops, so they overlap."""
    lot_vec, lot_sin = _unit_vectors(index.lot_lat, index.lot_lon)
    fac_vec, fac_sin = _unit_vectors(index.fac_lat, index.fac_lon)
    lot_reach = _cos_reach(index.lot_limit, circuity)
    fac_reach = _cos_reach(index.fac_limit, circuity)
    materials: list[_Material] = []
    tasks: list[tuple[int, int, int]] = []
    for material in range(len(index.materials)):
        lots = np.flatnonzero((index.lot_material == material) & (index.lot_tonnes > 0))
        table = SpecTable.build(index, material)
        if lots.size == 0 or table.accepts.size == 0:
            continue
        acc_fac = index.acc_facility[table.accepts]
        facilities, first_row, per_facility = np.unique(
            acc_fac, return_index=True, return_counts=True
        )
        m = _Material(
            lots=lots,
            table=table,
            facilities=facilities,
            first_row=first_row,
            per_facility=per_facility,
            assays=(assays := table.assays([index.problem.lots[int(i)] for i in lots])),
            columns=_columns(table, assays),
            vectors_t=np.ascontiguousarray(fac_vec[facilities].T),
            reach=fac_reach[facilities],
            sin_beta=fac_sin[facilities],
            limit=index.fac_limit[facilities],
        )
        step = max(1, BLOCK_PAIRS // facilities.size)
        tasks += [(len(materials), b, min(b + step, lots.size)) for b in range(0, lots.size, step)]
        materials.append(m)

    def run(task: tuple[int, int, int]) -> tuple[_Part, FloatArray, int]:
        m = materials[task[0]]
        block = np.arange(task[1], task[2])
        rows = m.lots[block]
        return _block(
            index,
            circuity,
            m,
            block,
            lot_vec[rows],
            lot_reach[rows],
            lot_sin[rows],
            nearest,
            nearest_lots,
        )

    workers = threads if threads is not None else min(2, os.cpu_count() or 1)
    if workers > 1 and len(tasks) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(run, tasks))
    else:
        done = [run(t) for t in tasks]
    reach_of_accept = np.full(index.num_accepts, np.inf)
    for number, m in enumerate(materials):
        closest = np.concatenate(
            [c for t, (_, c, _) in zip(tasks, done, strict=True) if t[0] == number], 1
        )
        if closest.shape[1] > nearest_lots:
            closest = np.partition(closest, nearest_lots - 1, axis=1)[:, :nearest_lots]
        plant_reach = closest.max(axis=1) if closest.shape[1] >= nearest_lots else np.inf
        at = np.searchsorted(m.facilities, index.acc_facility[m.table.accepts])
        reach_of_accept[m.table.accepts] = np.broadcast_to(plant_reach, m.facilities.shape)[at]
    candidates = sum(n for _, _, n in done)
    arcs, is_exact_arc, first = _merge_by_lot([p for p, _, _ in done], index.num_lots, candidates)
    first |= arcs.road_km <= reach_of_accept[arcs.accept]
    return DenseArcs(arcs, is_exact_arc, circuity, first)


def _block(
    index: ProblemIndex,
    circuity: float,
    m: _Material,
    block: IntArray,
    vectors: FloatArray,
    reach: FloatArray,
    sin_beta: FloatArray,
    nearest: int,
    nearest_lots: int,
) -> tuple[_Part, FloatArray, int]:
    """The arcs of a block of one material's lots (positions `block` in `m.lots`), each plant's
    `nearest_lots` shortest roads to them, and the pairs the dot-product filter let through."""
    rows = m.lots[block]
    dot = vectors @ m.vectors_t
    near = (dot >= reach[:, None]) & (dot >= m.reach[None, :])
    r, c = np.nonzero(near)
    cos_sigma = dot[r, c]
    del dot, near
    geodesic = andoyer_lambert_km(0.5 * (1.0 - cos_sigma), sin_beta[r], m.sin_beta[c])
    road = geodesic * circuity
    limit = np.minimum(index.lot_limit[rows][r], m.limit[c])
    band = road * ANDOYER_REL_ERROR + ANDOYER_ABS_ERROR_KM * circuity
    unsure = (np.abs(road - limit) <= band) | (geodesic > ANDOYER_MAX_KM)
    inside = road < limit
    if unsure.any():
        u = np.flatnonzero(unsure)
        lot_u, fac_u = rows[r[u]], m.facilities[c[u]]
        exact_km = index.road.road_km_bulk(
            index.lot_lat[lot_u], index.lot_lon[lot_u], index.fac_lat[fac_u], index.fac_lon[fac_u]
        )
        road[u] = exact_km
        inside[u] = np.isfinite(exact_km) & (exact_km <= limit[u])
    keep = np.flatnonzero(inside)
    li, fi, road, is_exact = r[keep], c[keep], road[keep], unsure[keep]
    seen = np.full((m.facilities.size, block.size), np.inf)
    seen[fi, li] = road
    if block.size > nearest_lots:
        seen = np.partition(seen, nearest_lots - 1, axis=1)[:, :nearest_lots]
    # As in `eligible_arcs`: one pair per accept entry of the facility for this material (a
    # facility's entries are contiguous in the table), then the specs.
    repeat = m.per_facility[fi]
    if int(repeat.max(initial=1)) > 1:
        offsets = np.arange(int(repeat.sum())) - np.repeat(np.cumsum(repeat) - repeat, repeat)
        table_rows = np.repeat(m.first_row[fi], repeat) + offsets
        li = np.repeat(li, repeat)
        road = np.repeat(road, repeat)
        is_exact = np.repeat(is_exact, repeat)
    else:
        table_rows = m.first_row[fi]
    ok = _passes(m, block[li], table_rows)
    li, road = li[ok], road[ok]
    part = (
        rows[li],
        m.table.accepts[table_rows[ok]],
        road,
        is_exact[ok],
        _nearest(li, road, block.size, nearest),
    )
    return part, seen, int(r.size)


def _columns(
    table: SpecTable, assays: FloatArray
) -> tuple[tuple[FloatArray, FloatArray, FloatArray, BoolArray | None], ...]:
    """`SpecTable`'s matrices cut into contiguous columns, skipping parameters no entry bounds
    (None: every entry bounds it)."""
    out = []
    for c in range(len(table.parameters)):
        bounded = table.bounded[:, c]
        if not bounded.any():
            continue
        out.append(
            (
                np.ascontiguousarray(assays[:, c]),
                np.ascontiguousarray(table.low[:, c]),
                np.ascontiguousarray(table.high[:, c]),
                None if bounded.all() else np.ascontiguousarray(bounded),
            )
        )
    return tuple(out)


def _passes(m: _Material, lot_rows: IntArray, table_rows: IntArray) -> BoolArray:
    """`SpecTable.passes` for paired positions in `m.lots` and in the table, by columns."""
    ok = np.ones(lot_rows.size, dtype=np.bool_)
    for assay, low, high, bounded in m.columns:
        v = assay[lot_rows]
        # NaN (no assay) compares False, so a bound on a missing parameter fails.
        inside = v >= low[table_rows]
        inside &= v <= high[table_rows]
        if bounded is not None:
            inside |= ~bounded[table_rows]
        ok &= inside
    return ok


def _run_starts(row: IntArray, size: int) -> IntArray:
    """For sorted `row` in 0 … size − 1: each element's place in its run of equal values."""
    counts = np.bincount(row, minlength=size)
    starts = np.cumsum(counts) - counts
    place: IntArray = np.arange(row.size) - starts[row]
    return place


def _nearest(row: IntArray, road: FloatArray, rows: int, k: int) -> BoolArray:
    """The `k` shortest arcs of each row (more on ties); `row` is sorted."""
    degree = np.bincount(row, minlength=rows)
    if degree.size == 0 or int(degree.max()) <= k:
        return np.ones(row.size, dtype=np.bool_)
    padded = np.full((rows, int(degree.max())), np.inf)
    padded[row, _run_starts(row, rows)] = road
    kth = np.partition(padded, k - 1, axis=1)[:, k - 1]
    near: BoolArray = road <= kth[row]
    return near


def _merge_by_lot(
    parts: list[tuple[IntArray, IntArray, FloatArray, BoolArray, BoolArray]],
    num_lots: int,
    candidates: int,
) -> tuple[Arcs, BoolArray, BoolArray]:
    """Interleave the blocks into (lot, accept) order without sorting: each block is in that
    order already and holds all the arcs of its lots, so an arc goes to its lot's offset plus
    its place among the lot's arcs in its block."""
    total = sum(p[0].size for p in parts)
    lot = np.zeros(total, dtype=np.int64)
    accept = np.zeros(total, dtype=np.int64)
    road = np.zeros(total, dtype=np.float64)
    exact = np.zeros(total, dtype=np.bool_)
    first = np.zeros(total, dtype=np.bool_)
    counts = np.zeros(num_lots, dtype=np.int64)
    for p in parts:
        counts += np.bincount(p[0], minlength=num_lots)
    start = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    for p_lot, p_accept, p_road, p_exact, p_first in parts:
        at = start[p_lot] + _run_starts(p_lot, num_lots)
        lot[at] = p_lot
        accept[at] = p_accept
        road[at] = p_road
        exact[at] = p_exact
        first[at] = p_first
    return Arcs(lot, accept, road, candidates), exact, first


# --------------------------------------------------------------------------- solve


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
    rounds = 0
    lower: IntArray | None = None
    while True:
        rounds += 1
        dense.refine(index, keep)
        network = with_haul_arcs(frame, index, arcs, keep)
        status, solver_status, flows = _run(network)
        flow[:] = 0
        if status == "infeasible" or arcs.size == 0:
            break
        flow[keep] = flows[: keep.size]
        potential = _potentials(network, flows)
        if lower is None:
            # Fixed over the rounds: the nodes of each arc and a lower bound of its cost.
            tail = network.lot_node[arcs.lot]
            head = network.accept_node[arcs.accept]
            unit = network.integer.cny_per_unit
            floor_cost = np.ceil(((arcs.road_km - band) * cost) / unit - 0.5 - 1e-6)
            lower = np.clip(floor_cost, 0, None).astype(np.int64)
            del floor_cost
        outside = np.ones(arcs.size, dtype=np.bool_)
        outside[keep] = False
        reduced = lower + potential[tail] - potential[head]
        suspect = np.flatnonzero(outside & (reduced < 0))
        if suspect.size == 0:
            break
        dense.refine(index, suspect)
        exact_cost = network.integer.haul_of(arcs.road_km[suspect] * cost)
        lower[suspect] = exact_cost
        entering = suspect[exact_cost + potential[tail[suspect]] - potential[head[suspect]] < 0]
        if entering.size == 0:
            break
        # The arcs priced just above zero tend to price below it once these join: take the
        # cheapest of them too, so that the next solve is more often the last.
        spare = np.flatnonzero(outside & (reduced >= 0))
        extra = min(spare.size, max(entering.size, keep.size // EXTRA_SHARE))
        if extra:
            spare = spare[np.argpartition(reduced[spare], extra - 1)[:extra]]
        del reduced, outside
        keep = np.union1d(keep, np.concatenate((entering, spare[:extra])))
    full_arcs = arcs.size + network.num_arcs - network.num_haul_arcs
    return DenseSolution(dense, network, status, solver_status, flow, rounds, full_arcs, built)


_STATUS: dict[int, Status] = {
    int(min_cost_flow.SimpleMinCostFlow.OPTIMAL): "optimal",
    int(min_cost_flow.SimpleMinCostFlow.FEASIBLE): "feasible",
}


def _run(network: Network) -> tuple[Status, str, IntArray]:
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        network.tails, network.heads, network.capacities, network.costs
    )
    smcf.set_nodes_supplies(np.arange(network.num_nodes, dtype=np.int32), network.supplies)
    solver_status = smcf.solve()
    status = _STATUS.get(int(solver_status), "infeasible")
    if status == "infeasible":
        return status, solver_status.name, np.zeros(network.num_arcs, dtype=np.int64)
    flows = np.asarray(smcf.flows(np.arange(network.num_arcs, dtype=np.int32)), dtype=np.int64)
    return status, solver_status.name, flows


def _potentials(network: Network, flows: IntArray) -> IntArray:
    """Node potentials π with c + π(tail) − π(head) ≥ 0 on every arc of the residual network:
    shortest distances from a virtual root joined to every node at cost 0 (Bellman-Ford, all
    arcs relaxed at once each pass; an optimal flow leaves no negative cycle)."""
    forward = flows < network.capacities
    backward = flows > 0
    tails = np.concatenate((network.tails[forward], network.heads[backward])).astype(np.int64)
    heads = np.concatenate((network.heads[forward], network.tails[backward])).astype(np.int64)
    costs = np.concatenate((network.costs[forward], -network.costs[backward]))
    order = np.argsort(heads, kind="stable")
    tails, heads, costs = tails[order], heads[order], costs[order]
    targets, starts = np.unique(heads, return_index=True)
    distance = np.zeros(network.num_nodes, dtype=np.int64)
    for _ in range(network.num_nodes + 1):
        best = np.minimum.reduceat(distance[tails] + costs, starts)
        better = best < distance[targets]
        if not better.any():
            return distance
        distance[targets[better]] = best[better]
    raise RuntimeError("negative cycle in the residual network of an optimal flow")


def refine_for_report(index: ProblemIndex, dense: DenseArcs, flow: IntArray) -> None:
    """Make exact every road km the result reports or ranks by: matched arcs, and for each lot
    left short, enough of its nearest arcs that `Explainer` names and orders the same plants as
    it would with every distance exact.

    `Explainer` names a lot's `NAMED_PLANTS` nearest arcs among those with no spare capacity and
    among those with some. If the first five of a group by approximate km end at t, the exact
    fifth is within t + b (b: the largest error band), so every arc that may be among the exact
    first five has approximate km − its band ≤ t + b; those become exact. Every other arc stays
    above t + b in the mixed array, behind all of them, and the order among them is exact."""
    arcs = dense.arcs
    dense.refine(index, np.flatnonzero(flow > 0))
    matched = np.bincount(arcs.lot, weights=flow, minlength=index.num_lots)
    start = arcs.by_lot(index.num_lots)
    short = (index.lot_tonnes - matched > 0) & (start[1:] > start[:-1])
    if not short.any():
        return
    acc_used = np.bincount(arcs.accept, weights=flow, minlength=index.num_accepts)
    fac_used = np.bincount(
        index.acc_facility[arcs.accept], weights=flow, minlength=len(index.problem.facilities)
    )
    acc_spare = index.acc_capacity - acc_used
    fac_spare = (index.fac_capacity - fac_used)[index.acc_facility]
    mine = np.flatnonzero(short[arcs.lot])
    accept = arcs.accept[mine]
    full = np.minimum(acc_spare[accept], fac_spare[accept]) < 1
    road = arcs.road_km[mine]
    band = dense.band_km(mine)
    widest = float(band.max(initial=0.0))
    reach = np.full(mine.size, -np.inf)
    for group in (full, ~full):
        rows = mine[group]
        last = _kth_or_last(arcs.lot[rows], road[group], NAMED_PLANTS, index.num_lots)
        reach = np.maximum(reach, last[arcs.lot[mine]])
    dense.refine(index, mine[road - band <= reach + widest])


def _kth_or_last(lot: IntArray, road: FloatArray, k: int, num_lots: int) -> FloatArray:
    """Per lot: its k-th smallest `road`, or its largest when it has fewer; −inf with none.
    `lot` is sorted."""
    out = np.full(num_lots, -np.inf)
    if lot.size == 0:
        return out
    first = np.flatnonzero(np.diff(lot, prepend=-1))  # runs of a sorted array, without sorting
    lots = lot[first]
    count = np.diff(first, append=lot.size)
    place = np.arange(lot.size) - np.repeat(first, count)
    row = np.repeat(np.arange(lots.size), count)
    width = int(count.max())
    chunk = max(1, (1 << 22) // width)
    for begin in range(0, lots.size, chunk):
        end = min(begin + chunk, lots.size)
        take = (row >= begin) & (row < end)
        padded = np.full((end - begin, width), np.inf)
        padded[row[take] - begin, place[take]] = road[take]
        largest = np.where(np.isfinite(padded), padded, -np.inf).max(axis=1)
        if width >= k:
            kth = np.partition(padded, k - 1, axis=1)[:, k - 1]
            largest = np.minimum(kth, largest)
        out[lots[begin:end]] = largest
    return out
