"""The drawdown planner on literal problems small enough to check by hand, and against an LP."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import numpy as np
import pytest

from geo.distance import geodesic_km
from matching import Bound, ProblemError
from matching.errors import TooLarge
from matching.planner import (
    INT64_MAX,
    Intake,
    PlanParams,
    PlanProblem,
    PlanResult,
    Stock,
    monthly_capacity,
    plan,
    plan_costs,
)

HOME = (25.0, 102.7)
CIRCUITY = 1.4
PG = "phosphogypsum"


def at_km(north_km: float, east_km: float = 0.0) -> tuple[float, float]:
    """A point about this many geodesic km north and east of HOME."""
    lat = HOME[0] + north_km / 110.7
    return lat, HOME[1] + east_km / (111.3 * math.cos(math.radians(HOME[0])))


def stock(
    id: str = "s1",
    tonnes: float = 1000,
    where: tuple[float, float] = HOME,
    *,
    yard: str | None = None,
    material: str = PG,
    gen: float = 0,
    own: float = 0,
    quality: dict[str, float] | None = None,
    **kw: object,
) -> Stock:
    return Stock(
        id=id,
        yard=yard or id,
        material=material,
        tonnes=tonnes,
        lat=where[0],
        lon=where[1],
        monthly_generation_t=gen,
        monthly_own_use_t=own,
        quality=quality or {},
        **kw,  # type: ignore[arg-type]
    )


def intake(
    id: str = "o1",
    per_month: float = 100,
    where: tuple[float, float] = HOME,
    *,
    months: tuple[int, int] = (0, 11),
    plant: str | None = None,
    material: str = PG,
    **kw: object,
) -> Intake:
    first, last = months
    return Intake(
        id=id,
        plant=plant or id,
        material=material,
        lat=where[0],
        lon=where[1],
        capacity_t=per_month * (last - first + 1),
        first_month=first,
        last_month=last,
        **kw,  # type: ignore[arg-type]
    )


def problem(
    stocks: list[Stock], intakes: list[Intake], months: int = 12, **kw: object
) -> PlanProblem:
    params = PlanParams(horizon_months=months, cost_per_t_km=0.6, circuity=CIRCUITY, **kw)  # type: ignore[arg-type]
    return PlanProblem(tuple(stocks), tuple(intakes), params)


def yard(result: PlanResult, name: str, material: str = PG):  # type: ignore[no-untyped-def]
    m = next(m for m in result.materials if m.material == material)
    return next(y for y in m.yards if y.yard == name)


def use(result: PlanResult, intake_id: str):  # type: ignore[no-untyped-def]
    return next(u for u in result.intakes if u.intake == intake_id)


# --------------------------------------------------------------------------- hand-checkable


def test_one_yard_one_plant_falls_by_capacity_less_generation_and_hits_zero_in_month_four() -> None:
    result = plan(problem([stock(tonnes=1000, gen=100)], [intake(per_month=300, where=at_km(10))]))
    y = yard(result, "s1")
    assert result.status == "optimal"
    assert y.stock_t == (1000, 800, 600, 400, 200, 0, 0, 0, 0, 0, 0, 0, 0)
    assert y.zero_month == 4
    # once empty the plant takes each month's generation, no more
    assert use(result, "o1").shipped_t == (300,) * 5 + (100,) * 7


def test_stock_that_capacity_cannot_empty_is_not_zero_within_the_horizon() -> None:
    result = plan(problem([stock(tonnes=10_000, gen=50)], [intake(per_month=300)]))
    y = yard(result, "s1")
    assert y.zero_month is None
    assert y.stock_t[-1] == 10_000 + 12 * 50 - 12 * 300
    assert result.materials[0].zero_month is None


def test_capacity_is_spread_evenly_over_the_offers_months_the_remainder_first() -> None:
    offer = Intake("o", "P", PG, *HOME, capacity_t=10.9, first_month=0, last_month=2)
    assert monthly_capacity(offer, 5).tolist() == [4, 3, 3, 0, 0]
    later = replace(offer, first_month=3, last_month=7)
    assert monthly_capacity(later, 5).tolist() == [0, 0, 0, 2, 2]
    assert monthly_capacity(offer, 6, renew=True).tolist() == [4, 3, 3, 3, 3, 3]


def test_an_offer_that_starts_later_draws_down_only_from_its_first_month() -> None:
    result = plan(problem([stock(tonnes=500)], [intake(per_month=100, months=(3, 11))]))
    assert yard(result, "s1").stock_t[:6] == (500, 500, 500, 500, 400, 300)
    assert yard(result, "s1").zero_month == 7


def test_holdover_carries_every_yards_stock_from_month_to_month() -> None:
    stocks = [
        stock("a", 900, at_km(5), gen=40, own=10),
        stock("b", 150, at_km(0, 20), gen=80, own=30),
        stock("c", 5_000_000, at_km(30), gen=1_000),
    ]
    intakes = [
        intake("p", 120, at_km(8), months=(0, 5)),
        intake("q", 200, at_km(0, 25), months=(2, 9)),
        intake("r", 90, at_km(25), months=(4, 30)),
    ]
    result = plan(problem(stocks, intakes, months=18))
    for y in result.materials[0].yards:
        for t in range(18):
            made = y.generated_t[t] - y.own_use_t[t] - y.shipped_t[t]
            assert y.stock_t[t + 1] == y.stock_t[t] + made >= 0
    shipped = sum(sum(y.shipped_t) for y in result.materials[0].yards)
    assert shipped == sum(sum(u.shipped_t) for u in result.intakes)
    for u in result.intakes:
        assert all(0 <= s <= c for s, c in zip(u.shipped_t, u.capacity_t, strict=True))


def test_own_use_draws_stock_down_without_the_market_and_stops_at_zero() -> None:
    result = plan(problem([stock(tonnes=250, gen=10, own=60)], [], months=8))
    y = yard(result, "s1")
    assert y.stock_t == (250, 200, 150, 100, 50, 0, 0, 0, 0)
    assert y.own_use_t == (60, 60, 60, 60, 60, 10, 10, 10)
    assert y.zero_month == 4


def test_a_plant_far_away_is_still_used_drawing_down_beats_haul_cost() -> None:
    near = intake("near", 100, at_km(5))
    far = intake("far", 100, at_km(140))
    result = plan(problem([stock(tonnes=100_000)], [near, far]))
    assert use(result, "near").shipped_t == (100,) * 12
    assert use(result, "far").shipped_t == (100,) * 12


def test_earlier_drawdown_beats_a_cheaper_haul_later() -> None:
    # either plant alone could take all 600 t; only the far one takes them now
    far_now = intake("far", 100, at_km(120), months=(0, 5))
    near_later = intake("near", 100, at_km(2), months=(6, 11))
    result = plan(problem([stock(tonnes=600)], [far_now, near_later]))
    assert use(result, "far").shipped_t[:6] == (100,) * 6
    assert sum(use(result, "near").shipped_t) == 0
    assert yard(result, "s1").zero_month == 5


def test_with_equal_drawdown_and_timing_the_nearer_yard_goes_first() -> None:
    yards = [stock("far", 10_000, at_km(80)), stock("near", 10_000, at_km(3))]
    result = plan(problem(yards, [intake("p", 100, HOME)]))
    assert sum(yard(result, "near").shipped_t) == 1200
    assert sum(yard(result, "far").shipped_t) == 0


def test_higher_priority_tonnes_take_a_shared_plant_capacity_despite_a_longer_haul() -> None:
    stocks = [
        stock("pg", 10_000, at_km(100)),
        stock("rm", 10_000, at_km(2), material="red_mud"),
    ]
    intakes = [
        intake("p-pg", 100, HOME, plant="P"),
        intake("p-rm", 100, HOME, plant="P", material="red_mud"),
    ]
    shared = {"plant_monthly_capacity_t": {"P": 100}}
    result = plan(problem(stocks, intakes, priorities={PG: 3, "red_mud": 2}, **shared))
    assert sum(use(result, "p-pg").shipped_t) == 1200
    assert sum(use(result, "p-rm").shipped_t) == 0
    swapped = plan(problem(stocks, intakes, priorities={PG: 1, "red_mud": 2}, **shared))
    assert sum(use(swapped, "p-rm").shipped_t) == 1200
    assert result.stats["components"] == 1


def test_stock_failing_the_spec_or_beyond_the_haul_limit_is_not_drawn_down() -> None:
    spec = {"caso4_2h2o_pct": Bound(min=85)}
    stocks = [
        stock("wet", 1000, quality={"caso4_2h2o_pct": 80}),
        stock("untested", 1000),
        stock("remote", 1000, at_km(200), quality={"caso4_2h2o_pct": 90}),
    ]
    result = plan(problem(stocks, [intake(spec=spec, max_haul_km=150)]))
    for name in ("wet", "untested", "remote"):
        assert yard(result, name).stock_t[-1] == 1000
        assert yard(result, name).zero_month is None
    assert result.plants[0].utilisation == 0.0
    assert result.plants[0].bottleneck is False


def test_a_yard_of_two_grades_is_drawn_down_by_the_grade_each_plant_accepts() -> None:
    fine = stock("y:0", 300, yard="Y", quality={"caso4_2h2o_pct": 92})
    coarse = stock("y:1", 700, yard="Y", quality={"caso4_2h2o_pct": 80})
    board = intake("board", 100, spec={"caso4_2h2o_pct": Bound(min=90)})
    result = plan(problem([fine, coarse], [board]))
    y = yard(result, "Y")
    assert y.streams == 2
    assert y.stock_t[-1] == 700
    assert y.zero_month is None


def test_a_saturated_plant_is_a_bottleneck_and_more_capacity_there_is_valued() -> None:
    stocks = [stock("big", 1_000_000, gen=500), stock("small", 200, at_km(50, 50))]
    intakes = [intake("tight", 100, at_km(3)), intake("slack", 400, at_km(50, 52), max_haul_km=20)]
    result = plan(problem(stocks, intakes))
    tight = next(p for p in result.plants if p.plant == "tight")
    slack = next(p for p in result.plants if p.plant == "slack")
    assert tight.bottleneck and tight.saturated_months == 12 and tight.utilisation == 1.0
    assert tight.marginal is not None
    assert tight.marginal.extra_capacity_t == 12 * 10
    assert tight.marginal.extra_drawdown_t == 120
    assert tight.marginal.tonnes_per_tonne == 1.0
    assert tight.marginal.method == "steady supply"  # a million tonnes cannot run out
    assert not slack.bottleneck and slack.marginal is None
    assert result.plants[0].plant == "tight"  # bottlenecks first


def test_more_capacity_fed_by_a_yard_that_can_run_out_is_valued_by_a_re_solve() -> None:
    # 1,250 t against 100 t a month: 50 t are left; at 110 t a month the yard runs out
    result = plan(problem([stock(tonnes=1250)], [intake("p", 100)]))
    (p,) = result.plants
    assert p.bottleneck and p.saturated_months == 12
    assert p.marginal is not None and p.marginal.method == "re-solve"
    assert p.marginal.extra_capacity_t == 120
    assert p.marginal.extra_drawdown_t == 50
    assert result.stats["marginal_resolves"] == 1
    # already emptied within the horizon: more capacity only empties it sooner
    (sooner,) = plan(problem([stock(tonnes=1150)], [intake("p", 100)])).plants
    assert sooner.marginal is not None and sooner.marginal.extra_drawdown_t == 0


def test_no_more_re_solves_than_the_budget_allows() -> None:
    yards = [stock(f"y{i}", 1250, at_km(40 * i)) for i in range(3)]
    plants = [intake(f"p{i}", 100, at_km(40 * i + 1), max_haul_km=20) for i in range(3)]
    result = plan(problem(yards, plants, max_marginal_resolves=1))
    valued = [p for p in result.plants if p.marginal is not None]
    assert len(valued) == 1 and result.stats["marginal_skipped"] == 2


def _replan_with_more(base: PlanProblem, plant: str, step: float) -> PlanResult:
    """The plan again with the plant's monthly capacities × (1 + step), as one-month offers."""
    T = base.params.horizon_months
    split = []
    for o in base.intakes:
        cap = monthly_capacity(o, T)
        if o.plant == plant:
            cap = np.floor(cap * (1 + step)).astype(np.int64)
        split += [
            replace(o, id=f"{o.id}@{t}", capacity_t=float(cap[t]), first_month=t, last_month=t)
            for t in range(T)
            if cap[t] > 0
        ]
    return plan(replace(base, intakes=tuple(split)))


