"""The dense match: today's engine against the dense path, on the same problem, in one run.

    python -m benchmarks.dense                # 20,026 lots x 20,034 plants, ~17 M arcs (minutes)
    python -m benchmarks.dense --size 5000    # 5,000 x 5,008, about a million arcs (a minute)

The problem: `benchmarks/generate.py`'s Yunnan generator (seed 14), every point inside Yunnan's
extent, haul limits 250-500 km road (30 % of lots and plants unlimited), so that nearly every
lot reaches hundreds of plants. Each engine runs in its own fresh subprocess (its peak MB is
that process's ru_maxrss, problem generation included), after a warm-up solve. `total s` is the
wall clock of `solve` (build + solve + explain, plus checking the problem), `cpu s` the CPU time
of that process over the same span (on a shared machine the honest figure to compare; above
`total s` when two threads run):

  today   `matching.solve` exactly as on commit `BASELINE` (extracted with `git archive` into a
          temporary directory that goes first on PYTHONPATH): exact Karney geodesics for every
          candidate pair, one min-cost flow over every eligible arc
  dense   `matching.solve(problem, engine="dense")` from this tree (`matching/dense/`)

"same optimum": the same arcs, the same weighted matched tonnes, the same haul in the network's
integer cost units (each match's exact road km costed as the network costs it), and so haul
costs in CNY that differ by no more than the integer costs' rounding allows (about matched
tonnes x the cost resolution in CNY/t): where several flows are optimal, the two engines may
return different ones.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "0507523"
"""The last commit before the dense path: today's engine."""
SEED = 14
HAUL_KM = (250.0, 500.0)
FULL = (20026, 20034)


def _problem(lots: int, plants: int) -> Any:
    from benchmarks.generate import synthetic_problem

    return synthetic_problem(lots, plants, seed=SEED, haul_km=HAUL_KM)


def work(engine: str, lots: int, plants: int) -> dict[str, Any]:
    import matching
    from benchmarks.generate import synthetic_problem

    problem = _problem(lots, plants)
    options = {} if engine == "today" else {"engine": "dense"}
    matching.solve(synthetic_problem(5, 5, seed=0), **options)  # warm up imports and solvers
    started, cpu = time.perf_counter(), time.process_time()
    result = matching.solve(problem, **options)
    total, cpu = time.perf_counter() - started, time.process_time() - cpu
    s = result.stats
    return {
        "integer_haul": _integer_haul(problem, result),
        "engine": engine,
        "module": matching.__file__,
        "arcs": s["arcs"],
        "build_s": s["build_ms"] / 1000,
        "solve_s": s["solve_ms"] / 1000,
        "explain_s": s["explain_ms"] / 1000,
        "total_s": total,
        "cpu_s": cpu,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "status": result.status,
        "matched_t": result.totals.matched_t,
        "weighted_t": result.totals.weighted_matched_t,
        "haul_cost": result.totals.haul_cost,
        "t_km": result.totals.t_km,
        "unit": s["cost_resolution_cny_t"],
        "rounds": s.get("pricing_rounds"),
        "exact_pairs": s.get("exact_road_pairs"),
        "unmatched_lots": len(result.unmatched),
        "matches": len(result.matches),
        "cost_per_t_km": problem.params.cost_per_t_km,
    }


def _integer_haul(problem: Any, result: Any) -> int:
    """The matches' haul in the network's integer cost units, as the network costs each arc:
    rint(exact road km × CNY/t·km ÷ the cost resolution). Equal for the two engines when both
    flows are optimal for the same network, whichever optimal flow each returns."""
    import numpy as np

    from geo.distance import geodesic_km_bulk

    lots = {x.id: x for x in problem.lots}
    plants = {f.id: f for f in problem.facilities}
    pairs = [(lots[m.lot], plants[m.facility], m.tonnes) for m in result.matches]
    if not pairs:
        return 0
    road = geodesic_km_bulk(
        np.array([a.lat for a, _, _ in pairs]),
        np.array([a.lon for a, _, _ in pairs]),
        np.array([f.lat for _, f, _ in pairs]),
        np.array([f.lon for _, f, _ in pairs]),
    ) * float(problem.params.circuity)
    unit = float(result.stats["cost_resolution_cny_t"])
    cost = np.rint(road * problem.params.cost_per_t_km / unit).astype(np.int64)
    return int((cost * np.array([t for _, _, t in pairs], dtype=np.int64)).sum())


