"""The drawdown planner: month by month, how far can today's intake offers draw the stockpiles down?

Pure, like the rest of `matching`: a `PlanProblem` of frozen values in, a `PlanResult` out.

A stockpile is a `Stock` stream: one yard's tonnes of one material of one grade (a yard whose lots
carry different assays is split into one stream per grade, so that each grade meets the offers'
specs on its own). It starts with its stock, gains its expected generation each month and loses
its own use (own consumption and treatment outside the market). An `Intake` is one open intake
offer: a plant taking a material within a spec and a haul radius, with a capacity for its period
that is spread evenly over the period's months.

The plan is one time-expanded min-cost flow per group of materials that compete for a plant (see
`build_network`). Every tonne is whole; eligibility (material, spec, haul limits) and road distance
are the matching engine's own (`matching.eligibility`), so a plan never ships what a match run
would refuse. The objective is lexicographic (`plan_costs`): first the most priority-weighted
tonnes drawn down over the horizon, then the earliest drawdown (the fewest weighted stock-months),
then the least haulage cost.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from geo.distance import CircuityRoadDistance, RoadDistance
from matching import defaults
from matching.eligibility import eligible_arcs
from matching.errors import (
    BoundsReversed,
    DuplicateId,
    Negative,
    NotFinite,
    OutOfRange,
    ProblemError,
    TooLarge,
    WrongType,
)
from matching.index import FloatArray, IntArray, ProblemIndex
from matching.model import (
    MAX_PRIORITY,
    MAX_TONNES,
    Accept,
    Bound,
    Facility,
    Lot,
    MatchingProblem,
    Params,
    Status,
)

DEFAULT_HORIZON = 36
MAX_HORIZON = 240
MAX_UNIT_COST = 1_000_000
"""Resolution of haul costs: the dearest shipment costs at most this many integer units a tonne."""

INT64_MAX = int(np.iinfo(np.int64).max)


# --------------------------------------------------------------------------- the problem


@dataclass(frozen=True)
class Stock:
    """One yard's stockpile of one material (one grade of it)."""

    id: str
    yard: str
    material: str
    tonnes: float
    """Stock today: the plan's month 0 starts with it."""
    lat: float
    lon: float
    monthly_generation_t: float = 0.0
    monthly_own_use_t: float = 0.0
    """Own use and treatment: stock that leaves the yard each month without the market."""
    quality: Mapping[str, float] = field(default_factory=dict)
    max_haul_km: float | None = None
    producer: str | None = None


@dataclass(frozen=True)
class Intake:
    """One intake offer; `capacity_t` is spread over months `first_month` … `last_month`."""

    id: str
    plant: str
    material: str
    lat: float
    lon: float
    capacity_t: float
    first_month: int = 0
    last_month: int = 11
    """Inclusive; may lie beyond the horizon (those months' share is then never offered)."""
    spec: Mapping[str, Bound] = field(default_factory=dict)
    max_haul_km: float | None = None
    price_cny_t: float | None = None


@dataclass(frozen=True)
class PlanParams:
    horizon_months: int = DEFAULT_HORIZON
    cost_per_t_km: float = defaults.COST_PER_T_KM
    circuity: float | None = None
    """None: the policy's default (`seed_data`)."""
    priorities: Mapping[str, int] = field(default_factory=dict)
    renew_offers: bool = False
    """After its last month an offer carries on at its monthly rate to the horizon's end."""
    plant_monthly_capacity_t: Mapping[str, float] = field(default_factory=dict)
    """A plant's intake per month over all its offers, where it has such a limit."""
    marginal_step: float = 0.10
    """Bottleneck plants are re-solved with this much more capacity to value it."""
    max_marginal_resolves: int = 10
    """Bottlenecks the steady-supply shortcut cannot value are re-solved, the busiest first, at
    most this many times (each re-solve costs about one plan)."""
    bottleneck_share: float = 0.5
    """A plant is a bottleneck when saturated in more than this share of its active months."""
    month_labels: tuple[str, ...] = ()
    """Optional names of the months (e.g. "2026-11"), one per month of the horizon."""

    def priority(self, material: str) -> int:
        return self.priorities.get(material, defaults.PRIORITY)

    def effective_circuity(self) -> float:
        return defaults.policy_circuity() if self.circuity is None else self.circuity


