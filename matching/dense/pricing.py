"""The dense path's pricing: node potentials of a restricted network's optimal flow price every
eligible arc outside it, and those that may lower the cost join it.

Potentials are shortest distances in the residual network (Bellman-Ford). An arc whose reduced
cost may be negative under its distance's error gets its exact cost, and those with a negative
one join the network, with the cheapest others (`EXTRA_SHARE`). When none is left the
potentials prove the flow optimal for the network of all arcs (complementary slackness).
"""

from __future__ import annotations

import numpy as np

from matching.dense.distances import DenseArcs
from matching.index import FloatArray, IntArray, ProblemIndex
from matching.network import Network

EXTRA_SHARE = 20
"""With the arcs of negative reduced cost the cheapest others join, up to 1/20 of the network."""


class Pricing:
    """Prices every arc of `dense` against restricted networks over the rounds of one solve.

    `band` is each arc's error band (`DenseArcs.band_km`) when the solve started."""

    def __init__(self, index: ProblemIndex, dense: DenseArcs, band: FloatArray) -> None:
        self.index = index
        self.dense = dense
        self.band = band
        self._fixed: tuple[IntArray, IntArray, IntArray] | None = None
        """The nodes of each arc and a lower bound of its integer cost (exact once refined)."""

    def entering(self, network: Network, flows: IntArray, keep: IntArray) -> IntArray:
        """The arcs to add to `keep` (the network's haul arcs) given its optimal `flows`; none
        when no arc outside it has a negative reduced cost, so the flow is optimal for all."""
        arcs = self.dense.arcs
        cost = self.index.cost_per_t_km
        potential = potentials(network, flows)
        if self._fixed is None:
            # Fixed over the rounds: the nodes of each arc and a lower bound of its cost.
            unit = network.integer.cny_per_unit
            floor_cost = np.ceil(((arcs.road_km - self.band) * cost) / unit - 0.5 - 1e-6)
            self._fixed = (
                network.lot_node[arcs.lot],
                network.accept_node[arcs.accept],
                np.clip(floor_cost, 0, None).astype(np.int64),
            )
            del floor_cost
        tail, head, lower = self._fixed
        outside = np.ones(arcs.size, dtype=np.bool_)
        outside[keep] = False
        reduced = lower + potential[tail] - potential[head]
        suspect = np.flatnonzero(outside & (reduced < 0))
        none = np.zeros(0, dtype=np.int64)
        if suspect.size == 0:
            return none
        self.dense.refine(self.index, suspect)
        exact_cost = network.integer.haul_of(arcs.road_km[suspect] * cost)
        lower[suspect] = exact_cost
        entering = suspect[exact_cost + potential[tail[suspect]] - potential[head[suspect]] < 0]
        if entering.size == 0:
            return none
        # The arcs priced just above zero tend to price below it once these join: take the
        # cheapest of them too, so that the next solve is more often the last.
        spare = np.flatnonzero(outside & (reduced >= 0))
        extra = min(spare.size, max(entering.size, keep.size // EXTRA_SHARE))
        if extra:
            spare = spare[np.argpartition(reduced[spare], extra - 1)[:extra]]
        return np.concatenate((entering, spare[:extra]))


def potentials(network: Network, flows: IntArray) -> IntArray:
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