def test_the_marginal_value_agrees_with_planning_again_with_more_capacity() -> None:
    methods = []
    for seed in range(10):
        rng = random.Random(1000 + seed)
        stocks = [
            stock(
                f"s{i}",
                rng.choice([300, 1250, 2000, 10**6]),
                at_km(rng.uniform(-50, 50), rng.uniform(-50, 50)),
                gen=rng.choice([0, 40]),
            )
            for i in range(4)
        ]
        intakes = [
            intake(
                f"o{j}",
                rng.choice([60, 150]),
                at_km(rng.uniform(-50, 50), rng.uniform(-50, 50)),
                months=(0, rng.randint(3, 11)),
                plant=f"P{j % 3}",
            )
            for j in range(5)
        ]
        base = problem(stocks, intakes)
        result = plan(base)
        end = sum(y.stock_t[-1] for y in result.materials[0].yards)
        for p in result.plants:
            if p.marginal is None:
                continue
            methods.append(p.marginal.method)
            again = _replan_with_more(base, p.plant, 0.1)
            end_again = sum(y.stock_t[-1] for y in again.materials[0].yards)
            assert p.marginal.extra_drawdown_t == end - end_again, (seed, p.plant, p.marginal)
    assert {"steady supply", "re-solve"} <= set(methods)


