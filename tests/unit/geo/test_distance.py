from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import distance
from geo.distance import (
    SPHERE_MARGIN,
    CircuityRoadDistance,
    RoadDistance,
    geodesic_km,
    geodesic_km_bulk,
    great_circle_km_bulk,
    pairs_within,
)

lats = st.floats(-89.9, 89.9)
lons = st.floats(-180, 180)


def test_bulk_geodesic_agrees_with_geopy_to_a_metre() -> None:
    rng = np.random.default_rng(7)
    n = 400
    lat1, lat2 = rng.uniform(-85, 85, n), rng.uniform(-85, 85, n)
    lon1, lon2 = rng.uniform(-180, 180, n), rng.uniform(-180, 180, n)
    # half of them Yunnan-scale hops
    lat2[: n // 2] = lat1[: n // 2] + rng.uniform(-2, 2, n // 2)
    lon2[: n // 2] = lon1[: n // 2] + rng.uniform(-2, 2, n // 2)
    bulk = geodesic_km_bulk(lat1, lon1, lat2, lon2)
    one_by_one = [
        geodesic_km(a, b, c, d) for a, b, c, d in zip(lat1, lon1, lat2, lon2, strict=True)
    ]
    assert np.abs(bulk - np.array(one_by_one)).max() < 0.001


@settings(max_examples=60, deadline=None)
@given(lats, lons, lats, lons)
def test_bulk_geodesic_agrees_with_geopy_anywhere(a: float, b: float, c: float, d: float) -> None:
    assert geodesic_km_bulk(a, b, c, d)[()] == pytest.approx(geodesic_km(a, b, c, d), abs=0.001)


@settings(max_examples=200, deadline=None)
@given(lats, lons, st.floats(0.0, 3.0), st.floats(0, 2 * np.pi))
def test_great_circle_is_within_the_sphere_margin_of_the_geodesic(
    lat: float, lon: float, step: float, bearing: float
) -> None:
    lat2 = float(np.clip(lat + step * np.cos(bearing), -90, 90))
    lon2 = lon + step * np.sin(bearing)
    exact = geodesic_km_bulk(lat, lon, lat2, lon2)[()]
    sphere = great_circle_km_bulk(lat, lon, lat2, lon2)[()]
    assert sphere * (1 - SPHERE_MARGIN) <= exact + 1e-9
    assert exact <= sphere * (1 + SPHERE_MARGIN) + 1e-9


def test_the_sphere_margin_covers_the_worst_places_on_earth() -> None:
    # a short north-south hop at the equator (sphere longest) and at a pole (sphere shortest)
    equator = great_circle_km_bulk(0, 0, 0.01, 0)[()] / geodesic_km_bulk(0, 0, 0.01, 0)[()]
    pole = great_circle_km_bulk(89.99, 0, 89.98, 0)[()] / geodesic_km_bulk(89.99, 0, 89.98, 0)[()]
    assert 1.005 < equator < 1 / (1 - SPHERE_MARGIN)
    assert 1 - SPHERE_MARGIN < pole < 0.996


def test_bulk_distances_broadcast_one_point_against_many() -> None:
    lats2 = np.array([25.0, 26.0, 27.0])
    out = geodesic_km_bulk(24.9, 102.5, lats2, 102.5)
    assert out.shape == (3,)
    assert out[0] < out[1] < out[2]
    assert geodesic_km_bulk(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0)).shape == (0,)


def test_circuity_road_distance_is_the_geodesic_times_the_factor() -> None:
    road = CircuityRoadDistance(1.4)
    assert isinstance(road, RoadDistance)
    assert road.min_circuity == 1.4
    km = road.road_km_bulk(24.92, 102.48, 25.03, 102.71)[()]
    assert km == pytest.approx(1.4 * geodesic_km(24.92, 102.48, 25.03, 102.71), abs=1e-6)
    assert road.road_km(24.92, 102.48, 25.03, 102.71) == pytest.approx(km, abs=1e-6)


@pytest.mark.parametrize("factor", [0.0, -1.0, float("nan"), float("inf")])
def test_circuity_must_be_a_positive_number(factor: float) -> None:
    with pytest.raises(ValueError, match="circuity"):
        CircuityRoadDistance(factor)


def _brute_force(
    lat1: np.ndarray,
    lon1: np.ndarray,
    lim1: np.ndarray,
    lat2: np.ndarray,
    lon2: np.ndarray,
    lim2: np.ndarray,
    circuity: float,
) -> set[tuple[int, int]]:
    road = geodesic_km_bulk(lat1[:, None], lon1[:, None], lat2[None, :], lon2[None, :]) * circuity
    ok = road <= np.minimum(lim1[:, None], lim2[None, :])
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(ok), strict=True)}