def _run(engine: str, lots: int, plants: int, baseline_dir: Path | None) -> dict[str, Any]:
    env = dict(os.environ)
    path = [str(ROOT)]
    if baseline_dir is not None:
        path.insert(0, str(baseline_dir))
    env["PYTHONPATH"] = os.pathsep.join(path + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    argv = [sys.executable, "-m", "benchmarks.dense", "--worker", engine]
    argv += ["--lots", str(lots), "--plants", str(plants)]
    # `python -m` puts the working directory first on sys.path: today's engine runs from its own.
    cwd = baseline_dir or ROOT
    done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{engine} failed: {done.stderr.strip()[-800:]}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def _baseline(tmp: Path) -> Path:
    """Today's engine, as committed at BASELINE, in `tmp`."""
    archive = subprocess.run(
        ["git", "archive", BASELINE, "matching", "geo", "seed_data"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
    return tmp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dense")
    parser.add_argument("--size", type=int, help="N lots x N+8 plants instead of 20,026 x 20,034")
    parser.add_argument("--only", choices=("today", "dense"), help="run one engine only")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--lots", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--plants", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(work(args.worker, args.lots, args.plants)))
        return 0
    lots, plants = (args.size, args.size + 8) if args.size else FULL
    load = os.getloadavg()
    print(f"dense Yunnan {lots:,} lots x {plants:,} plants, haul {HAUL_KM[0]:g}-{HAUL_KM[1]:g} km")
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cpus")
    print()
    print(
        "| engine | arcs | build s | solve s | explain s | total s | cpu s | peak MB | "
        "weighted t | haul cost CNY | t·km | note |"
    )
    print("|" + "---|" * 12)
    found: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="wastematch-dense-") as tmp:
        for engine in ("today", "dense"):
            if args.only and args.only != engine:
                continue
            base = _baseline(Path(tmp)) if engine == "today" else None
            m = found[engine] = _run(engine, lots, plants, base)
            if engine == "today" and not m["module"].startswith(tmp):
                raise RuntimeError(f"today's engine came from {m['module']}, not {tmp}")
            note = f"load {os.getloadavg()[0]:.1f} after"
            if m["rounds"]:
                note = f"{m['rounds']} pricing rounds, {m['exact_pairs']:,} exact pairs; " + note
            print(
                f"| {engine} | {m['arcs']:,} | {m['build_s']:.1f} | {m['solve_s']:.1f} | "
                f"{m['explain_s']:.1f} | {m['total_s']:.1f} | {m['cpu_s']:.1f} | "
                f"{m['peak_mb']:,.0f} | "
                f"{m['weighted_t']:,} | {m['haul_cost']:,.2f} | {m['t_km']:,.0f} | {note} |",
                flush=True,
            )
    if "today" in found and "dense" in found:
        old, new = found["today"], found["dense"]
        gap = abs(new["haul_cost"] - old["haul_cost"])
        # Two flows with the same integer cost differ in CNY by at most each tonne's rounding to
        # a cost unit (half a unit each side) and to the reported metre, plus cent rounding of
        # each match's haul cost.
        per_t = old["unit"] + 0.001 * old["cost_per_t_km"]
        allowed = old["matched_t"] * per_t + 0.005 * (old["matches"] + new["matches"])
        same = (
            old["arcs"] == new["arcs"]
            and old["weighted_t"] == new["weighted_t"]
            and old["integer_haul"] == new["integer_haul"]
            and old["unit"] == new["unit"]
            and old["status"] == new["status"] == "optimal"
            and gap <= allowed
        )
        print()
        print(
            f"same optimum: {'yes' if same else 'NO'} (arcs {old['arcs']:,} / {new['arcs']:,};"
            f" weighted t {old['weighted_t']:,} / {new['weighted_t']:,};"
            f" integer haul {old['integer_haul']:,} / {new['integer_haul']:,} units of"
            f" {old['unit']:.6f} / {new['unit']:.6f} CNY/t;"
            f" haul cost differs by {gap:,.2f} CNY, rounding allows {allowed:,.2f})"
        )
        print(f"speed-up: {old['total_s'] / new['total_s']:.2f}x")
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