@dataclass(frozen=True)
class PlanProblem:
    stocks: tuple[Stock, ...]
    intakes: tuple[Intake, ...]
    params: PlanParams = field(default_factory=PlanParams)


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class YardPlan:
    yard: str
    producer: str | None
    material: str
    stock_t: tuple[int, ...]
    """Today, then the end of each month: horizon + 1 figures."""
    shipped_t: tuple[int, ...]
    own_use_t: tuple[int, ...]
    generated_t: tuple[int, ...]
    zero_month: int | None
    """The first month at whose end the stock is 0; None: not within the horizon."""
    streams: int


@dataclass(frozen=True)
class ProducerPlan:
    producer: str
    material: str
    stock_t: tuple[int, ...]
    zero_month: int | None
    yards: tuple[str, ...]


@dataclass(frozen=True)
class Marginal:
    """What `step` more capacity at a plant would add to the drawdown over the horizon."""

    step: float
    extra_capacity_t: int
    extra_drawdown_t: int
    tonnes_per_tonne: float
    """Extra drawdown ÷ extra capacity: 1 when every added tonne of capacity is used."""
    method: str
    """"re-solve", or "steady supply": every enlarged offer is reachable from a yard that cannot
    run out, so each added tonne is drawn down (see `_marginal`)."""


@dataclass(frozen=True)
class IntakeUse:
    intake: str
    plant: str
    material: str
    capacity_t: tuple[int, ...]
    shipped_t: tuple[int, ...]
    utilisation: float | None
    active_months: int
    saturated_months: int


@dataclass(frozen=True)
class PlantUse:
    plant: str
    materials: tuple[str, ...]
    intakes: tuple[str, ...]
    capacity_t: int
    shipped_t: int
    utilisation: float | None
    active_months: int
    saturated_months: int
    bottleneck: bool
    marginal: Marginal | None


@dataclass(frozen=True)
class Shipment:
    """Tonnes from one yard to one intake over the whole horizon."""

    yard: str
    intake: str
    plant: str
    material: str
    tonnes: int
    road_km: float
    haul_cost: float


@dataclass(frozen=True)
class MaterialPlan:
    material: str
    priority: int
    stock_t: tuple[int, ...]
    shipped_t: tuple[int, ...]
    own_use_t: tuple[int, ...]
    generated_t: tuple[int, ...]
    capacity_t: tuple[int, ...]
    """Intake capacity offered each month (what could be shipped, eligibility aside)."""
    zero_month: int | None
    yards: tuple[YardPlan, ...]
    producers: tuple[ProducerPlan, ...]

    @property
    def drawn_down_t(self) -> int:
        return sum(self.shipped_t)


@dataclass(frozen=True)
class PlanResult:
    status: Status
    horizon_months: int
    month_labels: tuple[str, ...]
    materials: tuple[MaterialPlan, ...]
    intakes: tuple[IntakeUse, ...]
    plants: tuple[PlantUse, ...]
    shipments: tuple[Shipment, ...]
    stats: Mapping[str, Any]


# --------------------------------------------------------------------------- rules on values


