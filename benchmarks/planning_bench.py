"""How long the drawdown planner and the siting analysis take at the demo's size and at 10×.

    python -m benchmarks.planning_bench                       # scales 1 and 10
    python -m benchmarks.planning_bench --scale 1 10 30 --horizon 36 60
    python -m benchmarks.planning_bench --db sqlite:///wastematch-demo.db   # also the adapter

No database is needed: the problems are built from `seed_data/demo.json` the way the demo seeds
them — each yard's stock is its survey plus two years of generation less own use, treatment and
deliveries (what its ledger holds), its grades are its lots' assays, each offer's spec is its
catalogue use's with its own limits on top, spread over 12 months. Scale k copies every yard and
plant k − 1 more times, each copy moved up to ±0.35° (about 35 km) around the original, seeded.

Cases:
  planner            the whole province, every material (marginal re-solves included)
  planner, small     the same with every stock divided by 1,000, so most yards can run out and
                     keep their month-by-month chain: the planner's harder shape
  siting, lots       phosphogypsum 500 kt/yr over Yunnan's 129 county centres, the open lots
  siting, stock      the same, every yard's ledger stock posed as lots

Timings are wall-clock medians of `--repeat` runs (default 3), on whatever else the machine is
doing; the planner's include its marginal re-solves, shown apart in brackets.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from matching.model import Accept, Facility, Lot, MatchingProblem, Params
from matching.planner import Intake, PlanParams, PlanProblem, PlanResult, Stock, plan
from matching.siting import SitingParams, SitingResult, evaluate_sites
from seed_data import load_catalogue, load_demo, load_policy

JITTER_DEG = 0.35
PRIORITIES = {code: m.priority for code, m in load_catalogue().materials.items()}


def _spread(scale: int, seed: int = 530_000) -> list[tuple[float, float]]:
    """Offsets of the copies: the original first, then seeded jitters."""
    rng = random.Random(seed)
    out = [(0.0, 0.0)]
    for _ in range(scale - 1):
        out.append((rng.uniform(-JITTER_DEG, JITTER_DEG), rng.uniform(-JITTER_DEG, JITTER_DEG)))
    return out


def plan_problem(scale: int, horizon: int) -> PlanProblem:
    demo = load_demo()
    lots_by_site: dict[tuple[str, str], list[Any]] = {}
    for lot in demo.lots:
        lots_by_site.setdefault((lot.site, lot.material), []).append(lot)
    stocks: list[Stock] = []
    intakes: list[Intake] = []
    for k, (dlat, dlon) in enumerate(_spread(scale)):
        for s in demo.sites:
            if s.kind != "yard":
                continue
            for st in s.streams:
                out = (st.monthly_own_use_t or 0) + (st.monthly_treatment_t or 0)
                moved = out + (st.monthly_delivered_t or 0)
                stock = st.opening_t + demo.history_months * (st.monthly_generation_t - moved)
                grades = lots_by_site.get((s.key, st.material)) or []
                total = sum(x.tonnes for x in grades) or 1.0
                for g, lot in enumerate(grades or [None]):
                    share = lot.tonnes / total if lot is not None else 1.0
                    stocks.append(
                        Stock(
                            id=f"{s.key}#{k}:{st.material}:{g}",
                            yard=f"{s.key}#{k}",
                            material=st.material,
                            tonnes=max(0.0, stock * share),
                            lat=s.lat + dlat,
                            lon=s.lon + dlon,
                            monthly_generation_t=st.monthly_generation_t * share,
                            monthly_own_use_t=out * share,
                            quality=dict(lot.quality) if lot is not None else {},
                            max_haul_km=lot.max_haul_km if lot is not None else None,
                            producer=f"{s.organisation}#{k}",
                        )
                    )
        sites = {s.key: s for s in demo.sites}
        for n, o in enumerate(demo.offers):
            plant = sites[o.site]
            intakes.append(
                Intake(
                    id=f"O{n}#{k}",
                    plant=f"{o.site}#{k}",
                    material=o.material,
                    lat=plant.lat + dlat,
                    lon=plant.lon + dlon,
                    capacity_t=o.capacity_t,
                    first_month=0,
                    last_month=11,
                    spec=o.spec,
                    max_haul_km=o.max_haul_km,
                    price_cny_t=o.price_cny_t,
                )
            )
    policy = load_policy()
    params = PlanParams(
        horizon_months=horizon,
        cost_per_t_km=policy.cost_per_t_km,
        circuity=policy.circuity,
        priorities=PRIORITIES,
    )
    return PlanProblem(tuple(stocks), tuple(intakes), params)


def matching_problem(scale: int, material: str, source: str) -> MatchingProblem:
    """The open market of `material` (or each yard's stock of it) with every offer for it."""
    demo = load_demo()
    policy = load_policy()
    sites = {s.key: s for s in demo.sites}
    lots: list[Lot] = []
    facilities: list[Facility] = []
    planned = plan_problem(scale, 12) if source == "stock" else None
    for k, (dlat, dlon) in enumerate(_spread(scale)):
        if planned is None:
            for n, lot in enumerate(demo.lots):
                if lot.material != material:
                    continue
                yard = sites[lot.site]
                lots.append(
                    Lot(
                        id=f"L{n}#{k}",
                        material=lot.material,
                        tonnes=lot.tonnes,
                        lat=yard.lat + dlat,
                        lon=yard.lon + dlon,
                        quality=dict(lot.quality),
                        max_haul_km=lot.max_haul_km,
                    )
                )
        for n, o in enumerate(demo.offers):
            if o.material != material:
                continue
            plant = sites[o.site]
            facilities.append(
                Facility(
                    id=f"O{n}#{k}",
                    lat=plant.lat + dlat,
                    lon=plant.lon + dlon,
                    accepts=(Accept(material, o.capacity_t, o.spec, id=f"O{n}#{k}"),),
                    max_haul_km=o.max_haul_km,
                )
            )
    if planned is not None:
        lots = [
            Lot(
                s.id,
                s.material,
                int(s.tonnes),
                s.lat,
                s.lon,
                quality=s.quality,
                max_haul_km=s.max_haul_km,
            )
            for s in planned.stocks
            if s.material == material and int(s.tonnes) > 0
        ]
    params = Params(
        cost_per_t_km=policy.cost_per_t_km, circuity=policy.circuity, priorities=PRIORITIES
    )
    return MatchingProblem(tuple(lots), tuple(facilities), params)


def _median_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def _plan_row(case: str, scale: int, p: PlanProblem, repeat: int) -> list[str]:
    ms, result = _median_ms(lambda: plan(p), repeat)
    assert isinstance(result, PlanResult) and result.status == "optimal", result.status
    st = result.stats
    zero = sum(1 for m in result.materials for y in m.yards if y.zero_month is not None)
    return [
        case,
        f"{scale}",
        f"{p.params.horizon_months}",
        f"{len({s.yard for s in p.stocks})} yards / {len(p.stocks)} streams",
        f"{len(p.intakes)}",
        f"{st['nodes']:,} / {st['arcs']:,}",
        f"{st['marginal_resolves']}",
        f"{zero}",
        f"{ms:,.0f} (re-solves {st['marginal_ms']:,.0f})",
    ]


def _siting_row(case: str, scale: int, p: MatchingProblem, repeat: int) -> list[str]:
    params = SitingParams("phosphogypsum", 500_000)
    ms, result = _median_ms(lambda: evaluate_sites(p, params), repeat)
    assert isinstance(result, SitingResult)
    st = result.stats
    best = result.sites[0]
    return [
        case,
        f"{scale}",
        "—",
        f"{len(p.lots)} lots",
        f"{len(p.facilities)}",
        f"{st['candidates']} sites, {st['solved']} solved",
        "—",
        f"best {best.candidate.name} {best.extra_matched_t:,} t",
        f"{ms:,.0f}",
    ]


def _adapter_rows(url: str, repeat: int) -> list[list[str]]:
    from market import planning
    from market.auth import Actor
    from market.db import Database
    from market.settings import Settings

    db = Database(url)
    actor = Actor(0, "bench", "regulator", 0, "bench")
    settings = Settings(database_url=url)
    rows = []
    try:
        for label, fn in (
            ("adapter: drawdown (all)", lambda: planning.drawdown(db, actor, settings, {})),
            (
                "adapter: siting, stock",
                lambda: planning.siting_analysis(
                    db,
                    actor,
                    settings,
                    {
                        "material": "phosphogypsum",
                        "capacity_t_per_year": 500_000,
                        "source": "stock",
                    },
                ),
            ),
        ):
            ms, _ = _median_ms(fn, repeat)
            months = "36" if "drawdown" in label else "—"
            rows.append([label, "db", months, "", "", "", "", "", f"{ms:,.0f}"])
    finally:
        db.dispose()
    return rows


HEADER = [
    "case",
    "scale",
    "months",
    "stock",
    "offers",
    "nodes / arcs",
    "re-solves",
    "yards to zero / best site",
    "ms",
]


def _print(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    line = "  ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True))
    print(line)
    print("-" * len(line))
    for r in rows:
        print(
            "  ".join(
                c.rjust(w) if c[:1].isdigit() else c.ljust(w)
                for c, w in zip(r, widths, strict=True)
            )
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--horizon", type=int, nargs="+", default=[36])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", help="a seeded database URL: also time the adapter end to end")
    args = parser.parse_args(argv)
    rows: list[list[str]] = []
    for scale in args.scale:
        for horizon in args.horizon:
            p = plan_problem(scale, horizon)
            rows.append(_plan_row("planner", scale, p, args.repeat))
            small = replace(p, stocks=tuple(replace(s, tonnes=s.tonnes / 1000) for s in p.stocks))
            rows.append(_plan_row("planner, small stocks", scale, small, args.repeat))
        rows.append(
            _siting_row(
                "siting, lots", scale, matching_problem(scale, "phosphogypsum", "lots"), args.repeat
            )
        )
        rows.append(
            _siting_row(
                "siting, stock",
                scale,
                matching_problem(scale, "phosphogypsum", "stock"),
                args.repeat,
            )
        )
    if args.db:
        rows.extend(_adapter_rows(args.db, args.repeat))
    _print(rows)


if __name__ == "__main__":
    main()
