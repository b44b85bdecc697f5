"""Which lot may go to which accept entry (docs/matching-format.md): bulk and one-pair paths.

A lot may go to an accept entry when the material is the same, every spec bound holds for the
lot's assay (inclusive; a bound on a parameter the lot lacks fails: "missing assay"), and road km
is within both the lot's and the facility's `max_haul_km`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geo.distance import pairs_within
from matching.index import FloatArray, IntArray, ProblemIndex
from matching.model import Accept, Facility, Lot

BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Arcs:
    """Eligible (lot, accept entry) pairs, sorted by lot then accept."""

    lot: IntArray
    accept: IntArray
    road_km: FloatArray
    candidate_pairs: int
    """(lot, facility) pairs the great-circle pre-filter let through to the exact distance."""

    @property
    def size(self) -> int:
        return int(self.lot.size)

    def by_lot(self, num_lots: int) -> IntArray:
        """CSR start offsets: the arcs of lot i are `start[i]:start[i + 1]`."""
        counts = np.bincount(self.lot, minlength=num_lots)
        return np.concatenate(([0], np.cumsum(counts))).astype(np.int64)


@dataclass(frozen=True)
class SpecTable:
    """The spec bounds of one material's accept entries as matrices over its parameters."""

    accepts: IntArray
    parameters: tuple[str, ...]
    low: FloatArray
    high: FloatArray
    bounded: BoolArray

    @classmethod
    def build(cls, index: ProblemIndex, material: int) -> SpecTable:
        accepts = np.flatnonzero(index.acc_material == material).astype(np.int64)
        specs = [index.accept(int(a)).spec for a in accepts]
        parameters = tuple(sorted({code for spec in specs for code in spec}))
        column = {code: c for c, code in enumerate(parameters)}
        shape = (accepts.size, len(parameters))
        low = np.full(shape, -np.inf)
        high = np.full(shape, np.inf)
        bounded = np.zeros(shape, dtype=np.bool_)
        for row, spec in enumerate(specs):
            for code, bound in spec.items():
                c = column[code]
                bounded[row, c] = True
                if bound.min is not None:
                    low[row, c] = bound.min
                if bound.max is not None:
                    high[row, c] = bound.max
        return cls(accepts, parameters, low, high, bounded)

    def assays(self, lots: list[Lot]) -> FloatArray:
        """The lots' values of this table's parameters; NaN where a lot has no assay."""
        values = np.full((len(lots), len(self.parameters)), np.nan)
        for row, lot in enumerate(lots):
            for c, code in enumerate(self.parameters):
                v = lot.quality.get(code)
                if v is not None:
                    values[row, c] = v
        return values

    def passes(self, assays: FloatArray, rows: IntArray) -> BoolArray:
        """For paired rows of `assays` and of this table: does every bound hold?"""
        ok = np.ones(rows.size, dtype=np.bool_)
        for c in range(len(self.parameters)):
            v = assays[:, c]
            # NaN (no assay) compares False, so a bound on a missing parameter fails.
            inside = (v >= self.low[rows, c]) & (v <= self.high[rows, c])
            ok &= ~self.bounded[rows, c] | inside
        return ok


def by_material(
    index: ProblemIndex,
) -> Iterator[tuple[IntArray, SpecTable, IntArray, IntArray, IntArray]]:
    """Each material with lots of tonnes and accept entries: its lots, its `SpecTable`, and its
    plants (facilities) with the first table row and the number of entries of each."""
    for material in range(len(index.materials)):
        lots = np.flatnonzero((index.lot_material == material) & (index.lot_tonnes > 0))
        table = SpecTable.build(index, material)
        if lots.size == 0 or table.accepts.size == 0:
            continue
        facilities, first_row, per_facility = np.unique(
            index.acc_facility[table.accepts], return_index=True, return_counts=True
        )
        yield lots, table, facilities, first_row, per_facility