def check_plan(problem: PlanProblem) -> None:
    """Raise a `ProblemError` naming the first value that breaks the rules."""
    p = problem.params
    if isinstance(p.horizon_months, bool) or not isinstance(p.horizon_months, int):
        raise WrongType("params.horizon_months", p.horizon_months, "a whole number")
    if not 1 <= p.horizon_months <= MAX_HORIZON:
        raise OutOfRange("params.horizon_months", p.horizon_months, 1, MAX_HORIZON)
    _non_negative(p.cost_per_t_km, "params.cost_per_t_km")
    if p.circuity is not None:
        _non_negative(p.circuity, "params.circuity")
        if p.circuity == 0:
            raise ProblemError("params.circuity", "0 must be positive")
    for material, priority in p.priorities.items():
        path = f"params.priorities.{material}"
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise WrongType(path, priority, "a whole number")
        if not 1 <= priority <= MAX_PRIORITY:
            raise OutOfRange(path, priority, 1, MAX_PRIORITY)
    for plant, cap in p.plant_monthly_capacity_t.items():
        _tonnes(cap, f"params.plant_monthly_capacity_t.{plant}")
    _non_negative(p.marginal_step, "params.marginal_step")
    if not 0 < p.marginal_step <= 10:
        raise OutOfRange("params.marginal_step", p.marginal_step, 0, 10)
    if not 0 < p.bottleneck_share <= 1:
        raise OutOfRange("params.bottleneck_share", p.bottleneck_share, 0, 1)
    if p.max_marginal_resolves < 0:
        raise Negative("params.max_marginal_resolves", p.max_marginal_resolves)
    if p.month_labels and len(p.month_labels) != p.horizon_months:
        raise ProblemError(
            "params.month_labels",
            "{labels} labels for a horizon of {months} months",
            labels=len(p.month_labels),
            months=p.horizon_months,
        )
    seen: dict[str, str] = {}
    for i, s in enumerate(problem.stocks):
        path = f"stocks[{i}]"
        _unique(s.id, f"{path}.id", seen)
        _name(s.yard, f"{path}.yard")
        _name(s.material, f"{path}.material")
        _tonnes(s.tonnes, f"{path}.tonnes")
        _tonnes(s.monthly_generation_t, f"{path}.monthly_generation_t")
        _tonnes(s.monthly_own_use_t, f"{path}.monthly_own_use_t")
        _point(s.lat, s.lon, path)
        for code, value in s.quality.items():
            _finite(value, f"{path}.quality.{code}")
        if s.max_haul_km is not None:
            _non_negative(s.max_haul_km, f"{path}.max_haul_km")
    seen = {}
    for j, o in enumerate(problem.intakes):
        path = f"intakes[{j}]"
        _unique(o.id, f"{path}.id", seen)
        _name(o.plant, f"{path}.plant")
        _name(o.material, f"{path}.material")
        _tonnes(o.capacity_t, f"{path}.capacity_t")
        _point(o.lat, o.lon, path)
        for name, month in (("first_month", o.first_month), ("last_month", o.last_month)):
            if isinstance(month, bool) or not isinstance(month, int):
                raise WrongType(f"{path}.{name}", month, "a whole number")
        if o.first_month < 0:
            raise Negative(f"{path}.first_month", o.first_month)
        if o.last_month < o.first_month:
            raise BoundsReversed(f"{path}.months", o.first_month, o.last_month)
        for code, bound in o.spec.items():
            if bound.min is not None:
                _finite(bound.min, f"{path}.spec.{code}.min")
            if bound.max is not None:
                _finite(bound.max, f"{path}.spec.{code}.max")
            if bound.min is not None and bound.max is not None and bound.min > bound.max:
                raise BoundsReversed(f"{path}.spec.{code}", bound.min, bound.max)
        if o.max_haul_km is not None:
            _non_negative(o.max_haul_km, f"{path}.max_haul_km")


def _name(value: str, path: str) -> None:
    if not isinstance(value, str):
        raise WrongType(path, value, "a string")
    if not value.strip():
        raise ProblemError(path, "must not be empty")


def _unique(value: str, path: str, seen: dict[str, str]) -> None:
    _name(value, path)
    if value in seen:
        raise DuplicateId(path, value, seen[value])
    seen[value] = path.removesuffix(".id")


