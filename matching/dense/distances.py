"""The dense path's distances: every eligible arc with a cheap road km (Andoyer-Lambert ×
circuity), exact (Karney's) where it decides eligibility or is asked for (`DenseArcs.refine`).

Every candidate pair gets the Andoyer-Lambert distance (`geo.distance`), within
`andoyer_error_km` of Karney's geodesic, vectorised over blocks of lots × plants after a
dot-product pre-filter on the auxiliary sphere. A pair within that error band of its haul limit
gets the exact geodesic (the same `geodesic_km_bulk` call as the reference path), so the arc
set is exactly `eligible_arcs`'.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geo.distance import (
    ANDOYER_ABS_ERROR_KM,
    ANDOYER_MAX_KM,
    ANDOYER_REL_ERROR,
    WGS84_A_KM,
    WGS84_F,
    andoyer_lambert_km,
    reduced_latitude,
)
from matching.eligibility import Arcs, SpecTable, by_material, entry_rows
from matching.index import FloatArray, IntArray, ProblemIndex

BoolArray = NDArray[np.bool_]

NEAREST = 8
"""Arcs per lot in the first network (nearest first); pricing adds whatever else is needed."""
NEAREST_LOTS = 16
"""And each plant's nearest lots for a material: the arcs an optimum uses are far more often
among a plant's few nearest lots than among a lot's few nearest plants, because plants are
what is scarce."""
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
    for lots, table, facilities, first_row, per_facility in by_material(index):
        m = _Material(
            lots,
            table,
            facilities,
            first_row,
            per_facility,
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
    # As in `eligible_arcs`: one pair per accept entry of the facility for this material, then
    # the specs.
    repeat, table_rows = entry_rows(m.per_facility, m.first_row, fi)
    if repeat is not None:
        li = np.repeat(li, repeat)
        road = np.repeat(road, repeat)
        is_exact = np.repeat(is_exact, repeat)
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
