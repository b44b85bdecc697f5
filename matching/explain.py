"""Why each match holds and why each unmatched tonne stayed unmatched."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from geo.distance import SPHERE_MARGIN, great_circle_km_bulk
from matching.eligibility import Arcs, SpecTable, check_pair
from matching.index import FloatArray, IntArray, ProblemIndex
from matching.model import Accept, Detail, Lot, Margin, Status, Unmatched

NAMED_PLANTS = 5
"""How many of a lot's eligible plants a capacity explanation names (nearest first)."""
NAMED_LOTS = 5
"""How many lots that took a plant's capacity are named (the rest are counted)."""

BLOCK_PAIRS = 1 << 20
"""Great circles computed at once when explaining lots with no eligible plant."""


def N_(template: str) -> str:
    """Marks a template for the gettext catalogue (scripts/i18n.py extract)."""
    return template


NO_PLANT_WITHIN_HAUL = N_("no eligible facility within haul limit")
"""docs/matching-format.md's wording for lots whose every otherwise-eligible plant is too far."""


def margins(lot: Lot, accept: Accept) -> dict[str, Margin]:
    out: dict[str, Margin] = {}
    for code, bound in sorted(accept.spec.items()):
        value = lot.quality[code]
        gaps = [g for g in (_gap(value, bound.min, 1), _gap(value, bound.max, -1)) if g is not None]
        out[code] = Margin(value, bound.min, bound.max, min(gaps) if gaps else None)
    return out


def _gap(value: float, limit: float | None, sign: int) -> float | None:
    return None if limit is None else round(sign * (value - limit), 9)


def _sum_by(keys: IntArray, values: IntArray, size: int) -> IntArray:
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, keys, values)
    return out