def test_the_plan_is_the_same_every_time() -> None:
    stocks = [stock(f"s{i}", 500 + 97 * i, at_km(7 * i, 3 * i), gen=20 * i) for i in range(6)]
    intakes = [intake(f"o{j}", 60 + 15 * j, at_km(10 * j, -4 * j)) for j in range(4)]
    first = plan(problem(stocks, intakes, months=24))
    again = plan(problem(stocks, intakes, months=24))
    assert first.materials == again.materials
    assert first.intakes == again.intakes
    assert first.plants == again.plants
    assert first.shipments == again.shipments


def test_an_empty_problem_plans_nothing() -> None:
    result = plan(problem([], []))
    assert result.status == "optimal"
    assert result.materials == () and result.plants == () and result.intakes == ()


def test_offers_without_stock_are_idle_and_stock_without_offers_grows() -> None:
    result = plan(problem([stock(material="red_mud", gen=10)], [intake()], months=3))
    assert yard(result, "s1", "red_mud").stock_t == (1000, 1010, 1020, 1030)
    assert result.intakes[0].shipped_t == (0, 0, 0)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"params": PlanParams(horizon_months=0)}, "params.horizon_months"),
        ({"stocks": (stock("a"), stock("a"))}, "stocks[1].id"),
        ({"stocks": (stock(tonnes=-1),)}, "stocks[0].tonnes"),
        ({"intakes": (intake(months=(5, 4)),)}, "intakes[0].months"),
        ({"intakes": (intake(where=(95.0, 102.0)),)}, "intakes[0].lat"),
    ],
)
def test_bad_input_is_refused_naming_the_value(change: dict[str, object], path: str) -> None:
    base = problem([stock()], [intake()])
    with pytest.raises(ProblemError) as err:
        plan(replace(base, **change))  # type: ignore[arg-type]
    assert err.value.path == path


