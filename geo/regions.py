"""Yunnan's prefectures and counties, and which of them a point lies in.

The boundaries are the files `scripts/extract_regions.py` writes to `seed_data/regions/`
(WGS-84, simplified to well under a kilometre). Counties are simplified as one coverage, so they
share edges exactly; the province outline is simplified on its own and so can reach a little past
the outer counties. A point in that margin is inside Yunnan but in no county polygon: it is given
to the nearest county rather than dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from seed_data import REGIONS_DIR, SeedDataError

PROVINCE_FILE = "yunnan_province.geojson"
PREFECTURES_FILE = "yunnan_prefectures.geojson"
COUNTIES_FILE = "yunnan_counties.geojson"

# How far (in degrees, about 5 km at Yunnan's latitudes) a point inside the province outline may
# be from the nearest county polygon and still be given to it.
_MARGIN_DEG = 0.05


@dataclass(frozen=True)
class Region:
    adcode: int
    name: str
    name_en: str | None
    center_lat: float
    center_lon: float
    """A label point inside the region (the source has no government-seat coordinates)."""
    prefecture_adcode: int | None = None
    prefecture: str | None = None
    """Set for counties only."""


@dataclass(frozen=True)
class Location:
    prefecture: str
    prefecture_code: int
    county: str
    county_code: int


def _region(feature: dict[str, Any], where: str) -> Region:
    props = feature["properties"]
    try:
        lon, lat = props["center"]
        return Region(
            adcode=int(props["adcode"]),
            name=str(props["name"]),
            name_en=props.get("name_en"),
            center_lat=float(lat),
            center_lon=float(lon),
            prefecture_adcode=(
                int(props["prefecture_adcode"]) if "prefecture_adcode" in props else None
            ),
            prefecture=props.get("prefecture"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SeedDataError(f"{where}: properties {props!r}: {exc!r}") from exc


def _polygons(geometry: dict[str, Any], where: str) -> shapely.Geometry:
    """GeoJSON (Multi)Polygon to shapely from coordinate arrays: twice as fast as `shape`."""
    kind = geometry.get("type")
    if kind == "Polygon":
        parts = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        parts = geometry["coordinates"]
    else:
        raise SeedDataError(f"{where}: geometry type {kind!r}, expected (Multi)Polygon")
    polygons = [
        shapely.polygons(
            np.asarray(rings[0], dtype=np.float64),
            holes=[shapely.linearrings(np.asarray(r, dtype=np.float64)) for r in rings[1:]] or None,
        )
        for rings in parts
    ]
    return shapely.multipolygons(polygons)


def _features(collection: dict[str, Any], where: str) -> list[dict[str, Any]]:
    if collection.get("type") != "FeatureCollection":
        raise SeedDataError(f"{where}: not a FeatureCollection")
    features: list[dict[str, Any]] = collection["features"]
    return features


class RegionIndex:
    """Lookup of Yunnan's regions; immutable after construction, so safe to share."""

    def __init__(
        self,
        province: dict[str, Any],
        prefectures: dict[str, Any],
        counties: dict[str, Any],
    ) -> None:
        (province_feature,) = _features(province, PROVINCE_FILE)
        self._province = _region(province_feature, PROVINCE_FILE)
        self._province_shape = _polygons(province_feature["geometry"], PROVINCE_FILE)

        self._prefectures = tuple(
            _region(f, PREFECTURES_FILE) for f in _features(prefectures, PREFECTURES_FILE)
        )
        self._prefecture_collection = prefectures
        county_features = _features(counties, COUNTIES_FILE)
        self._counties = tuple(_region(f, COUNTIES_FILE) for f in county_features)

        self._by_code = {r.adcode: r for r in (self._province, *self._prefectures, *self._counties)}
        if len(self._by_code) != 1 + len(self._prefectures) + len(self._counties):
            raise SeedDataError(f"{REGIONS_DIR}: adcodes are not unique")
        for county in self._counties:
            parent = self._by_code.get(county.prefecture_adcode or 0)
            if parent is None or parent.name != county.prefecture:
                raise SeedDataError(
                    f"{COUNTIES_FILE}: county {county.adcode} names prefecture "
                    f"{county.prefecture_adcode} {county.prefecture!r}, which is not in "
                    f"{PREFECTURES_FILE}"
                )

        # The tree is built now, not on its first query, so concurrent first queries are safe.
        # Geometries are deliberately not shapely.prepare()d: GEOS prepared geometries are not
        # thread-safe, and an unprepared point query already takes a few microseconds.
        self._county_shapes = np.array(
            [_polygons(f["geometry"], COUNTIES_FILE) for f in county_features], dtype=object
        )
        self._tree = shapely.STRtree(self._county_shapes)
        self._locations = tuple(
            Location(
                prefecture=c.prefecture or "",
                prefecture_code=c.prefecture_adcode or 0,
                county=c.name,
                county_code=c.adcode,
            )
            for c in self._counties
        )

    @classmethod
    def from_dir(cls, directory: Path) -> RegionIndex:
        def read(name: str) -> dict[str, Any]:
            with (directory / name).open(encoding="utf-8") as f:
                data: dict[str, Any] = json.load(f)
            return data

        return cls(read(PROVINCE_FILE), read(PREFECTURES_FILE), read(COUNTIES_FILE))

    # ------------------------------------------------------------------ regions

    def province(self) -> Region:
        return self._province

    def prefectures(self) -> tuple[Region, ...]:
        return self._prefectures

    def counties(self, prefecture_adcode: int | None = None) -> tuple[Region, ...]:
        if prefecture_adcode is None:
            return self._counties
        return tuple(c for c in self._counties if c.prefecture_adcode == prefecture_adcode)

    def region(self, adcode: int) -> Region:
        try:
            return self._by_code[adcode]
        except KeyError:
            raise KeyError(f"no Yunnan region with adcode {adcode}") from None

    def prefecture_geojson(self) -> dict[str, Any]:
        """A fresh copy of the prefecture FeatureCollection, ready for `echarts.registerMap`."""
        data: dict[str, Any] = json.loads(self._prefecture_text)
        return data

    @cached_property
    def _prefecture_text(self) -> str:
        return json.dumps(self._prefecture_collection, ensure_ascii=False)

    # ------------------------------------------------------------------ lookup

    def locate(self, lat: float, lon: float) -> Location | None:
        """The prefecture and county containing a WGS-84 point; None outside Yunnan."""
        (location,) = self.locate_many([lat], [lon])
        return location

    def locate_many(self, lats: ArrayLike, lons: ArrayLike) -> list[Location | None]:
        return [None if i < 0 else self._locations[i] for i in self.county_indices(lats, lons)]

    def county_codes(self, lats: ArrayLike, lons: ArrayLike) -> NDArray[np.int64]:
        """Vectorised lookup: each point's county adcode, or 0 outside Yunnan."""
        codes = np.array([c.adcode for c in self._counties] + [0], dtype=np.int64)
        return codes[self.county_indices(lats, lons)]

    def county_indices(self, lats: ArrayLike, lons: ArrayLike) -> NDArray[np.intp]:
        """Each point's index into `counties()`, or -1 outside Yunnan."""
        lat = np.atleast_1d(np.asarray(lats, dtype=np.float64))
        lon = np.atleast_1d(np.asarray(lons, dtype=np.float64))
        if lat.shape != lon.shape or lat.ndim != 1:
            raise ValueError(f"lats and lons differ in shape: {lat.shape} vs {lon.shape}")
        result = np.full(lat.shape, -1, dtype=np.intp)
        if lat.size == 0:
            return result
        points = shapely.points(lon, lat)

        # A point on a shared edge intersects both counties; the lower index wins, every time.
        point_idx, county_idx = self._tree.query(points, predicate="intersects")
        found = np.full(lat.shape, len(self._counties), dtype=np.intp)
        np.minimum.at(found, point_idx, county_idx)
        hit = found < len(self._counties)
        result[hit] = found[hit]

        x0, y0, x1, y1 = self._province_shape.bounds
        missing = np.flatnonzero(~hit & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        if missing.size:
            inside = shapely.intersects_xy(self._province_shape, lon[missing], lat[missing])
            margin = missing[inside]
            if margin.size:
                near_point, near_county = self._tree.query_nearest(
                    points[margin], max_distance=_MARGIN_DEG, all_matches=False
                )
                result[margin[near_point]] = near_county
        return result


@cache
def load_regions() -> RegionIndex:
    return RegionIndex.from_dir(REGIONS_DIR)