@dataclass
class Explainer:
    """Reasons for the unmatched tonnes of one solved problem."""

    index: ProblemIndex
    arcs: Arcs
    flow: IntArray
    status: Status
    min_shipment_t: int | None
    """The minimum shipment in min-shipment mode, else None."""

    def unmatched(self) -> tuple[Unmatched, ...]:
        index, arcs, flow = self.index, self.arcs, self.flow
        matched = _sum_by(arcs.lot, flow, index.num_lots)
        remaining = index.lot_tonnes - matched
        start = arcs.by_lot(index.num_lots)
        acc_used = _sum_by(arcs.accept, flow, index.num_accepts)
        fac_used = _sum_by(index.acc_facility[arcs.accept], flow, len(index.problem.facilities))
        self._acc_spare = index.acc_capacity - acc_used
        self._fac_spare = (index.fac_capacity - fac_used)[index.acc_facility]
        # Who holds each accept entry's and each facility's capacity: arcs with flow, higher
        # priority first, then cheaper haul.
        used = np.flatnonzero(flow > 0)
        used = used[np.lexsort((used, arcs.road_km[used], -index.lot_weight[arcs.lot[used]]))]
        self._holders: dict[tuple[str, int], list[int]] = defaultdict(list)
        self._takers: dict[int, dict[str, Any]] = {}
        used_accepts = arcs.accept[used]
        for arc, a, f in zip(
            used.tolist(),
            used_accepts.tolist(),
            index.acc_facility[used_accepts].tolist(),
            strict=True,
        ):
            self._holders["accept", a].append(arc)
            self._holders["facility", f].append(arc)
        short = np.flatnonzero(remaining > 0)
        ineligible = self._ineligible_all(short[start[short] == start[short + 1]])
        out = []
        for i in short:
            lot = index.problem.lots[int(i)]
            own = np.arange(start[i], start[i + 1])
            if own.size:
                details = self._capacity(int(i), own, int(remaining[i]))
            else:
                details = ineligible[int(i)]
            out.append(
                Unmatched(
                    lot=lot.id,
                    material=lot.material,
                    tonnes=int(remaining[i]),
                    reasons=tuple(reason for reason, _ in details),
                    details=tuple(detail for _, detail in details),
                )
            )
        return tuple(out)

    # ----------------------------------------------------------------------- capacity

    def _capacity(self, lot: int, own: IntArray, remaining: int) -> list[tuple[str, Detail]]:
        index, arcs = self.index, self.arcs
        if self.status == "infeasible":
            return [reason_of({"code": "solver_failed"})]
        weight = int(index.lot_weight[lot])
        nearest = own[np.argsort(arcs.road_km[own], kind="stable")]
        accepts = arcs.accept[nearest]
        spare_acc = self._acc_spare[accepts]
        spare = np.minimum(spare_acc, self._fac_spare[accepts])
        full: list[dict[str, Any]] = []
        for arc, acc_full in zip(
            nearest[spare < 1][:NAMED_PLANTS], spare_acc[spare < 1][:NAMED_PLANTS] < 1, strict=True
        ):
            a = int(arcs.accept[arc])
            plant = self._plant(a, float(arcs.road_km[arc]))
            plant["full"] = "accept" if acc_full else "facility"
            key = ("accept", a) if acc_full else ("facility", int(index.acc_facility[a]))
            takers = [t for t in self._holders.get(key, ()) if int(arcs.lot[t]) != lot]
            plant["taken_by"] = [self._taker(t) for t in takers[:NAMED_LOTS]]
            if len(takers) > NAMED_LOTS:
                plant["more_lots"] = len(takers) - NAMED_LOTS
            full.append(plant)
        open_arcs = nearest[spare >= 1]
        room = np.minimum(spare[spare >= 1], remaining)
        short: list[dict[str, Any]] = []
        for arc, tonnes in zip(open_arcs[:NAMED_PLANTS], room[:NAMED_PLANTS], strict=True):
            plant = self._plant(int(arcs.accept[arc]), float(arcs.road_km[arc]))
            plant["spare_t"] = int(tonnes)
            short.append(plant)
        out: list[tuple[str, Detail]] = []
        if full:
            mine = float(arcs.road_km[nearest[0]]) * index.cost_per_t_km
            out.append(
                reason_of(
                    {
                        "code": "capacity_taken",
                        "plants": full,
                        "priority": weight,
                        "haul_cost_cny_t": round(mine, 2),
                    }
                )
            )
        if short and self.min_shipment_t is not None:
            least = min(self.min_shipment_t, int(index.lot_tonnes[lot]))
            largest = int(room.max())
            detail: dict[str, Any] = {
                "code": "below_min_shipment" if largest < least else "time_limit",
                "min_shipment_t": least,
                "remaining_t": remaining,
                "plants": short,
            }
            if largest < least:
                detail["largest_spare_t"] = largest
            out.append(reason_of(detail))
        if not out:
            out.append(reason_of({"code": "time_limit"}))
        return out

    def _plant(self, accept: int, road_km: float) -> dict[str, Any]:
        plant: dict[str, Any] = {"facility": self.index.facility_of(accept).id}
        accept_id = self.index.accept(accept).id
        if accept_id is not None:
            plant["accept"] = accept_id
        # A road provider may know no road at all (inf): JSON has no inf, say null.
        plant["road_km"] = round(road_km, 3) if math.isfinite(road_km) else None
        return plant

    def _taker(self, arc: int) -> dict[str, Any]:
        # The same few holders are named for many lots near a busy plant: build each once.
        taker = self._takers.get(arc)
        if taker is None:
            lot = int(self.arcs.lot[arc])
            taker = self._takers[arc] = {
                "lot": self.index.problem.lots[lot].id,
                "tonnes": int(self.flow[arc]),
                "priority": int(self.index.lot_weight[lot]),
                "haul_cost_cny_t": round(
                    float(self.arcs.road_km[arc]) * self.index.cost_per_t_km, 2
                ),
            }
        return taker

    # ----------------------------------------------------------------------- ineligible

    def _ineligible_all(self, lots: IntArray) -> dict[int, list[tuple[str, Detail]]]:
        """Reasons for lots with no eligible arc, a material at a time, the great circles to
        that material's plants computed in blocks rather than a lot at a time."""
        index = self.index
        out: dict[int, list[tuple[str, Detail]]] = {}
        for material in np.unique(index.lot_material[lots]).tolist():
            table = SpecTable.build(index, material)
            mine = lots[index.lot_material[lots] == material]
            fac = index.acc_facility[table.accepts]
            step = max(1, BLOCK_PAIRS // max(1, fac.size))
            for begin in range(0, mine.size, step):
                block = mine[begin : begin + step]
                gc = great_circle_km_bulk(
                    index.lot_lat[block][:, None],
                    index.lot_lon[block][:, None],
                    index.fac_lat[fac][None, :],
                    index.fac_lon[fac][None, :],
                )
                for row, lot in enumerate(block.tolist()):
                    out[lot] = self._ineligible(lot, table, gc[row])
        return out

    def _ineligible(
        self, lot_number: int, table: SpecTable, gc: FloatArray
    ) -> list[tuple[str, Detail]]:
        index = self.index
        lot = index.problem.lots[lot_number]
        if table.accepts.size == 0:
            return [reason_of({"code": "no_plant_accepts_material", "material": lot.material})]
        q = table.assays([lot])[0]
        absent = np.isnan(q)
        missing = (table.bounded & absent).any(axis=1)
        outside = (table.bounded & ~absent & ((q < table.low) | (q > table.high))).any(axis=1)
        passing = ~missing & ~outside
        out: list[tuple[str, Detail]] = []
        if outside.any():
            a, road = self._nearest(lot_number, table.accepts[outside], gc[outside])
            miss = check_pair(lot, index.facility_of(a), index.accept(a), road).quality[0]
            plant = self._plant(a, road)
            out.append(
                reason_of(
                    {
                        "code": "quality",
                        **plant,
                        "parameter": miss.parameter,
                        "value": miss.value,
                        miss.side: miss.limit,
                        "plants": int(outside.sum()),
                    },
                    road,
                )
            )
        if missing.any():
            a, road = self._nearest(lot_number, table.accepts[missing], gc[missing])
            needs = check_pair(lot, index.facility_of(a), index.accept(a), road).missing
            columns = np.flatnonzero(table.bounded[missing].any(axis=0) & absent)
            lacking = [table.parameters[c] for c in columns]
            plant = self._plant(a, road)
            count = int(missing.sum())
            out.append(
                reason_of(
                    {
                        "code": "missing_assay",
                        "parameters": lacking,
                        **plant,
                        "needs": list(needs),
                        "plants": count,
                    },
                    road,
                )
            )
        if passing.any():
            a, road = self._nearest(lot_number, table.accepts[passing], gc[passing])
            f = int(index.acc_facility[a])
            limit = min(float(index.lot_limit[lot_number]), float(index.fac_limit[f]))
            detail = self._plant(a, road)
            out.append(
                reason_of(
                    {
                        "code": "beyond_haul_limit",
                        **detail,
                        "limit_km": limit if math.isfinite(limit) else None,
                        "plants": int(passing.sum()),
                    }
                )
            )
        return out

    def _nearest(self, lot: int, accepts: IntArray, gc: FloatArray) -> tuple[int, float]:
        """The accept entry among `accepts` with the shortest road from the lot, and that road.

        Ranks by great circle (`gc`, one per entry) first; only entries that could still be
        nearest after the sphere's error get the exact road distance."""
        index = self.index
        close = gc <= gc.min() * (1 + SPHERE_MARGIN) / (1 - SPHERE_MARGIN) + 1e-9
        candidates = accepts[close]
        fac = index.acc_facility[candidates]
        road = index.road.road_km_bulk(
            index.lot_lat[lot], index.lot_lon[lot], index.fac_lat[fac], index.fac_lon[fac]
        )
        best = int(np.argmin(road))
        return int(candidates[best]), float(road[best])


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# ----------------------------------------------------------------------------- reasons as data
#
# A reason is a template with named placeholders and its params, built from the reason's detail
# (`code` and data): the engine writes the English from it, and a page in another language looks
# the same template up in its catalogue (web/i18n.py) and fills it with the same params. Lists
# are `Join`s, parts of a sentence are nested `Phrase`s.


@dataclass(frozen=True)
class Phrase:
    template: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Join:
    sep: str
    items: tuple[Any, ...]


def phrase_text(
    phrase: Any,
    translate: Any = None,
    word: Any = None,
    name: str = "",
) -> str:
    """A phrase as text: `translate(template)` gives the template in the reader's language
    (English when None), `word(name, value)` a param's words (as they are when None)."""
    if isinstance(phrase, Phrase):
        template = translate(phrase.template) if translate else phrase.template
        words = {
            key: phrase_text(value, translate, word, key) for key, value in phrase.params.items()
        }
        return template.format(**words)
    if isinstance(phrase, Join):
        sep = translate(phrase.sep) if translate else phrase.sep
        return sep.join(phrase_text(item, translate, word, name) for item in phrase.items)
    return str(word(name, phrase) if word else phrase)


def road_phrase(road_km: float | None) -> Phrase:
    if road_km is None or not math.isfinite(road_km):
        return Phrase(N_("no road known"), {})
    return Phrase(N_("{km} km by road"), {"km": f"{road_km:.1f}"})


def reason_phrase(detail: Detail, road_km: float | None = None) -> Phrase:
    """The reason a detail gives, as a phrase. Unmatched tonnes' details name the nearest plant
    (`facility`); an option's (matching/rank.py) are about its own plant. `road_km`, when given,
    is the unrounded road the detail holds rounded."""
    code = detail.get("code")
    road = road_phrase(road_km if road_km is not None else detail.get("road_km"))
    if code == "solver_failed":
        return Phrase(N_("the solver found no solution"), {})
    if code == "no_plant_accepts_material":
        return Phrase(N_("no plant accepts {material}"), {"material": detail["material"]})
    if code == "material_differs":
        return Phrase(
            N_("takes {material}, not {lot_material}"),
            {"material": detail["material"], "lot_material": detail["lot_material"]},
        )
    if code == "quality":
        side = "min" if "min" in detail else "max"
        if "facility" not in detail:
            return Phrase(
                N_("{parameter} {value} is below the minimum {limit}")
                if side == "min"
                else N_("{parameter} {value} is above the maximum {limit}"),
                {
                    "parameter": detail["parameter"],
                    "value": f"{detail['value']:g}",
                    "limit": f"{detail[side]:g}",
                },
            )
        return Phrase(
            N_(
                "{parameter} {value} is below the minimum {limit} of the nearest plant that "
                "limits it, {facility} ({road})"
            )
            if side == "min"
            else N_(
                "{parameter} {value} is above the maximum {limit} of the nearest plant that "
                "limits it, {facility} ({road})"
            ),
            {
                "parameter": detail["parameter"],
                "value": _num(detail["value"]),
                "limit": _num(detail[side]),
                "facility": detail["facility"],
                "road": road,
            },
        )
    if code == "missing_assay":
        if "facility" not in detail:
            return Phrase(
                N_("no assay for {parameters}"),
                {"parameters": Join(N_(", "), tuple(detail["parameters"]))},
            )
        return Phrase(
            N_(
                "no assay for {parameters}, which {count} plant(s) require (nearest: {facility}, "
                "{road}, needs {needs})"
            ),
            {
                "parameters": Join(N_(", "), tuple(detail["parameters"])),
                "count": detail["plants"],
                "facility": detail["facility"],
                "road": road,
                "needs": Join(N_(", "), tuple(detail["needs"])),
            },
        )
    if code == "beyond_haul_limit":
        if "facility" not in detail:
            # the engine words its own road as it measured it (`inf km by road` when it knows
            # none); a page reads the rounded road the detail keeps (null when none is known)
            here = (
                Phrase(N_("{km} km by road"), {"km": f"{road_km:.1f}"})
                if road_km is not None
                else road
            )
            return Phrase(
                N_("{road} is beyond the haul limit of {limit} km"),
                {"road": here, "limit": f"{detail['limit_km']:g}"},
            )
        return Phrase(NO_PLANT_WITHIN_HAUL, {})
    if code == "capacity_taken":
        weight = detail.get("priority", 0)
        plants = []
        for plant in detail["plants"]:
            names: list[Phrase] = []
            for taker in plant["taken_by"]:
                if taker["priority"] > weight:
                    names.append(
                        Phrase(
                            N_("{lot} (priority {priority})"),
                            {"lot": taker["lot"], "priority": taker["priority"]},
                        )
                    )
                else:
                    names.append(
                        Phrase(
                            N_("{lot} ({cost} CNY/t)"),
                            {"lot": taker["lot"], "cost": f"{taker['haul_cost_cny_t']:.2f}"},
                        )
                    )
            if plant.get("more_lots"):
                names.append(Phrase(N_("{n} more"), {"n": plant["more_lots"]}))
            takers: Any = Join(N_(", "), tuple(names)) if names else Phrase(N_("no capacity"), {})
            plants.append(
                Phrase(
                    N_("{facility}: {takers}"), {"facility": plant["facility"], "takers": takers}
                )
            )
        return Phrase(
            N_(
                "capacity at eligible plants is taken by lots of higher priority or lower total "
                "haul cost (this lot: priority {priority}, {cost} CNY/t to the nearest) — {plants}"
            ),
            {
                "priority": weight,
                "cost": f"{detail.get('haul_cost_cny_t', 0.0):.2f}",
                "plants": Join(N_("; "), tuple(plants)),
            },
        )
    if code == "below_min_shipment":
        return Phrase(
            N_(
                "the {remaining} t left and the spare capacity (at most {largest} t at a plant) "
                "are below the minimum shipment of {least} t"
            ),
            {
                "remaining": detail["remaining_t"],
                "largest": detail["largest_spare_t"],
                "least": detail["min_shipment_t"],
            },
        )
    if code == "time_limit" and "min_shipment_t" in detail:
        return Phrase(N_("the search stopped at its time limit before placing these tonnes"), {})
    return Phrase(N_("the search stopped before placing these tonnes"), {})


def reason_of(detail: Detail, road_km: float | None = None) -> tuple[str, Detail]:
    """The English reason and its detail, as `Unmatched` and `Option` keep them."""
    return phrase_text(reason_phrase(detail, road_km)), detail
