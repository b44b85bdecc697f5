"""Benchmark the matching engine against a naive marketplace, an LP solver and a minimal solver.

    python -m benchmarks.matching            # the full run (minutes)
    python -m benchmarks.matching --quick    # a smoke run (under a minute)

Every measurement runs in a fresh subprocess so that its peak memory (ru_maxrss) is its own:
in-process methods include generating the problem in that figure, whole-process methods
(`wastematch match`, the minimal solver) do not (the problem file is written beforehand).

Methods:
  engine    matching.solve in process, after a warm-up solve: build (eligibility + network),
            solve, explain
  cli       the whole `wastematch match --input P --output R` process, as a user runs it
  minimal   benchmarks/minimal.py: dense pyproj + one min-cost flow, nothing else, one process
  greedy    a naive marketplace: lots by priority, each to its nearest eligible plants in turn
  highs     the same LP (max weighted tonnes, then min haul) by HiGHS through scipy.linprog
  geopy     the engine with its bulk distances replaced by a geopy loop over the same
            pre-filtered pairs (timed on a sample and extrapolated; the rest of the run is the
            engine's); the note also extrapolates a naive loop over every same-material pair
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HIGHS_TIME_LIMIT_S = 600.0
PYTHON = sys.executable
CONSOLE = Path(sys.executable).parent / "wastematch"


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[], Any]
    methods: tuple[str, ...]


def _cases(quick: bool) -> list[Case]:
    from benchmarks.generate import national_problem, synthetic_problem

    all_methods = ("engine", "cli", "minimal", "greedy", "highs")
    if quick:
        return [
            Case("200x500", lambda: synthetic_problem(200, 500, seed=1), all_methods),
            Case(
                "min-shipment 200x500",
                lambda: synthetic_problem(
                    200, 500, seed=1, mode="min_shipment", min_shipment_t=1000, time_limit_s=5
                ),
                ("engine",),
            ),
            Case("national 2000x2000", lambda: national_problem(2000, 2000, seed=7), ("engine",)),
        ]
    return [
        Case("200x500", lambda: synthetic_problem(200, 500, seed=1), all_methods),
        Case(
            "2000x1500",
            lambda: synthetic_problem(2000, 1500, seed=2),
            (*all_methods, "geopy"),
        ),
        Case("5000x5000", lambda: synthetic_problem(5000, 5000, seed=3), all_methods),
        Case(
            "national 20000x20000",
            lambda: national_problem(20000, 20000, seed=7),
            ("engine", "cli", "greedy"),
        ),
        Case(
            "min-shipment 200x500",
            lambda: synthetic_problem(
                200, 500, seed=1, mode="min_shipment", min_shipment_t=1000, time_limit_s=30
            ),
            ("engine",),
        ),
    ]


# --------------------------------------------------------------------------- workers


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _summary(
    lots: Any, flows: np.ndarray, weights: np.ndarray, road_km: np.ndarray, cost: float
) -> dict[str, Any]:
    matched = int(flows.sum())
    return {
        "matched_t": matched,
        "unmatched_t": int(lots.sum()) - matched,
        "weighted_t": int((flows * weights).sum()),
        "t_km": float((flows * road_km).sum()),
        "haul_cost": float((flows * road_km).sum() * cost),
    }


def work_engine(case: Case) -> dict[str, Any]:
    from benchmarks.generate import synthetic_problem
    from matching import solve

    problem = case.make()
    solve(synthetic_problem(5, 5, seed=0))  # warm up: first calls into numpy, pyproj, OR-Tools
    started = time.perf_counter()
    result = solve(problem)
    total = time.perf_counter() - started
    s = result.stats
    out = {
        "arcs": s["arcs"],
        "build_s": s["build_ms"] / 1000,
        "solve_s": s["solve_ms"] / 1000,
        "total_s": total,
        "matched_t": result.totals.matched_t,
        "unmatched_t": result.totals.unmatched_t,
        "weighted_t": result.totals.weighted_matched_t,
        "t_km": result.totals.t_km,
        "haul_cost": result.totals.haul_cost,
        "status": result.status,
        "note": f"explain {s['explain_ms'] / 1000:.2f} s",
    }
    if "gap" in s:
        gap = s["gap"]
        out["note"] += (
            f"; {result.status}, gap weighted {100 * gap['weighted_matched_t']:.3f} %,"
            f" haul {100 * (gap['haul_cost'] or 0):.2f} %"
        )
    return out


def work_greedy(case: Case) -> dict[str, Any]:
    from matching.eligibility import eligible_arcs
    from matching.index import ProblemIndex

    problem = case.make()
    started = time.perf_counter()
    index = ProblemIndex.build(problem)
    arcs = eligible_arcs(index)
    built = time.perf_counter()
    start = arcs.by_lot(index.num_lots)
    acc_left = index.acc_capacity.copy()
    fac_left = index.fac_capacity.copy()
    flows = np.zeros(arcs.size, dtype=np.int64)
    lot_order = np.lexsort((np.arange(index.num_lots), -index.lot_weight))
    road = arcs.road_km
    for lot in lot_order.tolist():
        left = int(index.lot_tonnes[lot])
        own = np.arange(start[lot], start[lot + 1])
        for arc in own[np.argsort(road[own], kind="stable")].tolist():
            if left == 0:
                break
            a = int(arcs.accept[arc])
            f = int(index.acc_facility[a])
            take = int(min(left, acc_left[a], fac_left[f]))
            if take > 0:
                flows[arc] = take
                acc_left[a] -= take
                fac_left[f] -= take
                left -= take
    solved = time.perf_counter()
    return {
        "arcs": arcs.size,
        "build_s": built - started,
        "solve_s": solved - built,
        "total_s": solved - started,
        **_summary(index.lot_tonnes, flows, index.lot_weight[arcs.lot], road, index.cost_per_t_km),
    }


def work_highs(case: Case) -> dict[str, Any]:
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix, vstack

    from matching.eligibility import eligible_arcs
    from matching.index import ProblemIndex

    problem = case.make()
    started = time.perf_counter()
    index = ProblemIndex.build(problem)
    arcs = eligible_arcs(index)
    n = arcs.size
    cols = np.arange(n)
    ones = np.ones(n)
    blocks, caps = [], []
    for keys, capacity in (
        (arcs.lot, index.lot_tonnes.astype(float)),
        (arcs.accept, index.acc_capacity),
        (index.acc_facility[arcs.accept], index.fac_capacity),
    ):
        rows = np.flatnonzero(np.isfinite(capacity))
        row_of = np.full(capacity.size, -1)
        row_of[rows] = np.arange(rows.size)
        keep = row_of[keys] >= 0
        blocks.append(
            csr_matrix((ones[keep], (row_of[keys][keep], cols[keep])), shape=(rows.size, n))
        )
        caps.append(capacity[rows])
    a_ub = vstack(blocks).tocsr()
    b_ub = np.concatenate(caps)
    weight = index.lot_weight[arcs.lot].astype(float)
    cost = arcs.road_km * index.cost_per_t_km
    built = time.perf_counter()
    limit = {"time_limit": HIGHS_TIME_LIMIT_S}
    first = linprog(-weight, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs", options=limit)
    if first.status != 0:
        return {"arcs": n, "build_s": built - started, "note": f"HiGHS: {first.message}"}
    best = -first.fun
    # The dense "weighted ≥ best" row slows the dual simplex badly; the interior point does not
    # mind it.
    second = linprog(
        cost,
        A_ub=vstack([a_ub, csr_matrix(-weight[None, :])]).tocsr(),
        b_ub=np.concatenate([b_ub, [-(best - 1e-6 * max(1.0, best))]]),
        bounds=(0, None),
        method="highs-ipm",
        options=limit,
    )
    solved = time.perf_counter()
    if second.status != 0:
        return {
            "arcs": n,
            "build_s": built - started,
            "weighted_t": float(best),
            "note": f"HiGHS phase 2: {second.message}",
        }
    x = second.x
    return {
        "arcs": n,
        "build_s": built - started,
        "solve_s": solved - built,
        "total_s": solved - started,
        "matched_t": float(x.sum()),
        "unmatched_t": float(index.lot_tonnes.sum() - x.sum()),
        "weighted_t": float(best),
        "t_km": float((x * arcs.road_km).sum()),
        "haul_cost": float(second.fun),
        "note": f"two LPs, {first.status}/{second.status}",
    }


def work_geopy(case: Case) -> dict[str, Any]:
    from geopy.distance import geodesic

    from geo.distance import pairs_within
    from matching.index import ProblemIndex

    problem = case.make()
    index = ProblemIndex.build(problem)
    lot_idx, fac_idx = [], []
    for material in range(len(index.materials)):
        lots = np.flatnonzero(index.lot_material == material)
        facs = np.unique(index.acc_facility[index.acc_material == material])
        i, j = pairs_within(
            index.lot_lat[lots],
            index.lot_lon[lots],
            index.lot_limit[lots],
            index.fac_lat[facs],
            index.fac_lon[facs],
            index.fac_limit[facs],
            index.road.min_circuity,
        )
        lot_idx.append(lots[i])
        fac_idx.append(facs[j])
    li = np.concatenate(lot_idx)
    fi = np.concatenate(fac_idx)
    dense = sum(
        int((index.lot_material == m).sum()) * int((index.acc_material == m).sum())
        for m in range(len(index.materials))
    )
    started = time.perf_counter()
    index.road.road_km_bulk(
        index.lot_lat[li], index.lot_lon[li], index.fac_lat[fi], index.fac_lon[fi]
    )
    bulk = time.perf_counter() - started
    sample = np.random.default_rng(0).choice(li.size, size=min(li.size, 5000), replace=False)
    started = time.perf_counter()
    for k in sample.tolist():
        _ = geodesic(
            (index.lot_lat[li[k]], index.lot_lon[li[k]]),
            (index.fac_lat[fi[k]], index.fac_lon[fi[k]]),
        ).km
    per_pair = (time.perf_counter() - started) / sample.size
    loop = per_pair * li.size
    engine = work_engine(case)
    return {
        "arcs": engine["arcs"],
        "build_s": engine["build_s"] - bulk + loop,
        "solve_s": engine["solve_s"],
        "total_s": engine["total_s"] - bulk + loop,
        "note": (
            f"geopy {per_pair * 1e6:.0f} us/pair (timed on {sample.size:,}) over the"
            f" {li.size:,} pre-filtered pairs = {loop:.1f} s vs pyproj {bulk:.2f} s;"
            f" a naive loop over all {dense:,} same-material lot x entry pairs"
            f" = {per_pair * dense:.0f} s"
        ),
    }


def _timed_process(argv: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if status != 0:
        raise RuntimeError(f"{argv[0]} failed: {stderr.strip()}")
    return {"total_s": elapsed, "peak_mb": usage.ru_maxrss / 1024}


def work_process(case: Case, method: str, problem_file: Path) -> dict[str, Any]:
    result_file = problem_file.with_suffix(f".{method}.json")
    if method == "cli":
        argv = [str(CONSOLE), "match", "--input", str(problem_file), "--output", str(result_file)]
    else:
        argv = [
            PYTHON,
            str(ROOT / "benchmarks" / "minimal.py"),
            str(problem_file),
            str(result_file),
        ]
    out = _timed_process(argv)
    result = json.loads(result_file.read_text(encoding="utf-8"))
    if method == "cli":
        t = result["totals"]
        out.update(
            arcs=result["stats"]["arcs"],
            matched_t=t["matched_t"],
            unmatched_t=t["unmatched_t"],
            weighted_t=t["weighted_matched_t"],
            t_km=t["t_km"],
            haul_cost=t["haul_cost"],
        )
        out["note"] = "whole process: start, read, solve, explain, write"
    else:
        matched = sum(m["tonnes"] for m in result["matches"])
        out.update(
            arcs=result["arcs"],
            matched_t=matched,
            haul_cost=sum(m["haul_cost"] for m in result["matches"]),
            t_km=sum(m["tonnes"] * m["road_km"] for m in result["matches"]),
        )
        out["note"] = "whole process: dense pairs, no pre-filter or explanations"
    result_file.unlink()
    return out


WORKERS: dict[str, Callable[[Case], dict[str, Any]]] = {
    "engine": work_engine,
    "greedy": work_greedy,
    "highs": work_highs,
    "geopy": work_geopy,
}


# --------------------------------------------------------------------------- driver


def _measure(case: Case, method: str, quick: bool, problem_file: Path) -> dict[str, Any]:
    if method in ("cli", "minimal"):
        return work_process(case, method, problem_file)
    argv = [PYTHON, "-m", "benchmarks.matching", "--worker", method, "--case", case.name]
    if quick:
        argv.append("--quick")
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{method} on {case.name} failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row(case: str, method: str, m: dict[str, Any], engine: dict[str, Any] | None) -> str:
    def num(key: str, fmt: str) -> str:
        value = m.get(key)
        return "—" if value is None else format(value, fmt)

    versus = ""
    if engine and method != "engine" and m.get("t_km") is not None and engine.get("t_km"):
        versus = f"{100 * (m['t_km'] / engine['t_km'] - 1):+.2f} % t·km"
        if m.get("unmatched_t") is not None:
            versus += f", {m['unmatched_t'] - engine['unmatched_t']:+,.0f} t unmatched"
    if engine and method != "engine" and m.get("total_s"):
        versus += ("; " if versus else "") + f"{m['total_s'] / engine['total_s']:.2f}x time"
    return (
        f"| {case} | {method} | {num('arcs', ',')} | {num('build_s', '.3f')} | "
        f"{num('solve_s', '.3f')} | {num('total_s', '.3f')} | {num('peak_mb', ',.0f')} | "
        f"{num('matched_t', ',.0f')} | {num('unmatched_t', ',.0f')} | "
        f"{num('weighted_t', ',.0f')} | "
        f"{num('t_km', ',.0f')} | {versus} | {m.get('note', '')} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.matching")
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--only", help="run only cases whose name contains this")
    args = parser.parse_args(argv)
    cases = {c.name: c for c in _cases(args.quick)}
    if args.worker:
        out = WORKERS[args.worker](cases[args.case])
        out["peak_mb"] = _maxrss_mb()
        print(json.dumps(out))
        return 0

    from matching import problem_to_dict

    print(
        "| case | method | arcs | build s | solve s | total s | peak MB | matched t | "
        "unmatched t | weighted t | t·km | vs engine | note |"
    )
    print("|" + "---|" * 13)
    findings: dict[tuple[str, str], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="wastematch-bench-") as tmp:
        for case in cases.values():
            if args.only and args.only not in case.name:
                continue
            problem_file = Path(tmp) / "problem.json"
            if {"cli", "minimal"} & set(case.methods):
                problem_file.write_text(json.dumps(problem_to_dict(case.make())), encoding="utf-8")
            engine: dict[str, Any] | None = None
            for method in case.methods:
                try:
                    measured = _measure(case, method, args.quick, problem_file)
                except RuntimeError as e:
                    measured = {"note": f"failed: {e}"}
                findings[case.name, method] = measured
                if method == "engine":
                    engine = measured
                print(_row(case.name, method, measured, engine), flush=True)
    _targets(findings)
    return 0


def _targets(f: dict[tuple[str, str], dict[str, Any]]) -> None:
    print()
    small = f.get(("200x500", "engine"))
    if small:
        ms = 1000 * (small["build_s"] + small["solve_s"])
        print(f"- 200x500 divisible build + solve: {ms:.0f} ms (target < 200 ms)")
    cli, minimal = f.get(("2000x1500", "cli")), f.get(("2000x1500", "minimal"))
    if cli and minimal and cli.get("total_s") and minimal.get("total_s"):
        print(
            f"- 2000x1500 `wastematch match` process {cli['total_s']:.2f} s vs minimal solver"
            f" {minimal['total_s']:.2f} s: {cli['total_s'] / minimal['total_s']:.2f}x"
            " (target ≤ 2x)"
        )
    geopy = f.get(("2000x1500", "geopy"))
    if cli and geopy and geopy.get("total_s"):
        print(
            f"- 2000x1500 geopy-loop version {geopy['total_s']:.1f} s:"
            f" {geopy['total_s'] / cli['total_s']:.0f}x slower than the whole process"
            " (target ≥ 10x)"
        )
    national = f.get(("national 20000x20000", "engine"))
    if national and national.get("total_s"):
        print(
            f"- national 20000x20000: {national['total_s']:.1f} s in process,"
            f" peak {national['peak_mb']:,.0f} MB, {national['arcs']:,} arcs"
        )
    for name in ("min-shipment 200x500",):
        m = f.get((name, "engine"))
        if m and m.get("status"):
            print(f"- {name}: {m['status']} in {m['total_s']:.1f} s; {m.get('note', '')}")


if __name__ == "__main__":
    sys.exit(main())
