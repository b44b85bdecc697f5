"""Monthly capacities and the one place where a plan's haul costs become integers."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from matching.errors import (
    TooLarge,
)
from matching.index import FloatArray, IntArray
from matching.network import INT64_MAX, MAX_UNIT_COST, IntegerScale
from matching.plan.model import Intake

# --------------------------------------------------------------------------- capacities


def monthly_capacity(intake: Intake, horizon: int, renew: bool = False) -> IntArray:
    """Whole tonnes offered in each month of the horizon.

    The capacity is spread evenly over the offer's months, the remainder of the division going
    one tonne each to its earliest months, so the months of the whole period add up to exactly
    the (floored) capacity. Renewed, the offer carries on at its floored monthly rate.
    """
    out = np.zeros(horizon, dtype=np.int64)
    total = math.floor(intake.capacity_t)
    months = intake.last_month - intake.first_month + 1
    base, extra = divmod(total, months)
    period = np.full(months, base, dtype=np.int64)
    period[:extra] += 1
    end = min(intake.last_month + 1, horizon)
    if intake.first_month < end:
        out[intake.first_month : end] = period[: end - intake.first_month]
    if renew and intake.last_month + 1 < horizon:
        out[intake.last_month + 1 :] = base
    return out


# --------------------------------------------------------------------------- integer costs


@dataclass(frozen=True)
class PlanCosts:
    haul: IntArray
    """Integer cost per tonne of each eligible (stream, intake) pair, 0 … c."""
    month_per_weight: int
    """H: a tonne of priority w leaving in month t costs H × w × t more (see `plan_costs`)."""
    left_per_weight: int
    """A tonne of priority w still in stock at the horizon's end costs this × w: M + H(T − 1)."""
    cny_per_unit: float


def plan_costs(
    cny_per_t: FloatArray,
    *,
    num_nodes: int,
    ship_cycle_arcs: int,
    horizon: int,
    hold_arcs: int,
    max_weight: int,
    min_weight: int,
    max_unit: int = MAX_UNIT_COST,
) -> PlanCosts:
    """The one place where haul costs become integers, with the two penalties above them.

    Levels. (1) the most weighted tonnes drawn down, (2) then the fewest weighted stock-months,
    (3) then the least haulage. Picture first the plain time-expanded network: holdover arcs
    cost H·w a tonne-month, a tonne left at the horizon's end M·w, shipments their haul. Let x be
    a min-cost flow there and y a feasible flow that is better lexicographically. y − x is a
    circulation in x's residual network; split it into simple cycles C, each of cost ≥ 0 since x
    is optimal. For a cycle write ΔL for its change of weighted tonnes left at the horizon
    (whole: weights are whole), ΔS for its change of weighted stock-months (whole), h(C) for its
    haul cost. Bounds on one simple cycle:

    * h(C) ≤ k·c, c the dearest shipment, k = `ship_cycle_arcs` = min(stream-month nodes,
      intake-month nodes): a simple cycle leaves each stream-month node and enters each
      intake-month node at most once.
    * ΔS ≤ B = w_max·(T − 1) + (w_max − w_min)·(number of holdover arcs). Only holdover arcs
      move a tonne in time (+1 month forward, −1 backward); every other arc keeps the month or
      ends in the sink, and a simple cycle passes the sink at most once. So its forward holds F
      and backward holds K satisfy F − K ≤ T − 1, and ΔS ≤ w_max·F − w_min·K
      ≤ w_max·(T − 1) + (w_max − w_min)·K. With one weight (one material after dividing by the
      gcd) B = T − 1.

    With H = k·c + 1 and M = k·c + H·B + 1:
    (1) If y leaves fewer weighted tonnes, some cycle has ΔL ≤ −1 and costs at most
        k·c + H·B − M < 0: impossible. So no cycle has ΔL < 0, and when L(y) = L(x) every cycle
        has ΔL = 0.
    (2) If moreover y has fewer stock-months, some cycle with ΔL = 0 has ΔS ≤ −1 and costs at
        most k·c − H < 0: impossible.
    (3) Among flows equal on (1) and (2), the penalties are constants and x minimises haulage.
    So no tonne drawn down is ever traded for an earlier drawdown, and no month of earlier
    drawdown for a cheaper haul: `test_planner` checks both on small literal problems.

    Where the penalty is charged. A stream's stock-months are Σ_t stock_t = Σ_t (arrived by t −
    left by t) = const − Σ_tonnes (T − 1 − month it leaves), tonnes left at the end leaving at
    T − 1. So H·w·stock-months = const + H·w·(month a tonne leaves) + H·w·(T − 1)·(tonnes left):
    `build_network` charges H·w·t on every arc by which a tonne leaves in month t and
    (M + H·(T − 1))·w on the left arc, and nothing on holdover arcs. Every flow costs the same
    as in the picture above up to a constant, so it has the same optimal flows, and the network
    may drop the holdover chain of a yard that cannot run out (`build_network`).

    Overflow: as in `matching.network.integer_costs`, the largest arc cost (M + H(T − 1))·w_max
    is kept below INT64_MAX / (8N(N + 1)), N the nodes of the network solved; the haul
    resolution c shrinks to fit, and `TooLarge` is raised when not even one unit fits.
    """
    n = num_nodes + 2
    budget = INT64_MAX // (8 * n * (n + 1))
    k = max(1, ship_cycle_arcs)
    T = max(1, horizon)
    w_max = max(1, max_weight)
    b = w_max * (T - 1) + (w_max - min(min_weight, w_max)) * hold_arcs
    # M + H(T − 1) = k·c·(B + T) + B + T
    c_max = min(max_unit, (budget // w_max - b - T) // (k * (b + T)))
    if c_max < 1:
        raise TooLarge(
            "problem",
            "{num_nodes} nodes over {horizon} months leave no room "
            "for exact integer costs; shorten the horizon or plan "
            "fewer materials at once",
            num_nodes=num_nodes,
            horizon=horizon,
        )
    cny = np.asarray(cny_per_t, dtype=np.float64)
    top = float(cny.max()) if cny.size else 0.0
    if top > 0:
        # rounded as the match's arcs are (`matching.network.IntegerScale`)
        unit = top / c_max
        haul = IntegerScale(c_max=c_max, unit=unit, penalty=0).haul(cny)
    else:
        unit = 0.0
        haul = np.zeros(cny.size, dtype=np.int64)
    c = int(haul.max(initial=0))
    hold = k * c + 1
    left = k * c + hold * b + 1
    return PlanCosts(
        haul=haul,
        month_per_weight=hold,
        left_per_weight=left + hold * (T - 1),
        cny_per_unit=unit,
    )
