from __future__ import annotations

import json
from typing import Any

import pytest
from pyproj import Geod

from geo.zones import ProtectedZones, ZoneFileError, ZoneHit

GEOD = Geod(ellps="WGS84")


def square(lon: float, lat: float, size: float) -> list[list[float]]:
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def polygon(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def feature(geometry: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


# Two red-line areas at opposite ends of Yunnan, so the projection's central meridian (about
# 102°E) is 3.5° from each: distances must still come out right.
WEST = feature(polygon(square(98.5, 24.4, 0.1)), name="高黎贡山")
EAST = feature(polygon(square(105.5, 23.5, 0.1)), name="文山老君山")


@pytest.fixture(scope="module")
def zones() -> ProtectedZones:
    return ProtectedZones.from_geojson(collection(WEST, EAST))


def geodesic_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2]) / 1000.0


# ---------------------------------------------------------------------------- screening


def test_a_site_inside_a_zone_is_flagged_inside_at_distance_zero(zones: ProtectedZones) -> None:
    assert zones.screen(24.45, 98.55, buffer_km=0) == [ZoneHit("高黎贡山", True, 0.0)]


def test_a_site_within_the_buffer_is_flagged_with_its_geodesic_distance(
    zones: ProtectedZones,
) -> None:
    # 2 km due east of the west zone's east edge, at mid-height.
    lon, lat, _ = GEOD.fwd(98.6, 24.45, 90.0, 2000.0)
    (hit,) = zones.screen(lat, lon, buffer_km=3)
    assert hit.zone == "高黎贡山" and not hit.inside
    assert hit.distance_km == pytest.approx(2.0, abs=0.002)


def test_a_site_outside_the_buffer_is_not_flagged(zones: ProtectedZones) -> None:
    lon, lat, _ = GEOD.fwd(98.6, 24.45, 90.0, 2000.0)
    assert zones.screen(lat, lon, buffer_km=1.9) == []


def test_distance_to_a_corner_matches_the_geodesic_far_from_the_central_meridian(
    zones: ProtectedZones,
) -> None:
    lat, lon = 23.40, 105.40  # south-west of the east zone's corner (105.5, 23.5)
    (hit,) = zones.screen(lat, lon, buffer_km=20)
    assert hit.distance_km == pytest.approx(geodesic_km(lat, lon, 23.5, 105.5), abs=0.005)


def test_a_site_in_a_hole_is_outside_at_the_distance_to_the_hole_edge() -> None:
    zones = ProtectedZones.from_geojson(
        polygon(square(102.0, 25.0, 0.2), square(102.05, 25.05, 0.1)[::-1])
    )
    (hit,) = zones.screen(25.10, 102.10, buffer_km=10)
    assert not hit.inside
    assert hit.distance_km == pytest.approx(geodesic_km(25.10, 102.10, 25.10, 102.05), rel=1e-3)


def test_hits_come_nearest_first(zones: ProtectedZones) -> None:
    both = ProtectedZones.from_geojson(
        collection(
            feature(polygon(square(102.0, 25.0, 0.1)), name="far"),
            feature(polygon(square(102.2, 25.0, 0.1)), name="near"),
        )
    )
    hits = both.screen(25.05, 102.16, buffer_km=20)
    assert [h.zone for h in hits] == ["near", "far"]


def test_screen_many_agrees_with_screen_point_by_point(zones: ProtectedZones) -> None:
    points = [(24.45, 98.55), (24.45, 98.62), (23.45, 105.45), (25.0, 102.7), (23.55, 105.65)]
    lats, lons = zip(*points, strict=True)
    assert zones.screen_many(lats, lons, 5) == [zones.screen(a, o, 5) for a, o in points]


def test_screen_many_of_nothing_is_empty(zones: ProtectedZones) -> None:
    assert zones.screen_many([], [], 5) == []


def test_screening_refuses_a_point_that_is_not_lat_lon(zones: ProtectedZones) -> None:
    with pytest.raises(ValueError, match=r"point 0: \(102\.7, 25\.0\)"):
        zones.screen(102.7, 25.0, 5)


def test_screening_refuses_a_negative_buffer(zones: ProtectedZones) -> None:
    with pytest.raises(ValueError, match="buffer_km must be a finite distance >= 0, got -1"):
        zones.screen(25.0, 102.7, -1)


def test_no_zones_screen_nothing() -> None:
    assert ProtectedZones([]).screen(25.0, 102.7, 50) == []


