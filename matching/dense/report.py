"""The dense path's report: which approximate road km the result must make exact."""

from __future__ import annotations

import numpy as np

from matching.dense.distances import DenseArcs
from matching.explain import NAMED_PLANTS
from matching.index import FloatArray, IntArray, ProblemIndex


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
