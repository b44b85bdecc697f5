"""From the flows to the plan: each material's drawdown, the intakes' and plants' use, the
shipments and the marginal value of more plant capacity."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from matching.index import IntArray
from matching.plan.model import (
    IntakeUse,
    Marginal,
    MaterialPlan,
    PlanParams,
    PlanProblem,
    PlantUse,
    ProducerPlan,
    Shipment,
    YardPlan,
)
from matching.plan.network import Solved, solve_component, steady_streams

# --------------------------------------------------------------------------- decoding


def _first_zero(stock: IntArray) -> int | None:
    """The first month (0-based) at whose end `stock` (today, then month ends) is 0."""
    zeros = np.flatnonzero(stock[1:] == 0)
    return int(zeros[0]) if zeros.size else None


def _ints(values: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in values)


def material_plans(
    problem: PlanProblem, solved: list[Solved], capacity_all: IntArray
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


def intake_uses(problem: PlanProblem, solved: list[Solved]) -> tuple[IntakeUse, ...]:
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


def shipments_of(problem: PlanProblem, solved: list[Solved]) -> tuple[Shipment, ...]:
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
    solved: Solved
    members: list[int]
    """The plant's intakes, in the component's local numbering."""
    capacity_t: int
    shipped_t: int
    active_months: int
    saturated_months: int
    bottleneck: bool


def _plant_load(params: PlanParams, plant: str, s: Solved, members: list[int]) -> _PlantLoad:
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


def plant_uses(problem: PlanProblem, solved: list[Solved]) -> tuple[tuple[PlantUse, ...], int, int]:
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
    more = solve_component(problem, base.comp, base.pairs, capacity, plant_capacity)
    extra = int(base.flows.stock[:, -1].sum() - more.flows.stock[:, -1].sum())
    return Marginal(
        step=step,
        extra_capacity_t=extra_capacity,
        extra_drawdown_t=extra,
        tonnes_per_tonne=round(extra / extra_capacity, 4) if extra_capacity else 0.0,
        method="re-solve",
    )