# --------------------------------------------------------------------------- integer costs


def test_the_largest_arc_cost_leaves_int64_room_for_the_solver() -> None:
    nodes, T = 30_000, 60
    costs = plan_costs(
        np.linspace(0, 300, 5000),
        num_nodes=nodes,
        ship_cycle_arcs=10_000,
        horizon=T,
        hold_arcs=20_000,
        max_weight=3,
        min_weight=3,
    )
    n = nodes + 2
    assert costs.left_per_weight * 3 <= INT64_MAX // (8 * n * (n + 1))
    assert costs.haul.max() >= 1
    # the penalties order the levels: a month beats any haul, a tonne beats any timing
    assert costs.month_per_weight > 10_000 * costs.haul.max()
    assert costs.left_per_weight > costs.month_per_weight * (T - 1)


def test_costs_that_cannot_fit_are_refused() -> None:
    with pytest.raises(TooLarge):
        plan_costs(
            np.ones(3),
            num_nodes=3_000_000,
            ship_cycle_arcs=1_000_000,
            horizon=240,
            hold_arcs=1_000_000,
            max_weight=1000,
            min_weight=1,
        )


# --------------------------------------------------------------------------- against an LP


def _lexicographic_lp(p: PlanProblem) -> tuple[float, float, float]:
    """(weighted tonnes left, weighted stock-months, haul CNY), each optimal given the former.

    An independent formulation: stock, shipment and own-use variables month by month.
    """
    from scipy.optimize import linprog

    T = p.params.horizon_months
    S, J = len(p.stocks), len(p.intakes)
    cap = np.array([monthly_capacity(o, T) for o in p.intakes])
    pairs = []
    for s, st in enumerate(p.stocks):
        for j, o in enumerate(p.intakes):
            km = geodesic_km(st.lat, st.lon, o.lat, o.lon) * CIRCUITY
            limits = [x for x in (st.max_haul_km, o.max_haul_km) if x is not None]
            if st.material == o.material and km <= min(limits, default=math.inf):
                pairs.append((s, j, km))
    nx = len(pairs) * T
    n = nx + 2 * S * T  # shipments, own use, stock at each month's end
    own0, inv0 = nx, nx + S * T

    def x(k: int, t: int) -> int:
        return k * T + t

    eq_rows, eq_b, ub_rows, ub_b = [], [], [], []
    for s, st in enumerate(p.stocks):
        for t in range(T):
            row = np.zeros(n)
            row[inv0 + s * T + t] = 1
            if t:
                row[inv0 + s * T + t - 1] = -1
            row[own0 + s * T + t] = 1
            for k, (ps, _, _) in enumerate(pairs):
                if ps == s:
                    row[x(k, t)] = 1
            eq_rows.append(row)
            eq_b.append(
                math.floor(st.monthly_generation_t) + (math.floor(st.tonnes) if t == 0 else 0)
            )
    for j in range(J):
        for t in range(T):
            row = np.zeros(n)
            for k, (_, pj, _) in enumerate(pairs):
                if pj == j:
                    row[x(k, t)] = 1
            ub_rows.append(row)
            ub_b.append(cap[j, t])
    bounds = [(0, None)] * nx
    bounds += [(0, math.floor(st.monthly_own_use_t)) for st in p.stocks for _ in range(T)]
    bounds += [(0, None)] * (S * T)
    w = [p.params.priority(st.material) for st in p.stocks]
    left = np.zeros(n)
    months = np.zeros(n)
    haul = np.zeros(n)
    for s in range(S):
        left[inv0 + s * T + T - 1] = w[s]
        months[inv0 + s * T : inv0 + s * T + T - 1] = w[s]
    for k, (_, _, km) in enumerate(pairs):
        haul[k * T : (k + 1) * T] = km * p.params.cost_per_t_km
    values: list[tuple[np.ndarray, float]] = []
    for objective in (left, months, haul):
        # each level's optimum becomes a constraint of the next (with solver tolerance)
        a_ub = ub_rows + [o for o, _ in values]
        b_ub = ub_b + [v + 1e-6 + 1e-9 * abs(v) for _, v in values]
        res = linprog(
            objective,
            A_ub=np.array(a_ub) if a_ub else None,
            b_ub=np.array(b_ub) if b_ub else None,
            A_eq=np.array(eq_rows) if eq_rows else None,
            b_eq=np.array(eq_b) if eq_b else None,
            bounds=bounds,
            method="highs",
        )
        assert res.status == 0, res.message
        values.append((objective, float(res.fun)))
    return values[0][1], values[1][1], values[2][1]


