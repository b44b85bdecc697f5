"""Protected-zone screening: is a site inside, or within a buffer of, an ecological red-line area?

A regulator uploads the zones as GeoJSON (WGS-84 lon/lat). The file is untrusted input, so it is
read strictly: every problem raises `ZoneFileError` naming the JSON path and the offending value.
A self-intersecting polygon is repaired with `make_valid` (and the repair is reported): boundaries
digitised by hand often have a bow-tie somewhere, and refusing the whole file would help no one.

Distances: the zones are projected once to a transverse Mercator centred on their own extent
(in Yunnan that is close to CGCS2000 Gauss-Krüger, CM 102°E), where the tree search and the
nearest point are found; the distance reported is then the WGS-84 geodesic between the site and
that nearest point, so it is right to the metre, not just to the projection's scale error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Geod, Transformer

MAX_VERTICES = 2_000_000
MAX_ZONES = 2_000
MAX_REPAIR_VERTICES = 500
"""An invalid polygon is repaired only up to this many vertices. Repair (noding) grows with the
square of the self-intersections: 500 random vertices took 0.8 s, 2,000 took 30 s, and one file
of 190,000 held a worker for 50 s. A larger one must be repaired in a GIS before it is uploaded."""
SIMPLIFY_M = 5.0
"""Zones are simplified to this tolerance (metres, projected) before the distance tests: a
protected-zone boundary digitised to the metre costs the tests time and changes no 5 km buffer."""

# Transverse Mercator only ever stretches (scale factor >= 1, about 1.007 at 7° from its central
# meridian in Yunnan), so projected distances are a little longer than true ones. The tree is
# searched this much wider, and the geodesic check then applies the exact buffer.
_SEARCH_SLACK = 1.02

_MIN_AREA_DEG2 = 1e-10  # about 1 m²: less is a sliver of rounding, not a zone

_LIMITS = np.array([180.0, 90.0])

# GeoJSON is lon/lat by definition; a legacy "crs" member may only confirm it. CGCS2000
# (EPSG:4490), the datum of Chinese official data, is within centimetres of WGS-84.
_ACCEPTED_CRS = {
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326",
    "urn:ogc:def:crs:EPSG::4490",
    "EPSG:4490",
}
_GEOD = Geod(ellps="WGS84")


class ZoneFileError(ValueError):
    """A protected-zone file is not acceptable; the message names the JSON path and value.

    The message is `template` (named placeholders) filled with `params`, so a caller can say the
    same in another language."""

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params = params
        super().__init__(template.format(**params) if params else template)


@dataclass(frozen=True)
class Zone:
    name: str
    geometry: shapely.Geometry
    """Polygon or MultiPolygon, WGS-84 lon/lat, valid."""


@dataclass(frozen=True)
class ZoneHit:
    zone: str
    inside: bool
    distance_km: float
    """0 when inside; otherwise the geodesic distance to the zone's nearest edge."""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Reader:
    """Walks a GeoJSON object, checking each level, and builds the zones."""

    def __init__(self, max_vertices: int) -> None:
        self.max_vertices = max_vertices
        self.vertices = 0
        self.repairs: list[str] = []

    def read(self, obj: Any) -> list[Zone]:
        named = self.unchecked(obj)
        shapes = np.array([shape for _, _, shape in named], dtype=object)
        # Validity in one vectorised pass: files of many small polygons are common.
        suspect = ~shapely.is_valid(shapes) | (shapely.area(shapes) < _MIN_AREA_DEG2)
        for i in np.flatnonzero(suspect).tolist():
            name, path, _ = named[i]
            shapes[i] = self.checked(shapes[i], path, name)
        return [Zone(name, shape) for (name, _, _), shape in zip(named, shapes, strict=True)]

    def unchecked(self, obj: Any) -> list[tuple[str, str, shapely.Geometry]]:
        """(name, JSON path, shape) of each zone, its structure and coordinates checked."""
        if not isinstance(obj, dict):
            raise ZoneFileError("$: expected a GeoJSON object, got {shown}", shown=_show(obj))
        crs = obj.get("crs")
        if crs is not None:
            props = crs.get("properties") if isinstance(crs, dict) else None
            name = props.get("name") if isinstance(props, dict) else None
            if name not in _ACCEPTED_CRS:
                raise ZoneFileError(
                    "$.crs: only WGS-84 lon/lat is accepted, got {shown}", shown=_show(crs)
                )
        kind = obj.get("type")
        if kind == "FeatureCollection":
            features = obj.get("features")
            if not isinstance(features, list):
                raise ZoneFileError(
                    "$.features: expected a list, got {shown}",
                    shown=_show(features),
                )
            zones = [self.feature(f, f"$.features[{i}]", i + 1) for i, f in enumerate(features)]
        elif kind == "Feature":
            zones = [self.feature(obj, "$", 1)]
        elif kind in ("Polygon", "MultiPolygon"):
            zones = [("zone 1", "$", self.geometry(obj, "$"))]
        else:
            raise ZoneFileError(
                "$.type: expected FeatureCollection, Feature, Polygon or MultiPolygon, got {shown}",
                shown=_show(kind),
            )
        if not zones:
            raise ZoneFileError("$.features: empty, the file holds no zones")
        if len(zones) > MAX_ZONES:
            raise ZoneFileError(
                "$.features: {n:,} zones, at most {most:,}",
                n=len(zones),
                most=MAX_ZONES,
            )
        return zones

    def feature(self, feature: Any, path: str, number: int) -> tuple[str, str, shapely.Geometry]:
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            kind = feature.get("type") if isinstance(feature, dict) else feature
            raise ZoneFileError(
                "{path}.type: expected 'Feature', got {shown}", path=path, shown=_show(kind)
            )
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise ZoneFileError(
                "{path}.properties: expected an object, got {shown}",
                path=path,
                shown=_show(properties),
            )
        name = next(
            (str(v).strip() for k, v in properties.items() if k.lower() == "name" and v), ""
        )
        name = name or f"zone {number}"
        geometry = feature.get("geometry")
        if geometry is None:
            raise ZoneFileError("{path}.geometry: missing or null", path=path)
        return name, f"{path}.geometry", self.geometry(geometry, f"{path}.geometry")

    def geometry(self, geometry: Any, path: str) -> shapely.Geometry:
        if not isinstance(geometry, dict):
            raise ZoneFileError(
                "{path}: expected a geometry object, got {shown}",
                path=path,
                shown=_show(geometry),
            )
        kind = geometry.get("type")
        coords = geometry.get("coordinates")
        if kind == "Polygon":
            parts, paths = [coords], [f"{path}.coordinates"]
        elif kind == "MultiPolygon":
            if not isinstance(coords, list):
                raise ZoneFileError(
                    "{path}.coordinates: expected a list, got {shown}",
                    path=path,
                    shown=_show(coords),
                )
            parts = coords
            paths = [f"{path}.coordinates[{k}]" for k in range(len(coords))]
        else:
            raise ZoneFileError(
                "{path}.type: expected 'Polygon' or 'MultiPolygon', got {shown}",
                path=path,
                shown=_show(kind),
            )
        if not parts:
            raise ZoneFileError("{path}.coordinates: empty", path=path)
        polygons = [self.polygon(rings, p) for rings, p in zip(parts, paths, strict=True)]
        return polygons[0] if kind == "Polygon" else shapely.multipolygons(polygons)

    def checked(self, shape: shapely.Geometry, path: str, name: str) -> shapely.Geometry:
        if shapely.is_valid(shape):
            if shape.area < _MIN_AREA_DEG2:
                raise ZoneFileError(
                    "{path}: polygon has no area: {shown}",
                    path=path,
                    shown=_show(shape.wkt),
                )
            return shape
        reason = shapely.is_valid_reason(shape)
        vertices = shapely.get_num_coordinates(shape)
        if vertices > MAX_REPAIR_VERTICES:
            raise ZoneFileError(
                "{path}: invalid polygon of {vertices:,} vertices "
                "({reason}); at most {MAX_REPAIR_VERTICES:,} are "
                "repaired here, repair it in a GIS first",
                path=path,
                vertices=vertices,
                reason=reason,
                MAX_REPAIR_VERTICES=MAX_REPAIR_VERTICES,
            )
        repaired = shapely.make_valid(shape, method="structure", keep_collapsed=False)
        kept = [
            g
            for g in shapely.get_parts(repaired)
            if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty
        ]
        fixed = shapely.union_all(kept) if kept else None
        if fixed is None or fixed.area < _MIN_AREA_DEG2:
            raise ZoneFileError(
                "{path}: invalid polygon that cannot be repaired: {reason}",
                path=path,
                reason=reason,
            )
        self.repairs.append(f"{name} ({path}): {reason}; repaired")
        return fixed

    def polygon(self, rings: Any, path: str) -> shapely.Geometry:
        if not isinstance(rings, list) or not rings:
            raise ZoneFileError(
                "{path}: expected a non-empty list of rings, got {shown}",
                path=path,
                shown=_show(rings),
            )
        arrays = [self.ring(ring, f"{path}[{r}]") for r, ring in enumerate(rings)]
        holes = [shapely.linearrings(a) for a in arrays[1:]]
        return shapely.polygons(arrays[0], holes=holes or None)

    def ring(self, ring: Any, path: str) -> NDArray[np.float64]:
        if not isinstance(ring, list):
            raise ZoneFileError(
                "{path}: expected a list of positions, got {shown}",
                path=path,
                shown=_show(ring),
            )
        self.vertices += len(ring)
        if self.vertices > self.max_vertices:
            raise ZoneFileError(
                "{path}: more than {max_vertices:,} vertices in the file",
                path=path,
                max_vertices=self.max_vertices,
            )
        if len(ring) < 4:
            raise ZoneFileError(
                "{path}: a ring needs at least 4 positions, got {n_ring}",
                path=path,
                n_ring=len(ring),
            )
        try:
            raw = np.array(ring)
        except (ValueError, TypeError, RecursionError):
            raw = None
        if (
            raw is None
            or raw.ndim != 2
            or raw.shape[1] not in (2, 3)
            or raw.dtype.kind not in "iuf"
        ):
            bad = next((i for i, p in enumerate(ring) if not _is_position(p)), None)
            if bad is not None:
                raise ZoneFileError(
                    "{path}[{bad}]: expected a position [lon, lat], got {shown}",
                    path=path,
                    bad=bad,
                    shown=_show(ring[bad]),
                )
            raw = np.array([p[:2] for p in ring])  # some with altitude, some without
        try:
            xy = raw[:, :2].astype(np.float64)
        except OverflowError:  # an integer of hundreds of digits: JSON allows it
            raise ZoneFileError(
                "{path}: a coordinate is too large to be a degree", path=path
            ) from None
        if not (np.abs(xy) <= _LIMITS).all():
            i, axis = (int(v[0]) for v in np.nonzero(~(np.abs(xy) <= _LIMITS)))
            label, limit = ("longitude", "latitude")[axis], _LIMITS[axis]
            raise ZoneFileError(
                "{path}[{i}]: {axis} {value!r} is outside [-{limit:g}, {limit:g}]",
                path=path,
                i=i,
                axis=label,
                value=float(xy[i, axis]),
                limit=limit,
            )
        if xy[0, 0] != xy[-1, 0] or xy[0, 1] != xy[-1, 1]:
            raise ZoneFileError(
                "{path}: ring is not closed: first {first} != last {last}",
                path=path,
                first=xy[0].tolist(),
                last=xy[-1].tolist(),
            )
        return xy