# ---------------------------------------------------------------------------- reading


def test_zones_keep_their_name_or_get_a_number() -> None:
    zones = ProtectedZones.from_geojson(
        collection(
            feature(polygon(square(102.0, 25.0, 0.1)), name="滇池"),
            feature(polygon(square(103.0, 25.0, 0.1))),
            {"type": "Feature", "properties": None, "geometry": polygon(square(104, 25, 0.1))},
        )
    )
    assert zones.names == ("滇池", "zone 2", "zone 3")
    assert len(zones) == 3


def test_a_feature_a_bare_polygon_and_a_json_string_are_all_accepted() -> None:
    single = ProtectedZones.from_geojson(WEST)
    bare = ProtectedZones.from_geojson(
        {"type": "MultiPolygon", "coordinates": [[square(98.5, 24.4, 0.1)]]}
    )
    text = ProtectedZones.from_geojson(json.dumps(collection(WEST)))
    assert single.names == ("高黎贡山",)
    assert bare.names == ("zone 1",)
    assert text.names == ("高黎贡山",)


def test_a_self_intersecting_polygon_is_repaired_and_the_repair_reported() -> None:
    bow_tie = [[102.0, 25.0], [102.1, 25.1], [102.1, 25.0], [102.0, 25.1], [102.0, 25.0]]
    zones = ProtectedZones.from_geojson(collection(feature(polygon(bow_tie), name="bow")))
    assert len(zones.repairs) == 1
    assert zones.repairs[0].startswith("bow ($.features[0].geometry): Self-intersection")
    assert zones.screen(25.05, 102.02, 0)[0].inside
    assert zones.screen(25.05, 102.08, 0)[0].inside


def test_altitude_in_positions_is_ignored() -> None:
    ring = [[*p, 1500.0] for p in square(102.0, 25.0, 0.1)]
    assert ProtectedZones.from_geojson(polygon(ring)).screen(25.05, 102.05, 0)[0].inside


@pytest.mark.parametrize("crs", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "EPSG:4490"])
def test_a_declared_lon_lat_crs_is_accepted(crs: str) -> None:
    obj = {**collection(WEST), "crs": {"type": "name", "properties": {"name": crs}}}
    assert len(ProtectedZones.from_geojson(obj)) == 1


def test_positions_may_mix_with_and_without_altitude() -> None:
    ring: list[list[float]] = square(102.0, 25.0, 0.1)
    ring[1] = [*ring[1], 1500.0]
    assert ProtectedZones.from_geojson(polygon(ring)).screen(25.05, 102.05, 0)[0].inside


