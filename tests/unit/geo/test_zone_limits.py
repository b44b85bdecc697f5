"""A protected-zone file cannot hold a worker for minutes (issue 10, finding 6)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

TANGLE = """
import json, sys, time
import numpy as np
from geo.zones import ProtectedZones, ZoneFileError
rng = np.random.default_rng(1)
n = int(sys.argv[1])
ring = np.column_stack([102.7 + rng.random(n) * 0.5, 25.0 + rng.random(n) * 0.5]).tolist()
ring.append(ring[0])
started = time.perf_counter()
try:
    ProtectedZones.from_geojson({"type": "Polygon", "coordinates": [ring]})
    print(json.dumps({"refused": None, "s": time.perf_counter() - started}))
except ZoneFileError as exc:
    print(json.dumps({"refused": str(exc), "s": time.perf_counter() - started}))
"""


def test_a_tangled_polygon_of_3000_vertices_is_refused_at_once_not_repaired_for_minutes():
    # 3,000 random vertices cross each other about a million times: repairing them took minutes
    done = subprocess.run(
        [sys.executable, "-c", TANGLE, "3000"], capture_output=True, text=True, timeout=60
    )
    answer = json.loads(done.stdout)
    assert answer["s"] < 5
    assert answer["refused"].startswith("$: invalid polygon of 3,001 vertices (")
    assert answer["refused"].endswith("; at most 500 are repaired here, repair it in a GIS first")


def test_a_small_tangled_polygon_is_still_repaired():
    from geo.zones import ProtectedZones

    bowtie = [[102.0, 25.0], [102.1, 25.1], [102.1, 25.0], [102.0, 25.1], [102.0, 25.0]]
    zones = ProtectedZones.from_geojson({"type": "Polygon", "coordinates": [bowtie]})
    assert len(zones) == 1 and zones.repairs


def test_more_zones_than_the_cap_are_refused():
    from geo.zones import MAX_ZONES, ProtectedZones, ZoneFileError

    square = [[102.0, 25.0], [102.001, 25.0], [102.001, 25.001], [102.0, 25.001], [102.0, 25.0]]
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [square]},
    }
    many = {"type": "FeatureCollection", "features": [feature] * (MAX_ZONES + 1)}
    try:
        ProtectedZones.from_geojson(json.dumps(many))
    except ZoneFileError as exc:
        assert str(exc) == f"$.features: {MAX_ZONES + 1:,} zones, at most {MAX_ZONES:,}"
    else:
        raise AssertionError("accepted")


def test_a_dense_boundary_is_simplified_before_the_distance_tests():
    from geo.zones import ProtectedZones

    n = 100_000
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.column_stack([102.7 + 0.3 * np.cos(angle), 25.0 + 0.3 * np.sin(angle)]).tolist()
    ring.append(ring[0])
    zones = ProtectedZones.from_geojson({"type": "Polygon", "coordinates": [ring]})
    import shapely

    assert shapely.get_num_coordinates(zones._planar[0]) < n / 10
    (hit,) = zones.screen(25.0, 102.7, 5.0)
    assert hit.inside