def _finite(value: float, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WrongType(path, value, "a number")
    if not math.isfinite(value):
        raise NotFinite(path, value)


def _non_negative(value: float, path: str) -> None:
    _finite(value, path)
    if value < 0:
        raise Negative(path, value)


def _tonnes(value: float, path: str) -> None:
    _non_negative(value, path)
    if value > MAX_TONNES:
        raise TooLarge(
            path,
            "{tonnes:g} t is above the maximum {maximum:g} t",
            tonnes=value,
            maximum=MAX_TONNES,
        )


def _point(lat: float, lon: float, path: str) -> None:
    _finite(lat, f"{path}.lat")
    _finite(lon, f"{path}.lon")
    if not -90 <= lat <= 90:
        raise OutOfRange(f"{path}.lat", lat, -90, 90)
    if not -180 <= lon <= 180:
        raise OutOfRange(f"{path}.lon", lon, -180, 180)


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
        unit = top / c_max
        haul = np.minimum(np.rint(cny / unit), c_max).astype(np.int64)
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


# --------------------------------------------------------------------------- components


@dataclass(frozen=True)
class _Component:
    """Materials that compete for some plant's shared capacity (usually one material)."""

    materials: tuple[str, ...]
    streams: IntArray
    intakes: IntArray
    plants: tuple[str, ...]
    """Plants of the component with a shared monthly capacity, in first-appearance order."""


def _components(problem: PlanProblem) -> list[_Component]:
    capped = problem.params.plant_monthly_capacity_t
    parent: dict[str, str] = {}

    def find(m: str) -> str:
        parent.setdefault(m, m)
        while parent[m] != m:
            parent[m] = parent[parent[m]]
            m = parent[m]
        return m

    order: list[str] = []
    for s in problem.stocks:
        if s.material not in parent:
            order.append(s.material)
        find(s.material)
    first_of_plant: dict[str, str] = {}
    for o in problem.intakes:
        if o.material not in parent:
            order.append(o.material)
        find(o.material)
        if o.plant in capped:
            other = first_of_plant.setdefault(o.plant, o.material)
            a, b = find(other), find(o.material)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for m in order:
        groups.setdefault(find(m), []).append(m)
    out = []
    for root in sorted(groups, key=lambda r: order.index(groups[r][0])):
        materials = tuple(groups[root])
        members = set(materials)
        intakes = np.array(
            [j for j, o in enumerate(problem.intakes) if o.material in members], dtype=np.int64
        )
        plants = tuple(
            dict.fromkeys(
                problem.intakes[int(j)].plant
                for j in intakes
                if problem.intakes[int(j)].plant in capped
            )
        )
        out.append(
            _Component(
                materials=materials,
                streams=np.array(
                    [i for i, s in enumerate(problem.stocks) if s.material in members],
                    dtype=np.int64,
                ),
                intakes=intakes,
                plants=plants,
            )
        )
    return out


@dataclass(frozen=True)
class _Pairs:
    """Eligible (stream, intake) pairs of a component, in local numbering, by stream then intake."""

    stream: IntArray
    intake: IntArray
    road_km: FloatArray


def _eligible_pairs(
    problem: PlanProblem, comp: _Component, road: RoadDistance
) -> tuple[_Pairs, int]:
    """The matching engine's eligibility, on streams posed as lots and intakes as facilities."""
    stocks = [problem.stocks[int(i)] for i in comp.streams]
    intakes = [problem.intakes[int(j)] for j in comp.intakes]
    lots = tuple(
        Lot(
            id=s.id,
            material=s.material,
            tonnes=1,  # eligibility only: every stream is a candidate whatever its size
            lat=s.lat,
            lon=s.lon,
            quality=s.quality,
            max_haul_km=s.max_haul_km,
        )
        for s in stocks
    )
    facilities = tuple(
        Facility(
            id=o.id,
            lat=o.lat,
            lon=o.lon,
            accepts=(Accept(material=o.material, spec=o.spec, id=o.id),),
            max_haul_km=o.max_haul_km,
        )
        for o in intakes
    )
    index = ProblemIndex.build(MatchingProblem(lots, facilities, Params()), road)
    arcs = eligible_arcs(index)
    # one accept entry per facility, so the accept number is the intake's local number
    return _Pairs(arcs.lot, arcs.accept, arcs.road_km), arcs.candidate_pairs


# --------------------------------------------------------------------------- the network


@dataclass(frozen=True)
class TimeNetwork:
    """Nodes and arcs as parallel arrays, with the index map that decodes them."""

    tails: NDArray[np.int32]
    heads: NDArray[np.int32]
    capacities: IntArray
    costs: IntArray
    supplies: IntArray
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
    """Per shipment arc of a month-by-month stream: arc number, pair (in `_Pairs` order), stream,
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
    opening: IntArray, net_make: IntArray, pairs: _Pairs, capacity: IntArray
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
    comp: _Component,
    pairs: _Pairs,
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
class _Flows:
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
) -> _Flows:
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
        return _Flows(status, name, stock, shipped, own_use, intake_shipped, pair_tonnes)
    chain = ~net.steady
    if T > 1:
        stock[chain, 1:T] = flow[net.hold_arcs[chain]]
    stock[chain, T] = flow[net.left_arcs[chain]]
    # a steady stream's stock follows from what left it: it never touched zero
    change = net.generation[:, None] - own_use - shipped
    steady_stock = net.opening[:, None] + np.cumsum(change, axis=1)
    stock[net.steady, 1:] = steady_stock[net.steady]
    return _Flows(status, name, stock, shipped, own_use, intake_shipped, pair_tonnes)


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


# --------------------------------------------------------------------------- solve


@dataclass(frozen=True)
class _Solved:
    comp: _Component
    pairs: _Pairs
    capacity: IntArray
    plant_capacity: IntArray
    flows: _Flows
    net: TimeNetwork


def _plant_capacity(problem: PlanProblem, comp: _Component) -> IntArray:
    T = problem.params.horizon_months
    caps = problem.params.plant_monthly_capacity_t
    return np.array([[math.floor(caps[p])] * T for p in comp.plants], dtype=np.int64).reshape(
        len(comp.plants), T
    )


def _solve_component(
    problem: PlanProblem,
    comp: _Component,
    pairs: _Pairs,
    capacity: IntArray,
    plant_capacity: IntArray,
) -> _Solved:
    net = build_network(problem, comp, pairs, capacity, plant_capacity)
    flows = run_network(net, comp.streams.size, comp.intakes.size, pairs.stream)
    return _Solved(comp, pairs, capacity, plant_capacity, flows, net)


def plan(problem: PlanProblem, road: RoadDistance | None = None) -> PlanResult:
    """Plan the drawdown month by month (see the module's docstring).

    `road` replaces the default road distance (geodesic × circuity). Raises `ProblemError` when
    the problem breaks the rules; never prints, never exits.
    """
    check_plan(problem)
    started = perf_counter()
    params = problem.params
    T = params.horizon_months
    if road is None:
        road = CircuityRoadDistance(params.effective_circuity())
    capacity_all = np.array(
        [monthly_capacity(o, T, params.renew_offers) for o in problem.intakes], dtype=np.int64
    ).reshape(len(problem.intakes), T)

    solved: list[_Solved] = []
    candidate_pairs = 0
    build_ms = solve_ms = 0.0
    for comp in _components(problem):
        t0 = perf_counter()
        pairs, candidates = _eligible_pairs(problem, comp, road)
        candidate_pairs += candidates
        t1 = perf_counter()
        s = _solve_component(
            problem, comp, pairs, capacity_all[comp.intakes], _plant_capacity(problem, comp)
        )
        t2 = perf_counter()
        build_ms += (t1 - t0) * 1000
        solve_ms += (t2 - t1) * 1000
        solved.append(s)
    t_marginal = perf_counter()

    plants, resolves, skipped = _plant_uses(problem, solved)
    marginal_ms = (perf_counter() - t_marginal) * 1000

    statuses = [s.flows.status for s in solved]
    status: Status = (
        "infeasible"
        if "infeasible" in statuses
        else "feasible"
        if "feasible" in statuses
        else "optimal"
    )
    stats: dict[str, Any] = {
        "stocks": len(problem.stocks),
        "intakes": len(problem.intakes),
        "components": len(solved),
        "pairs": sum(int(s.pairs.stream.size) for s in solved),
        "candidate_pairs": candidate_pairs,
        "nodes": sum(int(s.net.supplies.size) for s in solved),
        "arcs": sum(int(s.net.tails.size) for s in solved),
        "solver": "min_cost_flow",
        "solver_status": sorted({s.flows.solver_status for s in solved}),
        "cost_resolution_cny_t": max((s.net.costs_map.cny_per_unit for s in solved), default=0.0),
        "marginal_resolves": resolves,
        "marginal_skipped": skipped,
        "build_ms": round(build_ms, 1),
        "solve_ms": round(solve_ms, 1),
        "marginal_ms": round(marginal_ms, 1),
        "total_ms": round((perf_counter() - started) * 1000, 1),
    }
    return PlanResult(
        status=status,
        horizon_months=T,
        month_labels=params.month_labels,
        materials=_material_plans(problem, solved, capacity_all),
        intakes=_intake_uses(problem, solved),
        plants=plants,
        shipments=_shipments(problem, solved),
        stats=stats,
    )


# --------------------------------------------------------------------------- decoding


def _first_zero(stock: IntArray) -> int | None:
    """The first month (0-based) at whose end `stock` (today, then month ends) is 0."""
    zeros = np.flatnonzero(stock[1:] == 0)
    return int(zeros[0]) if zeros.size else None


def _ints(values: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in values)


def _material_plans(
    problem: PlanProblem, solved: list[_Solved], capacity_all: IntArray
) -> tuple[MaterialPlan, ...]:
    T = problem.params.horizon_months
    n = len(problem.stocks)
    stock = np.zeros((n, T + 1), dtype=np.int64)
    shipped = np.zeros((n, T), dtype=np.int64)
    own_use = np.zeros((n, T), dtype=np.int64)
    for s in solved:
        stock[s.comp.streams] = s.flows.stock
        shipped[s.comp.streams] = s.flows.shipped
        own_use[s.comp.streams] = s.flows.own_use
    gen = np.array([math.floor(x.monthly_generation_t) for x in problem.stocks], dtype=np.int64)
    materials = list(dict.fromkeys([x.material for x in problem.stocks]))
    out = []
    for material in materials:
        rows = [i for i, x in enumerate(problem.stocks) if x.material == material]
        yards: dict[str, list[int]] = {}
        for i in rows:
            yards.setdefault(problem.stocks[i].yard, []).append(i)
        yard_plans = []
        for yard, members in yards.items():
            ys = stock[members].sum(axis=0)
            yard_plans.append(
                YardPlan(
                    yard=yard,
                    producer=problem.stocks[members[0]].producer,
                    material=material,
                    stock_t=_ints(ys),
                    shipped_t=_ints(shipped[members].sum(axis=0)),
                    own_use_t=_ints(own_use[members].sum(axis=0)),
                    generated_t=_ints(np.repeat(gen[members].sum(), T)),
                    zero_month=_first_zero(ys),
                    streams=len(members),
                )
            )
        producers: dict[str, list[YardPlan]] = {}
        for yp in yard_plans:
            producers.setdefault(yp.producer or yp.yard, []).append(yp)
        producer_plans = []
        for producer, yps in producers.items():
            ps = np.sum([np.array(y.stock_t, dtype=np.int64) for y in yps], axis=0)
            producer_plans.append(
                ProducerPlan(
                    producer=producer,
                    material=material,
                    stock_t=_ints(ps),
                    zero_month=_first_zero(ps),
                    yards=tuple(y.yard for y in yps),
                )
            )
        total = stock[rows].sum(axis=0)
        cap_rows = [j for j, o in enumerate(problem.intakes) if o.material == material]
        out.append(
            MaterialPlan(
                material=material,
                priority=problem.params.priority(material),
                stock_t=_ints(total),
                shipped_t=_ints(shipped[rows].sum(axis=0)),
                own_use_t=_ints(own_use[rows].sum(axis=0)),
                generated_t=_ints(np.repeat(gen[rows].sum(), T)),
                capacity_t=_ints(
                    capacity_all[cap_rows].sum(axis=0) if cap_rows else np.zeros(T, np.int64)
                ),
                zero_month=_first_zero(total),
                yards=tuple(yard_plans),
                producers=tuple(producer_plans),
            )
        )
    return tuple(out)


def _intake_uses(problem: PlanProblem, solved: list[_Solved]) -> tuple[IntakeUse, ...]:
    by_intake: dict[int, tuple[IntArray, IntArray]] = {}
    for s in solved:
        for local, j in enumerate(s.comp.intakes):
            by_intake[int(j)] = (s.capacity[local], s.flows.intake_shipped[local])
    out = []
    for j, o in enumerate(problem.intakes):
        cap, sent = by_intake[j]
        active = cap > 0
        total_cap = int(cap.sum())
        out.append(
            IntakeUse(
                intake=o.id,
                plant=o.plant,
                material=o.material,
                capacity_t=_ints(cap),
                shipped_t=_ints(sent),
                utilisation=round(int(sent.sum()) / total_cap, 4) if total_cap else None,
                active_months=int(active.sum()),
                saturated_months=int((active & (sent >= cap)).sum()),
            )
        )
    return tuple(out)


def _shipments(problem: PlanProblem, solved: list[_Solved]) -> tuple[Shipment, ...]:
    cost = problem.params.cost_per_t_km
    totals: dict[tuple[str, str], tuple[int, float]] = {}
    for s in solved:
        for p in np.flatnonzero(s.flows.pair_tonnes > 0):
            stock = problem.stocks[int(s.comp.streams[int(s.pairs.stream[p])])]
            intake = problem.intakes[int(s.comp.intakes[int(s.pairs.intake[p])])]
            key = (stock.yard, intake.id)
            tonnes, _ = totals.get(key, (0, 0.0))
            totals[key] = (tonnes + int(s.flows.pair_tonnes[p]), float(s.pairs.road_km[p]))
    intakes = {o.id: o for o in problem.intakes}
    out = []
    for (yard, intake_id), (tonnes, km) in totals.items():
        o = intakes[intake_id]
        road_km = round(km, 3)
        out.append(
            Shipment(
                yard=yard,
                intake=intake_id,
                plant=o.plant,
                material=o.material,
                tonnes=tonnes,
                road_km=road_km,
                haul_cost=round(tonnes * road_km * cost, 2),
            )
        )
    out.sort(key=lambda x: (x.material, -x.tonnes, x.yard, x.intake))
    return tuple(out)


@dataclass(frozen=True)
class _PlantLoad:
    plant: str
    solved: _Solved
    members: list[int]
    """The plant's intakes, in the component's local numbering."""
    capacity_t: int
    shipped_t: int
    active_months: int
    saturated_months: int
    bottleneck: bool


def _plant_load(params: PlanParams, plant: str, s: _Solved, members: list[int]) -> _PlantLoad:
    cap = s.capacity[members]
    sent = s.flows.intake_shipped[members]
    month_cap = cap.sum(axis=0)
    month_sent = sent.sum(axis=0)
    active = month_cap > 0
    # saturated: every intake the plant offers that month is full (or its shared limit is)
    saturated = active & np.all((sent >= cap) | (cap == 0), axis=0)
    if plant in s.comp.plants:
        shared = s.plant_capacity[s.comp.plants.index(plant)]
        month_cap = np.minimum(month_cap, shared)
        active = month_cap > 0
        saturated = active & (saturated | (month_sent >= shared))
    active_months = int(active.sum())
    saturated_months = int(saturated.sum())
    return _PlantLoad(
        plant=plant,
        solved=s,
        members=members,
        capacity_t=int(month_cap.sum()),
        shipped_t=int(month_sent.sum()),
        active_months=active_months,
        saturated_months=saturated_months,
        bottleneck=active_months > 0 and saturated_months > params.bottleneck_share * active_months,
    )


def _plant_uses(
    problem: PlanProblem, solved: list[_Solved]
) -> tuple[tuple[PlantUse, ...], int, int]:
    params = problem.params
    loads: list[_PlantLoad] = []
    for s in solved:
        plants: dict[str, list[int]] = {}
        for local, j in enumerate(s.comp.intakes):
            plants.setdefault(problem.intakes[int(j)].plant, []).append(local)
        loads.extend(_plant_load(params, p, s, members) for p, members in plants.items())

    # value the bottlenecks that move the most tonnes first; re-solves while the budget allows
    order = sorted(
        (k for k, load in enumerate(loads) if load.bottleneck),
        key=lambda k: (-loads[k].shipped_t, loads[k].plant),
    )
    marginals: dict[int, Marginal] = {}
    resolves = skipped = 0
    for k in order:
        value = _marginal(problem, loads[k], resolve=resolves < params.max_marginal_resolves)
        if value is None:
            skipped += 1
            continue
        resolves += value.method == "re-solve"
        marginals[k] = value

    out = []
    for k, load in enumerate(loads):
        intakes = [problem.intakes[int(load.solved.comp.intakes[m])] for m in load.members]
        out.append(
            PlantUse(
                plant=load.plant,
                materials=tuple(dict.fromkeys(o.material for o in intakes)),
                intakes=tuple(o.id for o in intakes),
                capacity_t=load.capacity_t,
                shipped_t=load.shipped_t,
                utilisation=(
                    round(load.shipped_t / load.capacity_t, 4) if load.capacity_t else None
                ),
                active_months=load.active_months,
                saturated_months=load.saturated_months,
                bottleneck=load.bottleneck,
                marginal=marginals.get(k),
            )
        )
    out.sort(key=lambda p: (not p.bottleneck, -p.shipped_t, p.plant))
    return tuple(out), resolves, skipped


def _marginal(problem: PlanProblem, load: _PlantLoad, *, resolve: bool) -> Marginal | None:
    """The drawdown `marginal_step` more capacity at the plant would add.

    Without a re-solve when it is certain: in a component of one material and no shared plant
    capacity, adding Δ tonnes of capacity raises the most that can be drawn down by at most Δ
    (a cut grows by at most what its arcs gain); and when every enlarged intake is eligible for
    a stream that stays steady with the new capacities, the plan plus Δ more from those streams
    is feasible (no steady stream runs out, whatever is shipped), so exactly Δ more is drawn
    down. Otherwise the component is re-solved, if `resolve`; else there is no answer (None).
    """
    base, plant, members = load.solved, load.plant, load.members
    step = problem.params.marginal_step
    capacity = base.capacity.copy()
    capacity[members] = np.floor(capacity[members] * (1.0 + step)).astype(np.int64)
    extra_capacity = int(capacity[members].sum() - base.capacity[members].sum())
    if not base.comp.plants:
        net = base.net
        steady = steady_streams(net.opening, net.generation - net.own_use, base.pairs, capacity)
        grown = np.flatnonzero((capacity > base.capacity).any(axis=1))
        fed = np.zeros(capacity.shape[0], dtype=np.bool_)
        fed[base.pairs.intake[steady[base.pairs.stream]]] = True
        if fed[grown].all():
            return Marginal(
                step=step,
                extra_capacity_t=extra_capacity,
                extra_drawdown_t=extra_capacity,
                tonnes_per_tonne=1.0 if extra_capacity else 0.0,
                method="steady supply",
            )
    if not resolve:
        return None
    plant_capacity = base.plant_capacity.copy()
    if plant in base.comp.plants:
        row = base.comp.plants.index(plant)
        plant_capacity[row] = np.floor(plant_capacity[row] * (1.0 + step)).astype(np.int64)
    more = _solve_component(problem, base.comp, base.pairs, capacity, plant_capacity)
    extra = int(base.flows.stock[:, -1].sum() - more.flows.stock[:, -1].sum())
    return Marginal(
        step=step,
        extra_capacity_t=extra_capacity,
        extra_drawdown_t=extra,
        tonnes_per_tonne=round(extra / extra_capacity, 4) if extra_capacity else 0.0,
        method="re-solve",
    )
