"""The seed files read through their loader and hold together: catalogue, policy and demo set."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest
from geopy.distance import geodesic

from seed_data import (
    HERE,
    Bound,
    Catalogue,
    DemoDataSet,
    DemoLot,
    DemoOffer,
    DemoOrganisation,
    DemoSite,
    DemoStream,
    Policy,
    load_catalogue,
    load_demo,
    load_policy,
)

MATERIAL_FAMILIES = {
    "phosphogypsum": "phosphogypsum",
    "red_mud": "red_mud",
    "tailings_copper": "tailings",
    "tailings_tin": "tailings",
    "tailings_lead_zinc": "tailings",
    "steel_slag": "slag",
    "bf_slag": "slag",
    "nonferrous_slag": "slag",
    "silicon_slag": "slag",
    "fly_ash": "fly_ash",
    "coal_gangue": "coal_gangue",
    "fgd_gypsum": "byproduct_gypsum",
}
YUNNAN_LAT = (21.1, 29.3)
YUNNAN_LON = (97.5, 106.2)
DEMO_USERS = {
    "producer-demo": "producer",
    "recycler-demo": "recycler",
    "regulator-demo": "regulator",
    "operator-demo": "operator",
    "evaluator-demo": "evaluator",
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="module")
def demo() -> DemoDataSet:
    return load_demo()


def _holds(bound: Bound, value: float | None) -> bool:
    if value is None:
        return False
    return (bound.min is None or value >= bound.min) and (bound.max is None or value <= bound.max)


def _road_km(demo: DemoDataSet, policy: Policy, lot: DemoLot, offer: DemoOffer) -> float:
    sites = {s.key: s for s in demo.sites}
    a, b = sites[lot.site], sites[offer.site]
    return float(geodesic((a.lat, a.lon), (b.lat, b.lon)).km) * policy.circuity


def _quality_ok(lot: DemoLot, offer: DemoOffer) -> bool:
    return offer.material == lot.material and all(
        _holds(b, lot.quality.get(p)) for p, b in offer.spec.items()
    )


def _near_enough(demo: DemoDataSet, policy: Policy, lot: DemoLot, offer: DemoOffer) -> bool:
    km = _road_km(demo, policy, lot, offer)
    return all(limit is None or km <= limit for limit in (lot.max_haul_km, offer.max_haul_km))


def _phosphogypsum_streams(
    demo: DemoDataSet,
) -> Iterator[tuple[DemoOrganisation, DemoSite, DemoStream]]:
    orgs = {o.key: o for o in demo.organisations}
    for site in demo.sites:
        for st in site.streams:
            if st.material == "phosphogypsum":
                yield orgs[site.organisation], site, st


# --------------------------------------------------------------------------- catalogue


def test_the_catalogue_holds_the_twelve_materials_in_their_families(catalogue: Catalogue) -> None:
    assert {c: m.family for c, m in catalogue.materials.items()} == MATERIAL_FAMILIES


def test_phosphogypsum_ranks_first_then_red_mud_and_tailings(catalogue: Catalogue) -> None:
    expected = {
        c: 3 if c == "phosphogypsum" else 2 if c == "red_mud" or f == "tailings" else 1
        for c, f in MATERIAL_FAMILIES.items()
    }
    assert {c: m.priority for c, m in catalogue.materials.items()} == expected


def test_every_material_has_at_least_one_use(catalogue: Catalogue) -> None:
    assert [c for c, m in catalogue.materials.items() if not m.uses] == []


def test_use_codes_are_unique_within_a_material(catalogue: Catalogue) -> None:
    for m in catalogue.materials.values():
        codes = [u.code for u in m.uses]
        assert len(codes) == len(set(codes)), m.code


def test_every_parameter_has_a_unit_a_source_and_an_ordered_physical_range(
    catalogue: Catalogue,
) -> None:
    for p in catalogue.parameters.values():
        assert p.unit and p.standard and p.name_zh and p.name_en, p.code
        assert p.physical_min < p.physical_max, p.code


def test_every_parameter_is_used_by_some_material(catalogue: Catalogue) -> None:
    used = {pc for m in catalogue.materials.values() for pc in m.parameters}
    assert set(catalogue.parameters) == used


def test_the_project_wide_parameter_codes_are_where_the_design_puts_them(
    catalogue: Catalogue,
) -> None:
    wanted = {
        "phosphogypsum": {"caso4_2h2o_pct", "p2o5_ws_pct", "f_ws_pct", "moisture_pct", "ira", "ir"},
        "red_mud": {"na2o_pct", "fe2o3_pct", "al2o3_pct"},
        "steel_slag": {"f_cao_pct", "activity_28d_pct", "specific_surface_m2kg"},
        "bf_slag": {"activity_28d_pct", "specific_surface_m2kg"},
        "fly_ash": {"loi_pct", "fineness_45um_pct", "water_demand_pct"},
        "tailings_copper": {"pb_mgkg", "zn_mgkg", "as_mgkg", "cd_mgkg"},
        "fgd_gypsum": {"caso4_2h2o_pct", "moisture_pct", "cl_pct"},
    }
    for code, params in wanted.items():
        assert params <= set(catalogue.material(code).parameters), code


def test_every_use_bound_lies_within_its_parameters_physical_range(catalogue: Catalogue) -> None:
    for m in catalogue.materials.values():
        for u in m.uses:
            for pc, b in u.spec.items():
                p = catalogue.parameters[pc]
                for value in (b.min, b.max):
                    if value is not None:
                        assert p.physical_min <= value <= p.physical_max, (m.code, u.code, pc)


def test_every_use_bounds_only_parameters_of_its_material(catalogue: Catalogue) -> None:
    for m in catalogue.materials.values():
        for u in m.uses:
            assert set(u.spec) <= set(m.parameters), (m.code, u.code)


def test_phosphogypsum_uses_follow_gb_t_23456_and_gb_6566(catalogue: Catalogue) -> None:
    building = catalogue.use("phosphogypsum", "building_gypsum").spec
    assert building["caso4_2h2o_pct"] == Bound(min=85.0)
    assert building["p2o5_ws_pct"] == Bound(max=0.8)
    assert building["f_ws_pct"] == Bound(max=0.5)
    assert building["moisture_pct"] == Bound(max=25.0)
    assert building["ira"] == Bound(max=1.0) and building["ir"] == Bound(max=1.0)
    assert catalogue.use("phosphogypsum", "cement_retarder").spec["caso4_2h2o_pct"].min == 75.0


def test_slag_and_fly_ash_grades_follow_their_standards(catalogue: Catalogue) -> None:
    s75 = catalogue.use("bf_slag", "cement_admixture").spec
    s95 = catalogue.use("bf_slag", "concrete_admixture").spec
    assert (s75["activity_28d_pct"].min, s75["specific_surface_m2kg"].min) == (75.0, 300.0)
    assert (s95["activity_28d_pct"].min, s95["specific_surface_m2kg"].min) == (95.0, 400.0)
    grade_ii = catalogue.use("fly_ash", "concrete_admixture").spec
    assert (grade_ii["loi_pct"].max, grade_ii["fineness_45um_pct"].max) == (8.0, 30.0)
    assert grade_ii["water_demand_pct"].max == 105.0


def test_every_material_names_what_it_replaces_and_a_non_negative_co2_saving(
    catalogue: Catalogue,
) -> None:
    for m in catalogue.materials.values():
        assert m.substitutes_zh and m.substitutes_en, m.code
        assert 0 <= m.avoided_co2_kg_per_t <= 1000, m.code


def test_clinker_substitutes_save_more_co2_than_gypsum_and_aggregate_substitutes(
    catalogue: Catalogue,
) -> None:
    saving = {c: m.avoided_co2_kg_per_t for c, m in catalogue.materials.items()}
    assert saving["bf_slag"] > saving["fly_ash"] > saving["phosphogypsum"]
    assert saving["bf_slag"] > saving["tailings_copper"]


# --------------------------------------------------------------------------- policy


def test_policy_defaults_are_the_design_reference_figures(policy: Policy) -> None:
    assert (policy.circuity, policy.cost_per_t_km, policy.co2_kg_per_t_km) == (1.4, 0.6, 0.08)
    assert (policy.pg_ratio_min, policy.pg_ratio_default, policy.pg_ratio_max) == (4.5, 5.0, 5.0)
    assert policy.generation_tolerance == 0.15
    assert policy.receipt_tolerance == 0.02


def test_consumption_is_utilisation_plus_treatment(policy: Policy) -> None:
    assert set(policy.consumption_kinds) == set(policy.utilisation_kinds) | set(
        policy.treatment_kinds
    )


def test_trajectory_years_ascend_and_floors_never_fall(policy: Policy) -> None:
    years = [p.year for p in policy.trajectory]
    floors = [p.min_consumption_ratio for p in policy.trajectory]
    assert years == sorted(set(years))
    assert floors == sorted(floors)
    assert all(0 < f < 3 for f in floors)


def test_trajectory_reaches_balance_in_2025_and_draws_stock_down_after(policy: Policy) -> None:
    assert policy.min_consumption_ratio(2025) == 1.0
    assert all(p.min_consumption_ratio > 1.0 for p in policy.trajectory if p.year > 2025)
    assert policy.min_consumption_ratio(2020) is None


def test_targets_are_the_plans_table_1_and_the_phosphogypsum_work_plan(policy: Policy) -> None:
    assert policy.target_year == 2025
    assert (policy.utilisation_baseline, policy.utilisation_target) == (0.56, 0.60)
    assert policy.pg_utilisation_target == 0.75


def test_extra_policy_keys_are_marked_with_x(policy: Policy) -> None:
    raw = json.loads((HERE / "policy.json").read_text(encoding="utf-8"))
    known = {"circuity", "cost_per_t_km", "co2_kg_per_t_km", "receipt_tolerance"}
    known |= {"phosphogypsum", "targets", "reporting"}
    assert all(k in known or k.startswith("x_") for k in raw)
    assert policy.extra["x_accounting"] == {"period": "year", "monitoring": "quarter"}


# --------------------------------------------------------------------------- demo data set


def test_the_demo_set_says_it_is_illustrative(demo: DemoDataSet) -> None:
    assert "示例数据" in demo.label_zh and "非真实企业" in demo.label_zh
    assert "illustrative" in demo.label_en.lower()
    assert all(o.name.endswith("（示例）") for o in demo.organisations)
    assert all(s.name.endswith("（示例）") for s in demo.sites)


def test_demo_history_is_two_years_to_october_2026(demo: DemoDataSet) -> None:
    assert demo.history_months == 24
    assert demo.history_end.isoformat() == "2026-10-31"
    assert demo.password == "demo-password"


def test_demo_keys_are_unique_and_kinds_are_known(demo: DemoDataSet) -> None:
    assert len({o.key for o in demo.organisations}) == len(demo.organisations)
    assert len({s.key for s in demo.sites}) == len(demo.sites)
    assert len({s.name for s in demo.sites}) == len(demo.sites)
    assert {o.kind for o in demo.organisations} == {
        "producer",
        "recycler",
        "regulator",
        "operator",
        "evaluator",
    }
    assert {s.kind for s in demo.sites} == {"yard", "plant"}


def test_yards_belong_to_producers_and_plants_to_recyclers(demo: DemoDataSet) -> None:
    kinds = {o.key: o.kind for o in demo.organisations}
    for s in demo.sites:
        assert kinds[s.organisation] == ("producer" if s.kind == "yard" else "recycler"), s.key
        assert bool(s.streams) == (s.kind == "yard"), s.key


def test_demo_coordinates_lie_inside_yunnans_bounding_box(demo: DemoDataSet) -> None:
    for s in demo.sites:
        assert YUNNAN_LAT[0] <= s.lat <= YUNNAN_LAT[1], s.key
        assert YUNNAN_LON[0] <= s.lon <= YUNNAN_LON[1], s.key


def test_every_town_starts_with_its_county(demo: DemoDataSet) -> None:
    for s in demo.sites:
        county_end = max(s.town.find(c) for c in "市区县")
        assert 0 < county_end < len(s.town) - 1, s.town


def test_at_least_ten_producer_yards_cover_the_headline_materials(demo: DemoDataSet) -> None:
    yards = [s for s in demo.sites if s.kind == "yard"]
    materials = {st.material for s in yards for st in s.streams}
    assert len(yards) >= 10
    assert {"phosphogypsum", "red_mud"} <= materials
    assert any(m.startswith("tailings_") for m in materials)
    assert materials & {"steel_slag", "bf_slag", "nonferrous_slag", "silicon_slag"}


def test_at_least_twenty_plants_have_offers(demo: DemoDataSet) -> None:
    plants = {s.key for s in demo.sites if s.kind == "plant"}
    offering = {o.site for o in demo.offers}
    assert offering <= plants
    assert len(offering) >= 20
    assert plants == offering


def test_several_recyclers_own_the_plants(demo: DemoDataSet) -> None:
    owners = Counter(s.organisation for s in demo.sites if s.kind == "plant")
    assert len(owners) >= 4


def test_streams_are_non_negative_and_only_phosphogypsum_reports_p2o5(
    demo: DemoDataSet,
) -> None:
    for s in demo.sites:
        for st in s.streams:
            figures = [st.opening_t, st.monthly_generation_t, st.monthly_own_use_t]
            figures += [st.monthly_treatment_t, st.monthly_p2o5_t, st.monthly_delivered_t]
            assert all(f >= 0 for f in figures), (s.key, st.material)
            assert (st.monthly_p2o5_t > 0) == (st.material == "phosphogypsum"), s.key


def test_every_lot_sits_on_a_yard_holding_its_material(demo: DemoDataSet) -> None:
    streams = {s.key: {st.material for st in s.streams} for s in demo.sites}
    for lot in demo.lots:
        assert lot.material in streams[lot.site], (lot.site, lot.material)


def test_every_lot_assay_uses_only_its_materials_parameters_within_physical_range(
    demo: DemoDataSet, catalogue: Catalogue
) -> None:
    for lot in demo.lots:
        allowed = set(catalogue.material(lot.material).parameters)
        assert lot.quality and set(lot.quality) <= allowed, lot.lab_report
        for pc, value in lot.quality.items():
            p = catalogue.parameters[pc]
            assert p.physical_min <= value <= p.physical_max, (lot.lab_report, pc)


def test_lots_are_sized_and_documented_like_real_ones(demo: DemoDataSet) -> None:
    assert len({lot.lab_report for lot in demo.lots}) == len(demo.lots)
    for lot in demo.lots:
        assert 2_000 <= lot.tonnes <= 80_000, lot.lab_report
        assert lot.max_haul_km is None or 50 <= lot.max_haul_km <= 300, lot.lab_report


def test_some_phosphogypsum_lots_ask_the_producer_to_pay(demo: DemoDataSet) -> None:
    prices = [lot.asking_price_cny_t for lot in demo.lots if lot.material == "phosphogypsum"]
    assert min(prices) < 0 and max(prices) <= 10


def test_every_offer_names_a_use_of_its_material(demo: DemoDataSet, catalogue: Catalogue) -> None:
    for o in demo.offers:
        assert o.use in {u.code for u in catalogue.material(o.material).uses}, (o.site, o.use)


def test_offer_overrides_bound_only_the_materials_parameters_within_range(
    demo: DemoDataSet, catalogue: Catalogue
) -> None:
    raw = json.loads((HERE / "demo.json").read_text(encoding="utf-8"))
    overridden = [o for o in raw["offers"] if "spec" in o]
    assert overridden
    for o in overridden:
        for pc, bound in o["spec"].items():
            assert pc in catalogue.material(o["material"]).parameters, (o["site"], pc)
            p = catalogue.parameters[pc]
            assert all(p.physical_min <= v <= p.physical_max for v in bound.values())


def test_offers_have_capacity_and_a_haul_radius_of_100_to_300_km(demo: DemoDataSet) -> None:
    assert 25 <= len(demo.offers) <= 40
    for o in demo.offers:
        assert o.capacity_t > 0
        assert o.max_haul_km is not None and 80 <= o.max_haul_km <= 300, o.site


def test_the_four_demo_accounts_exist_with_their_roles(demo: DemoDataSet) -> None:
    kinds = {o.key: o.kind for o in demo.organisations}
    assert {u.username: u.role for u in demo.users} == DEMO_USERS
    for u in demo.users:
        assert kinds[u.organisation] == u.role, u.username


def test_producer_demo_runs_a_phosphogypsum_yard_at_anning(demo: DemoDataSet) -> None:
    org = next(u.organisation for u in demo.users if u.username == "producer-demo")
    yards = [s for s in demo.sites if s.organisation == org]
    assert any(s.town.startswith("安宁市") for s in yards)
    assert any(st.material == "phosphogypsum" for s in yards for st in s.streams)


def test_recycler_demo_runs_cement_plants_taking_phosphogypsum(demo: DemoDataSet) -> None:
    org = next(u.organisation for u in demo.users if u.username == "recycler-demo")
    plants = {s.key for s in demo.sites if s.organisation == org}
    retarders = [o for o in demo.offers if o.site in plants and o.use == "cement_retarder"]
    assert len(plants) >= 5
    assert any(o.material == "phosphogypsum" for o in retarders)


def test_phosphogypsum_producers_ratios_lie_within_the_policy_range(
    demo: DemoDataSet, policy: Policy
) -> None:
    producers = {org.key: org for org, _site, _st in _phosphogypsum_streams(demo)}
    assert len(producers) >= 3
    for org in producers.values():
        assert org.pg_ratio is not None
        assert policy.pg_ratio_min <= org.pg_ratio <= policy.pg_ratio_max, org.key


def test_exactly_one_phosphogypsum_producer_reports_inconsistent_generation(
    demo: DemoDataSet, policy: Policy
) -> None:
    gaps = {}
    for org, site, st in _phosphogypsum_streams(demo):
        assert org.pg_ratio is not None
        implied = st.monthly_p2o5_t * org.pg_ratio
        gaps[site.key] = abs(st.monthly_generation_t - implied) / implied
    flagged = [k for k, gap in gaps.items() if gap > policy.generation_tolerance]
    assert len(flagged) == 1
    # far enough from the tolerance that the seeder's monthly jitter cannot blur the picture
    assert gaps[flagged[0]] >= 0.2
    assert all(gap <= 0.05 for k, gap in gaps.items() if k not in flagged)


def test_one_phosphogypsum_producer_consumes_below_the_trajectory(
    demo: DemoDataSet, policy: Policy
) -> None:
    floor = policy.min_consumption_ratio(demo.history_end.year)
    assert floor is not None
    ratios = {}
    for _org, site, st in _phosphogypsum_streams(demo):
        consumed = st.monthly_own_use_t + st.monthly_treatment_t + st.monthly_delivered_t
        ratios[site.key] = consumed / st.monthly_generation_t
    below = [k for k, r in ratios.items() if r < floor]
    assert below
    assert len(below) < len(ratios)
    # the others clear the floor with room for the seeder's ±10 % monthly jitter
    assert all(r >= floor * 1.04 for k, r in ratios.items() if k not in below)


def test_producer_demo_lots_reach_a_recycler_demo_plant_within_haul(
    demo: DemoDataSet, policy: Policy
) -> None:
    producer = next(u.organisation for u in demo.users if u.username == "producer-demo")
    recycler = next(u.organisation for u in demo.users if u.username == "recycler-demo")
    owner = {s.key: s.organisation for s in demo.sites}
    own_lots = [lot for lot in demo.lots if owner[lot.site] == producer]
    their_offers = [o for o in demo.offers if owner[o.site] == recycler]
    assert own_lots
    reachable = [
        lot
        for lot in own_lots
        if any(_quality_ok(lot, o) and _near_enough(demo, policy, lot, o) for o in their_offers)
    ]
    assert len(reachable) >= 2


def test_some_lots_stay_unmatched_for_each_reason(demo: DemoDataSet, policy: Policy) -> None:
    reasons = set()
    for lot in demo.lots:
        offers = [o for o in demo.offers if o.material == lot.material]
        if any(_quality_ok(lot, o) and _near_enough(demo, policy, lot, o) for o in offers):
            continue
        if not offers:
            reasons.add("no plant accepts")
        elif any(_near_enough(demo, policy, lot, o) for o in offers):
            reasons.add("quality")
        else:
            reasons.add("distance")
    assert reasons == {"no plant accepts", "quality", "distance"}


def test_some_lot_lacks_an_assay_an_offer_asks_for(demo: DemoDataSet) -> None:
    assert any(
        any(pc not in lot.quality for pc in o.spec)
        for lot in demo.lots
        for o in demo.offers
        if o.material == lot.material
    )


def test_most_lots_meet_some_offers_quality_limits(demo: DemoDataSet) -> None:
    meeting = [lot for lot in demo.lots if any(_quality_ok(lot, o) for o in demo.offers)]
    assert len(meeting) >= 0.7 * len(demo.lots)