def _is_position(p: Any) -> bool:
    return (
        isinstance(p, list)
        and len(p) in (2, 3)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in p)
    )


class ProtectedZones:
    """A set of zones with an STRtree over their projected shapes; immutable, safe to share."""

    def __init__(self, zones: Sequence[Zone], repairs: Sequence[str] = ()) -> None:
        self.zones = tuple(zones)
        self.repairs = tuple(repairs)
        """One line per polygon that `make_valid` had to repair, to show the uploader."""
        shapes = np.array([z.geometry for z in self.zones], dtype=object)
        if self.zones:
            west, _, east, _ = shapely.total_bounds(shapes)
            central_meridian = (west + east) / 2.0
        else:
            central_meridian = 102.0
        plane = CRS.from_proj4(
            f"+proj=tmerc +lat_0=0 +lon_0={central_meridian:.6f} +k=1 +x_0=0 +y_0=0 "
            "+datum=WGS84 +units=m +no_defs"
        )
        self._to_plane = Transformer.from_crs("EPSG:4326", plane, always_xy=True)
        self._from_plane = Transformer.from_crs(plane, "EPSG:4326", always_xy=True)
        self._planar = shapely.simplify(
            shapely.transform(shapes, self._project), SIMPLIFY_M, preserve_topology=True
        )
        self._tree = shapely.STRtree(self._planar)

    @classmethod
    def from_geojson(
        cls, obj: dict[str, Any] | str | bytes, *, max_vertices: int = MAX_VERTICES
    ) -> ProtectedZones:
        if isinstance(obj, bytes):
            # GeoJSON is UTF-8 (RFC 7946); a byte-order mark, as Windows tools write, is allowed
            try:
                obj = obj.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise ZoneFileError(
                    "$: not UTF-8 text ({exc_reason} at byte {exc_start})",
                    exc_reason=exc.reason,
                    exc_start=exc.start,
                ) from None
        if isinstance(obj, str):
            try:
                obj = json.loads(obj)
            except RecursionError:
                raise ZoneFileError("$: nested too deeply to be GeoJSON") from None
            except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
                raise ZoneFileError("$: not JSON: {exc}", exc=exc) from None
        reader = _Reader(max_vertices)
        zones = reader.read(obj)
        return cls(zones, reader.repairs)

    def __len__(self) -> int:
        return len(self.zones)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(z.name for z in self.zones)

    def _project(self, coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = self._to_plane.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def screen(self, lat: float, lon: float, buffer_km: float) -> list[ZoneHit]:
        """Zones the point is inside or within `buffer_km` of, nearest first."""
        (hits,) = self.screen_many([lat], [lon], buffer_km)
        return hits

    def screen_many(
        self, lats: ArrayLike, lons: ArrayLike, buffer_km: float
    ) -> list[list[ZoneHit]]:
        lat = np.atleast_1d(np.asarray(lats, dtype=np.float64))
        lon = np.atleast_1d(np.asarray(lons, dtype=np.float64))
        if lat.shape != lon.shape or lat.ndim != 1:
            raise ValueError(f"lats and lons differ in shape: {lat.shape} vs {lon.shape}")
        if not (math.isfinite(buffer_km) and buffer_km >= 0):
            raise ValueError(f"buffer_km must be a finite distance >= 0, got {buffer_km!r}")
        bad = np.flatnonzero(~((np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0)))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"point {i}: ({float(lat[i])!r}, {float(lon[i])!r}) is not a WGS-84 lat, lon"
            )
        results: list[list[ZoneHit]] = [[] for _ in range(lat.size)]
        if lat.size == 0 or not self.zones:
            return results

        buffer_m = buffer_km * 1000.0
        x, y = self._to_plane.transform(lon, lat)
        points = shapely.points(x, y)
        point_idx, zone_idx = self._tree.query(
            points, predicate="dwithin", distance=buffer_m * _SEARCH_SLACK + 1.0
        )
        inside = shapely.intersects(self._planar[zone_idx], points[point_idx])
        distance_m = np.zeros(point_idx.size)
        outside = ~inside
        if outside.any():
            lines = shapely.shortest_line(
                points[point_idx[outside]], self._planar[zone_idx[outside]]
            )
            on_zone = shapely.get_coordinates(shapely.get_point(lines, 1))
            zone_lon, zone_lat = self._from_plane.transform(on_zone[:, 0], on_zone[:, 1])
            _, _, distance_m[outside] = _GEOD.inv(
                lon[point_idx[outside]], lat[point_idx[outside]], zone_lon, zone_lat
            )
        for p, z, is_in, d in zip(
            point_idx.tolist(), zone_idx.tolist(), inside.tolist(), distance_m.tolist(), strict=True
        ):
            if is_in or d <= buffer_m:
                results[p].append(ZoneHit(self.zones[z].name, is_in, 0.0 if is_in else d / 1000.0))
        for hits in results:
            hits.sort(key=lambda h: (h.distance_km, h.zone))
        return results
