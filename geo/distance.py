"""Distances between points on the WGS-84 ellipsoid, one at a time and in bulk.

`geodesic_km` (geopy) is the reference; `geodesic_km_bulk` gives the same Karney geodesic through
pyproj over numpy arrays, about a hundred times faster a pair. `great_circle_km_bulk` is the cheap
spherical distance used only to rule pairs out before the exact geodesic: on the mean-radius
sphere it is never more than `SPHERE_MARGIN` shorter or longer than the ellipsoidal geodesic.

Road distance is pluggable: anything with `road_km_bulk` and `min_circuity` is a `RoadDistance`.
The default multiplies the geodesic by a circuity factor.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

EARTH_MEAN_RADIUS_KM = 6371.0088
"""IUGG mean radius R1 = (2a + b) / 3 of the WGS-84 ellipsoid."""

SPHERE_MARGIN = 0.006
"""Bound on |great circle on the mean sphere ÷ WGS-84 geodesic − 1| anywhere on Earth.

The true worst case is about 0.56 % (a short north-south hop at the poles, where the meridian's
radius of curvature is largest, or at the equator, where it is smallest); 0.6 % leaves room.
"""

_GEOD = Geod(ellps="WGS84")

# Above this many pairs a block of the pre-filter is split, to keep memory flat.
_BLOCK_PAIRS = 1 << 21
_BLOCK_ROWS = 32


def geodesic_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The WGS-84 geodesic (Karney, through geopy) between two points, in kilometres."""
    from geopy.distance import geodesic

    return float(geodesic((lat1, lon1), (lat2, lon2)).km)


def _as_arrays(*values: ArrayLike) -> list[FloatArray]:
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values))
    return [np.array(a, dtype=np.float64) for a in arrays]  # contiguous copies, 0-d kept


