"""The least a vectorised OR-Tools matcher needs to do, as a yardstick for `wastematch match`.

    python benchmarks/minimal.py PROBLEM.json RESULT.json

Same eligibility and lexicographic objective as the engine, none of its care: every lot against
every accept entry of its material, densely, through pyproj; no pre-filter, no validation, no
overflow budget, no explanations; matches only.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from ortools.graph.python import min_cost_flow
from pyproj import Geod


def main(source: str, target: str) -> None:
    doc = json.load(open(source, encoding="utf-8"))
    params = doc.get("params", {})
    circuity = params.get("circuity", 1.4)
    cost = params.get("cost_per_t_km", 0.5)
    priorities = params.get("priorities", {})
    lots, facilities = doc["lots"], doc["facilities"]
    entries = [(j, a) for j, f in enumerate(facilities) for a in f["accepts"]]
    inf = np.inf

    l_lat = np.array([x["lat"] for x in lots])
    l_lon = np.array([x["lon"] for x in lots])
    l_t = np.array([int(x["tonnes"]) for x in lots], dtype=np.int64)
    l_lim = np.array([x.get("max_haul_km") or inf for x in lots])
    l_w = np.array([priorities.get(x["material"], 1) for x in lots], dtype=np.int64)
    f_lat = np.array([f["lat"] for f in facilities])
    f_lon = np.array([f["lon"] for f in facilities])
    f_lim = np.array([f.get("max_haul_km") or inf for f in facilities])
    f_cap = np.array([f.get("capacity_t") or inf for f in facilities])
    e_fac = np.array([j for j, _ in entries], dtype=np.int64)
    e_cap = np.array([a.get("capacity_t") or inf for _, a in entries])

    geod = Geod(ellps="WGS84")
    arc_l, arc_e, arc_km = [], [], []
    for material in sorted({x["material"] for x in lots}):
        li = np.array([i for i, x in enumerate(lots) if x["material"] == material])
        ei = np.array([k for k, (_, a) in enumerate(entries) if a["material"] == material])
        if li.size == 0 or ei.size == 0:
            continue
        ll, ee = np.meshgrid(li, ei, indexing="ij")
        ll, ee = ll.ravel(), ee.ravel()
        fj = e_fac[ee]
        _, _, metres = geod.inv(l_lon[ll], l_lat[ll], f_lon[fj], f_lat[fj])
        km = metres / 1000 * circuity
        ok = km <= np.minimum(l_lim[ll], f_lim[fj])
        for code in sorted({c for k in ei for c in entries[k][1].get("spec", {})}):
            value = np.array([x.get("quality", {}).get(code, np.nan) for x in lots])[ll]
            specs = [entries[k][1].get("spec", {}) for k in ei]
            lo = np.array([spec.get(code, {}).get("min", -inf) for spec in specs])
            hi = np.array([spec.get(code, {}).get("max", inf) for spec in specs])
            has = np.array([code in spec for spec in specs])
            pos = np.searchsorted(ei, ee)
            ok &= ~has[pos] | ((value >= lo[pos]) & (value <= hi[pos]))
        arc_l.append(ll[ok])
        arc_e.append(ee[ok])
        arc_km.append(km[ok])
    al = np.concatenate(arc_l) if arc_l else np.zeros(0, dtype=np.int64)
    ae = np.concatenate(arc_e) if arc_e else np.zeros(0, dtype=np.int64)
    akm = np.concatenate(arc_km) if arc_km else np.zeros(0)

    # nodes: lots, entries, facilities, sink; lots carry their tonnes as supply
    n_l, n_e, n_f = len(lots), len(entries), len(facilities)
    sink = n_l + n_e + n_f
    unit = np.rint(akm * cost / max(1e-9, float((akm * cost).max(initial=0))) * 10_000)
    penalty = int(min(n_l, n_e) * 10_000 + 1)
    total = int(l_t.sum())
    tails = np.concatenate([al, n_l + np.arange(n_e), n_l + n_e + np.arange(n_f), np.arange(n_l)])
    heads = np.concatenate([n_l + ae, n_l + n_e + e_fac, np.full(n_f, sink), np.full(n_l, sink)])
    caps = np.concatenate(
        [l_t[al], np.minimum(e_cap, total), np.minimum(f_cap, total), l_t]
    ).astype(np.int64)
    costs = np.concatenate([unit, np.zeros(n_e + n_f), penalty * l_w]).astype(np.int64)
    flow_solver = min_cost_flow.SimpleMinCostFlow()
    flow_solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, costs
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_l] = l_t
    supplies[sink] = -total
    flow_solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = flow_solver.solve()
    flows = np.asarray(flow_solver.flows(np.arange(al.size, dtype=np.int32)))
    used = np.flatnonzero(flows > 0)
    matches = [
        {
            "lot": lots[int(al[a])]["id"],
            "facility": facilities[int(e_fac[ae[a]])]["id"],
            "tonnes": int(flows[a]),
            "road_km": round(float(akm[a]), 3),
            "haul_cost": round(float(flows[a] * akm[a] * cost), 2),
        }
        for a in used
    ]
    out = {"status": status.name.lower(), "matches": matches, "arcs": int(al.size)}
    with open(target, "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