def entry_rows(
    per_facility: IntArray, first_row: IntArray, fi: IntArray
) -> tuple[IntArray | None, IntArray]:
    """Each (lot, facility `fi`) pair becomes one pair per accept entry of the facility for the
    material (the table lists a facility's entries contiguously): how many times to repeat each
    pair (None: once, every facility has one entry) and the table rows of the pairs so made."""
    repeat = per_facility[fi]
    if int(repeat.max(initial=1)) <= 1:
        return None, first_row[fi].astype(np.int64)
    offsets = np.arange(int(repeat.sum())) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    return repeat, (np.repeat(first_row[fi], repeat) + offsets).astype(np.int64)


def eligible_arcs(index: ProblemIndex) -> Arcs:
    lots_out: list[IntArray] = []
    accepts_out: list[IntArray] = []
    road_out: list[FloatArray] = []
    candidates = 0
    for lots, table, facilities, first_row, per_facility in by_material(index):
        li, fi = pairs_within(
            index.lot_lat[lots],
            index.lot_lon[lots],
            index.lot_limit[lots],
            index.fac_lat[facilities],
            index.fac_lon[facilities],
            index.fac_limit[facilities],
            index.road.min_circuity,
        )
        candidates += int(li.size)
        lot_idx = lots[li]
        fac_idx = facilities[fi]
        road = index.road.road_km_bulk(
            index.lot_lat[lot_idx],
            index.lot_lon[lot_idx],
            index.fac_lat[fac_idx],
            index.fac_lon[fac_idx],
        )
        limit = np.minimum(index.lot_limit[lot_idx], index.fac_limit[fac_idx])
        near = np.isfinite(road) & (road <= limit)
        li, fi, road = li[near], fi[near], road[near]
        repeat, rows = entry_rows(per_facility, first_row, fi)
        if repeat is not None:
            li = np.repeat(li, repeat)
            road = np.repeat(road, repeat)
        assays = table.assays([index.problem.lots[int(i)] for i in lots])
        ok = table.passes(assays[li], rows)
        lots_out.append(lots[li[ok]])
        accepts_out.append(table.accepts[rows[ok]])
        road_out.append(road[ok])
    if not lots_out:
        empty = np.zeros(0, dtype=np.int64)
        return Arcs(empty, empty.copy(), np.zeros(0), candidates)
    lot = np.concatenate(lots_out)
    accept = np.concatenate(accepts_out)
    road_km = np.concatenate(road_out)
    order = np.lexsort((accept, lot))
    return Arcs(lot[order], accept[order], road_km[order], candidates)


# --------------------------------------------------------------------------- one pair


@dataclass(frozen=True)
class QualityMiss:
    parameter: str
    value: float
    limit: float
    side: str
    """"min" when the value is below the minimum, "max" when above the maximum."""


@dataclass(frozen=True)
class PairCheck:
    """Every rule one (lot, accept entry) pair breaks; eligible when none."""

    material_differs: bool
    missing: tuple[str, ...]
    quality: tuple[QualityMiss, ...]
    road_km: float
    limit_km: float

    @property
    def beyond_haul(self) -> bool:
        return self.road_km > self.limit_km

    @property
    def eligible(self) -> bool:
        return not (self.material_differs or self.missing or self.quality or self.beyond_haul)


def check_pair(lot: Lot, facility: Facility, accept: Accept, road_km: float) -> PairCheck:
    missing: list[str] = []
    misses: list[QualityMiss] = []
    for code, bound in sorted(accept.spec.items()):
        value = lot.quality.get(code)
        if value is None:
            missing.append(code)
        elif bound.min is not None and value < bound.min:
            misses.append(QualityMiss(code, value, bound.min, "min"))
        elif bound.max is not None and value > bound.max:
            misses.append(QualityMiss(code, value, bound.max, "max"))
    limits = [x for x in (lot.max_haul_km, facility.max_haul_km) if x is not None]
    return PairCheck(
        material_differs=lot.material != accept.material,
        missing=tuple(missing),
        quality=tuple(misses),
        road_km=road_km,
        limit_km=min(limits) if limits else math.inf,
    )