def geodesic_km_bulk(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> FloatArray:
    """The WGS-84 geodesic between paired points (arrays broadcast against each other), in km."""
    la1, lo1, la2, lo2 = _as_arrays(lat1, lon1, lat2, lon2)
    if la1.size == 0:
        return np.zeros(la1.shape, dtype=np.float64)
    _, _, metres = _GEOD.inv(lo1.ravel(), la1.ravel(), lo2.ravel(), la2.ravel())
    return (np.asarray(metres, dtype=np.float64) / 1000.0).reshape(la1.shape)


def great_circle_km_bulk(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> FloatArray:
    """The haversine distance on the mean-radius sphere, in km (see `SPHERE_MARGIN`)."""
    la1, lo1, la2, lo2 = _as_arrays(lat1, lon1, lat2, lon2)
    phi1 = np.radians(la1)
    phi2 = np.radians(la2)
    half_dphi = (phi2 - phi1) * 0.5
    half_dlam = np.radians(lo2 - lo1) * 0.5
    h = np.sin(half_dphi) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(half_dlam) ** 2
    result: FloatArray = 2.0 * EARTH_MEAN_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return result


@runtime_checkable
class RoadDistance(Protocol):
    """Road kilometres between paired points.

    `min_circuity` must be a lower bound of road km ÷ geodesic km for every pair (1.0 for any real
    road network): the pre-filter relies on it to skip pairs without asking the provider.
    """

    @property
    def min_circuity(self) -> float: ...

    def road_km_bulk(
        self, lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
    ) -> FloatArray: ...


@dataclass(frozen=True)
class CircuityRoadDistance:
    """Road km = WGS-84 geodesic km × a circuity factor (mountain roads: about 1.3–1.6)."""

    circuity: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.circuity) and self.circuity > 0):
            raise ValueError(f"circuity {self.circuity} must be a positive number")

    @property
    def min_circuity(self) -> float:
        return self.circuity

    def road_km(self, lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        return geodesic_km(lat1, lon1, lat2, lon2) * self.circuity

    def road_km_bulk(
        self, lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
    ) -> FloatArray:
        return geodesic_km_bulk(lat1, lon1, lat2, lon2) * self.circuity


def pairs_within(
    lat1: ArrayLike,
    lon1: ArrayLike,
    limit1: ArrayLike,
    lat2: ArrayLike,
    lon2: ArrayLike,
    limit2: ArrayLike,
    min_circuity: float = 1.0,
) -> tuple[IntArray, IntArray]:
    """Pairs (i, j) whose road distance may be within min(limit1[i], limit2[j]) km.

    A pair is dropped only when even its shortest possible road, great circle × (1 −
    SPHERE_MARGIN) × min_circuity, exceeds the limit; survivors still need the exact test.
    Limits may be inf. Never builds the full matrix: the first set is cut into small blocks
    that are compact on a latitude × longitude grid, and each block is compared only with the
    points of the second set inside the latitude and longitude bands it can reach. Returns
    index arrays sorted by (i, j).
    """
    la1, lo1, lim1 = (np.asarray(v, dtype=np.float64).ravel() for v in (lat1, lon1, limit1))
    la2, lo2, lim2 = (np.asarray(v, dtype=np.float64).ravel() for v in (lat2, lon2, limit2))
    lim1 = np.broadcast_to(lim1, la1.shape)
    lim2 = np.broadcast_to(lim2, la2.shape)
    found_i: list[IntArray] = []
    found_j: list[IntArray] = []
    if la1.size and la2.size:
        reach_factor = (1.0 - SPHERE_MARGIN) * min_circuity
        max_lim2 = float(lim2.max())
        order2 = np.argsort(la2, kind="stable")
        sorted_lat2 = la2[order2]
        # Grid rows as tall as the farthest reach, so that a block of consecutive points in
        # (row, longitude) order is small in both directions.
        widest = _angle(min(float(lim1.max()), max_lim2) / reach_factor)
        row = np.floor(la1 / max(widest, 1e-6)) if widest < 90 else np.zeros_like(la1)
        order1 = np.lexsort((lo1, row))
        block = max(1, min(_BLOCK_ROWS, _BLOCK_PAIRS // la2.size))
        for rows in _blocks(order1, block):
            reach = _angle(min(float(lim1[rows].max()), max_lim2) / reach_factor)
            lat_lo, lat_hi = float(la1[rows].min()), float(la1[rows].max())
            # A great circle is at least R × |Δφ|: nothing reachable lies outside this band.
            lo = np.searchsorted(sorted_lat2, lat_lo - reach, side="left")
            hi = np.searchsorted(sorted_lat2, lat_hi + reach, side="right")
            if lo >= hi:
                continue
            cols = order2[lo:hi]
            # hav(d) ≥ cos φ1 cos φ2 hav(Δλ) ≥ cos² φmax hav(Δλ): nor beyond this longitude band.
            polar = max(abs(lat_lo - reach), abs(lat_hi + reach))
            if reach < 90 and polar < 89:
                ratio = math.sin(math.radians(reach) / 2) / math.cos(math.radians(polar))
                if ratio < 1:
                    span = math.degrees(2 * math.asin(ratio))
                    off = _lon_gap(lo2[cols], float(lo1[rows].min()), float(lo1[rows].max()))
                    cols = cols[off <= span]
                    if cols.size == 0:
                        continue
            gc = great_circle_km_bulk(
                la1[rows][:, None], lo1[rows][:, None], la2[cols][None, :], lo2[cols][None, :]
            )
            limit = np.minimum(lim1[rows][:, None], lim2[cols][None, :])
            r, c = np.nonzero(gc * reach_factor <= limit)
            found_i.append(rows[r].astype(np.int64))
            found_j.append(cols[c].astype(np.int64))
    if not found_i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    i = np.concatenate(found_i)
    j = np.concatenate(found_j)
    order = np.lexsort((j, i))
    return i[order], j[order]


def _angle(km: float) -> float:
    """The central angle, in degrees, of a great circle of `km` (360 for no limit)."""
    return math.degrees(km / EARTH_MEAN_RADIUS_KM) if km < 1e9 else 360.0


def _lon_gap(lon: FloatArray, west: float, east: float) -> FloatArray:
    """Degrees of longitude from each `lon` to the interval [west, east], across ±180 too."""
    to_west = np.abs((lon - west + 180.0) % 360.0 - 180.0)
    to_east = np.abs((lon - east + 180.0) % 360.0 - 180.0)
    inside = (lon >= west) & (lon <= east)
    gap: FloatArray = np.where(inside, 0.0, np.minimum(to_west, to_east))
    return gap


def _blocks(indices: IntArray, size: int) -> Iterator[IntArray]:
    for start in range(0, indices.size, size):
        yield indices[start : start + size]


# --------------------------------------------------------------------------- Andoyer-Lambert

WGS84_A_KM = 6378.137
WGS84_F = 1 / 298.257223563

ANDOYER_MAX_KM = 5000.0
"""`ANDOYER_REL_ERROR` and `ANDOYER_ABS_ERROR_KM` hold for distances up to this far."""
ANDOYER_REL_ERROR = 2e-6
"""Bound on |Andoyer-Lambert − Karney| ÷ distance (measured: at most 1.41e-6, about f²/8)."""
ANDOYER_ABS_ERROR_KM = 0.001
"""Absolute slack on top of the relative bound: rounding of the auxiliary-sphere angle for points
a few metres apart (0.2 m at worst when the angle comes from a dot product of unit vectors)."""


def andoyer_error_km(distance_km: ArrayLike) -> FloatArray:
    """How far `andoyer_lambert_km_bulk` may be from the WGS-84 geodesic at this distance (the
    bound is stated for distances up to `ANDOYER_MAX_KM`; beyond it nothing is claimed)."""
    bound: FloatArray = np.asarray(distance_km, dtype=np.float64) * ANDOYER_REL_ERROR + (
        ANDOYER_ABS_ERROR_KM
    )
    return bound


def reduced_latitude(lat: ArrayLike) -> FloatArray:
    """Latitude on the auxiliary sphere, radians: atan((1 − f) tan φ)."""
    beta: FloatArray = np.arctan((1.0 - WGS84_F) * np.tan(np.radians(np.asarray(lat, float))))
    return beta


_TINY = 1e-300


def andoyer_lambert_km(hav_sigma: FloatArray, sin_b1: FloatArray, sin_b2: FloatArray) -> FloatArray:
    """Andoyer-Lambert's first-order ellipsoidal correction of the auxiliary-sphere angle σ.

    `hav_sigma` is hav σ = sin²(σ/2) between the two points on the auxiliary sphere (reduced
    latitudes, geodetic longitudes); `sin_b1`, `sin_b2` the sines of their reduced latitudes.
    s = a (σ − f/2 (X + Y)), X = (σ − sin σ) sin²P cos²Q / cos²(σ/2), Y = (σ + sin σ) cos²P
    sin²Q / sin²(σ/2), P = (β1 + β2)/2, Q = (β2 − β1)/2; sin P cos Q = (sin β1 + sin β2)/2 and
    cos P sin Q = (sin β2 − sin β1)/2. X ≤ σ and Y ≤ 2σ, so s ≥ a σ (1 − 3f/2).
    """
    h = np.clip(hav_sigma, 0.0, 1.0)
    root = np.sqrt(h)
    sigma = np.arcsin(root)
    sigma *= 2.0
    sin_sigma = np.sqrt(h * (1.0 - h))
    sin_sigma *= 2.0
    # (sin β1 ± sin β2)² / 4; the divisions below never see 0 ÷ 0 unguarded: cos²(σ/2) = 0 only
    # for antipodes, and where sin²(σ/2) = 0 the numerator is 0 too (σ = 0).
    plus = sin_b1 + sin_b2
    plus *= plus
    minus = sin_b2 - sin_b1
    minus *= minus
    x = sigma - sin_sigma
    x *= plus
    x /= np.maximum(1.0 - h, _TINY)
    y = sigma + sin_sigma
    y *= minus
    y /= np.maximum(h, _TINY)
    x += y
    x *= -0.125 * WGS84_F  # f/2 × (X + Y), with the quarters of plus and minus
    x += sigma
    x *= WGS84_A_KM
    km: FloatArray = x
    return km


def andoyer_lambert_km_bulk(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> FloatArray:
    """The WGS-84 distance by Andoyer-Lambert, vectorised: within `andoyer_error_km` of Karney's
    geodesic up to `ANDOYER_MAX_KM`, about ten times faster than `geodesic_km_bulk`."""
    la1, lo1, la2, lo2 = _as_arrays(lat1, lon1, lat2, lon2)
    b1 = reduced_latitude(la1)
    b2 = reduced_latitude(la2)
    h = (
        np.sin((b2 - b1) * 0.5) ** 2
        + np.cos(b1) * np.cos(b2) * np.sin(np.radians(lo2 - lo1) * 0.5) ** 2
    )
    return andoyer_lambert_km(h, np.sin(b1), np.sin(b2))