# One test per error message; each names the JSON path and the offending value.
NOT_CLOSED = [[102.0, 25.0], [102.1, 25.0], [102.1, 25.1], [102.0, 25.1]]
COLLINEAR = [[102.0, 25.0], [102.5, 25.0], [103.0, 25.0], [102.0, 25.0]]
ALMOST_COLLINEAR = [[102.0, 25.0], [102.1, 25.1], [102.2, 25.2], [102.0, 25.0]]
BAD_FILES: dict[str, tuple[Any, str]] = {
    "not json": ('{"type": "Feature"', r"^\$: not JSON: Expecting"),
    "nested too deeply": ("[" * 100_000 + "]" * 100_000, r"^\$: nested too deeply"),
    "not an object": ([1, 2], r"^\$: expected a GeoJSON object, got \[1, 2\]"),
    "projected crs": (
        {**collection(WEST), "crs": {"properties": {"name": "EPSG:4544"}}},
        r"^\$\.crs: only WGS-84 lon/lat is accepted, got .*EPSG:4544",
    ),
    "wrong top-level type": (
        {"type": "LineString", "coordinates": [[102, 25], [103, 25]]},
        r"^\$\.type: expected FeatureCollection, Feature, Polygon or MultiPolygon, "
        r"got 'LineString'",
    ),
    "features not a list": (
        {"type": "FeatureCollection", "features": {"a": 1}},
        r"^\$\.features: expected a list, got \{'a': 1\}",
    ),
    "no features": (collection(), r"^\$\.features: empty, the file holds no zones"),
    "nested collection": (
        collection(WEST, collection(EAST)),
        r"^\$\.features\[1\]\.type: expected 'Feature', got 'FeatureCollection'",
    ),
    "properties not an object": (
        collection({**WEST, "properties": [1]}),
        r"^\$\.features\[0\]\.properties: expected an object, got \[1\]",
    ),
    "null geometry": (
        collection(feature(None)),
        r"^\$\.features\[0\]\.geometry: missing or null",
    ),
    "geometry not an object": (
        collection(feature("POLYGON ((0 0, 1 0, 1 1, 0 0))")),
        r"^\$\.features\[0\]\.geometry: expected a geometry object, got 'POLYGON",
    ),
    "point geometry": (
        collection(feature({"type": "Point", "coordinates": [102.7, 25.0]})),
        r"^\$\.features\[0\]\.geometry\.type: expected 'Polygon' or 'MultiPolygon', got 'Point'",
    ),
    "geometry collection": (
        collection(feature({"type": "GeometryCollection", "geometries": [WEST["geometry"]]})),
        r"^\$\.features\[0\]\.geometry\.type: expected 'Polygon' or 'MultiPolygon', "
        r"got 'GeometryCollection'",
    ),
    "multipolygon coordinates not a list": (
        {"type": "MultiPolygon", "coordinates": "none"},
        r"^\$\.coordinates: expected a list, got 'none'",
    ),
    "empty coordinates": (
        {"type": "MultiPolygon", "coordinates": []},
        r"^\$\.coordinates: empty",
    ),
    "polygon without rings": (
        {"type": "Polygon", "coordinates": []},
        r"^\$\.coordinates: expected a non-empty list of rings, got \[\]",
    ),
    "ring not a list": (
        {"type": "Polygon", "coordinates": [{"x": 1}]},
        r"^\$\.coordinates\[0\]: expected a list of positions, got \{'x': 1\}",
    ),
    "position nested too deep": (
        polygon([[102.0, 25.0], [[[102.1, 25.0]]], [102.1, 25.1], [102.0, 25.0]]),
        r"^\$\.coordinates\[0\]\[1\]: expected a position \[lon, lat\], "
        r"got \[\[\[102\.1, 25\.0\]\]\]",
    ),
    "position as text": (
        polygon([[102.0, 25.0], ["102.1", "25.0"], [102.1, 25.1], [102.0, 25.0]]),
        r"^\$\.coordinates\[0\]\[1\]: expected a position \[lon, lat\], got \['102\.1', '25\.0'\]",
    ),
    "longitude out of range": (
        polygon([[102.0, 25.0], [502100.0, 25.0], [102.1, 25.1], [102.0, 25.0]]),
        r"^\$\.coordinates\[0\]\[1\]: longitude 502100\.0 is outside \[-180, 180\]",
    ),
    "latitude out of range (lat, lon swapped)": (
        polygon([[25.0, 102.0], [25.0, 102.1], [25.1, 102.1], [25.0, 102.0]]),
        r"^\$\.coordinates\[0\]\[0\]: latitude 102\.0 is outside \[-90, 90\]",
    ),
    "too few positions": (
        polygon([[102.0, 25.0], [102.1, 25.0], [102.0, 25.0]]),
        r"^\$\.coordinates\[0\]: a ring needs at least 4 positions, got 3",
    ),
    "ring not closed": (
        polygon(NOT_CLOSED),
        r"^\$\.coordinates\[0\]: ring is not closed: first \[102\.0, 25\.0\] != last "
        r"\[102\.0, 25\.1\]",
    ),
    "no area left after repair": (
        collection(feature(polygon(COLLINEAR))),
        r"^\$\.features\[0\]\.geometry: invalid polygon that cannot be repaired: "
        r"Self-intersection\[102\.5 25\]",
    ),
    "no area": (
        polygon(ALMOST_COLLINEAR),
        r"^\$: polygon has no area: 'POLYGON \(\(102 25, 102\.1 25\.1",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_malformed_zone_file_is_refused_naming_path_and_value(case: str) -> None:
    obj, message = BAD_FILES[case]
    with pytest.raises(ZoneFileError, match=message):
        ProtectedZones.from_geojson(obj)


def test_a_file_with_too_many_vertices_is_refused() -> None:
    obj = collection(WEST, EAST)
    with pytest.raises(
        ZoneFileError,
        match=r"^\$\.features\[1\]\.geometry\.coordinates\[0\]: more than 8 vertices in the file",
    ):
        ProtectedZones.from_geojson(obj, max_vertices=8)


def test_the_default_vertex_limit_is_two_million() -> None:
    ring = [[102.0, 25.0]] * 2_000_001
    with pytest.raises(ZoneFileError, match="more than 2,000,000 vertices"):
        ProtectedZones.from_geojson(polygon(ring))