def test_pre_filter_keeps_every_pair_within_the_haul_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    lat1, lon1 = rng.uniform(21, 29.3, 300), rng.uniform(97.5, 106.2, 300)
    lat2, lon2 = rng.uniform(21, 29.3, 200), rng.uniform(97.5, 106.2, 200)
    lim1 = np.where(rng.random(300) < 0.2, np.inf, rng.uniform(20, 300, 300))
    lim2 = np.where(rng.random(200) < 0.2, np.inf, rng.uniform(20, 300, 200))
    monkeypatch.setattr(distance, "_BLOCK_PAIRS", 2000)  # many small blocks
    i, j = pairs_within(lat1, lon1, lim1, lat2, lon2, lim2, 1.4)
    assert np.all(np.diff(i) >= 0)
    survivors = set(zip(i.tolist(), j.tolist(), strict=True))
    assert len(survivors) == i.size
    assert _brute_force(lat1, lon1, lim1, lat2, lon2, lim2, 1.4) <= survivors
    assert i.size < 300 * 200  # and it did rule pairs out


def test_pre_filter_drops_nothing_it_cannot_rule_out_at_the_margin() -> None:
    # a pair exactly at the limit is kept
    km = geodesic_km_bulk(25.0, 102.0, 25.9, 102.3)[()]
    i, _ = pairs_within([25.0], [102.0], [km], [25.9], [102.3], [np.inf], 1.0)
    assert i.size == 1
    i, _ = pairs_within([25.0], [102.0], [km * 0.99], [25.9], [102.3], [np.inf], 1.0)
    assert i.size in (0, 1)  # may keep it; the exact test decides


def test_pre_filter_of_empty_sets_is_empty() -> None:
    i, j = pairs_within([], [], [], [25.0], [102.0], [100.0])
    assert i.size == j.size == 0


def test_geo_distance_imports_nothing_from_the_rest_of_the_project() -> None:
    code = (
        "import sys, geo.distance; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('market', 'web', 'matching')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("lat_range", "lon_range"),
    [((-89.5, -80.0), (-180.0, 180.0)), ((-10.0, 10.0), (170.0, 190.0)), ((50.0, 70.0), (-20, 20))],
    ids=["near the south pole", "across the antimeridian", "high latitudes"],
)
def test_pre_filter_is_safe_at_the_poles_and_across_the_antimeridian(
    lat_range: tuple[float, float], lon_range: tuple[float, float]
) -> None:
    rng = np.random.default_rng(11)
    lat1, lat2 = rng.uniform(*lat_range, 250), rng.uniform(*lat_range, 200)
    lon1 = (rng.uniform(*lon_range, 250) + 180) % 360 - 180
    lon2 = (rng.uniform(*lon_range, 200) + 180) % 360 - 180
    lim1 = np.full(250, 400.0)
    lim2 = np.where(rng.random(200) < 0.5, np.inf, 250.0)
    i, j = pairs_within(lat1, lon1, lim1, lat2, lon2, lim2, 1.0)
    survivors = set(zip(i.tolist(), j.tolist(), strict=True))
    assert _brute_force(lat1, lon1, lim1, lat2, lon2, lim2, 1.0) <= survivors