def _plan_values(p: PlanProblem, result: PlanResult) -> tuple[float, float, float]:
    w = {m.material: m.priority for m in result.materials}
    left = months = 0.0
    for m in result.materials:
        for y in m.yards:
            left += w[m.material] * y.stock_t[-1]
            months += w[m.material] * sum(y.stock_t[1:-1])
    return left, months, sum(s.haul_cost for s in result.shipments)


@pytest.mark.parametrize("seed", range(12))
def test_the_plan_is_lexicographically_optimal_like_an_lp_says(seed: int) -> None:
    rng = random.Random(seed)
    materials = [PG, "red_mud"]
    stocks = [
        stock(
            f"s{i}",
            rng.choice([0, 150, 400, 900, 3000, 200_000]),
            at_km(rng.uniform(-60, 60), rng.uniform(-60, 60)),
            material=rng.choice(materials),
            gen=rng.choice([0, 20, 60]),
            own=rng.choice([0, 0, 30]),
            max_haul_km=rng.choice([None, 90]),
        )
        for i in range(rng.randint(1, 5))
    ]
    intakes = []
    for j in range(rng.randint(1, 4)):
        first = rng.randint(0, 5)
        intakes.append(
            intake(
                f"o{j}",
                rng.choice([40, 100, 250]),
                at_km(rng.uniform(-60, 60), rng.uniform(-60, 60)),
                months=(first, first + rng.randint(0, 8)),
                material=rng.choice(materials),
                max_haul_km=rng.choice([None, 100]),
            )
        )
    p = problem(stocks, intakes, months=rng.choice([6, 10]), priorities={PG: 3, "red_mud": 2})
    result = plan(p)
    left, months, haul = _plan_values(p, result)
    lp_left, lp_months, lp_haul = _lexicographic_lp(p)
    assert left == pytest.approx(lp_left, abs=1e-6)
    assert months == pytest.approx(lp_months, abs=1e-6)
    # haul costs are integers at the solver's resolution (a millionth of the dearest)
    assert haul == pytest.approx(lp_haul, rel=1e-4, abs=1.0)
