from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geo.regions import Location, RegionIndex, load_regions
from geo.transform import gcj02_to_wgs84, wgs84_to_gcj02
from seed_data import REGIONS_DIR

# WGS-84 coordinates of town centres (county seats), each more than 6 km inside its county
# in the unsimplified source boundaries, so simplification cannot move them across a border.
TOWNS = {
    "安宁": (24.9197, 102.4784, "昆明市", "安宁市"),
    "个旧": (23.3594, 103.1597, "红河哈尼族彝族自治州", "个旧市"),
    "兰坪": (26.4536, 99.4164, "怒江傈僳族自治州", "兰坪白族普米族自治县"),
    "文山": (23.3695, 104.2326, "文山壮族苗族自治州", "文山市"),
    "东川": (26.0830, 103.1880, "昆明市", "东川区"),
    "大理": (25.6065, 100.2676, "大理白族自治州", "大理市"),
    "景洪": (22.0017, 100.7975, "西双版纳傣族自治州", "景洪市"),
    "昭通": (27.3380, 103.7172, "昭通市", "昭阳区"),
    "香格里拉": (27.8256, 99.7068, "迪庆藏族自治州", "香格里拉市"),
    "牟定": (25.3130, 101.5430, "楚雄彝族自治州", "牟定县"),
}

OUTSIDE = {
    "Chengdu": (30.6595, 104.0657),
    "Guiyang": (26.6470, 106.6302),
    "Hanoi": (21.0285, 105.8542),
    "Beijing": (39.9042, 116.4074),
    "null island": (0.0, 0.0),
}


def _collection(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REGIONS_DIR / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def regions() -> RegionIndex:
    return load_regions()


@pytest.mark.parametrize("town", TOWNS)
def test_a_known_town_lies_in_its_prefecture_and_county(regions: RegionIndex, town: str) -> None:
    lat, lon, prefecture, county = TOWNS[town]
    location = regions.locate(lat, lon)
    assert location is not None
    assert (location.prefecture, location.county) == (prefecture, county)
    assert regions.region(location.county_code).name == county
    assert regions.region(location.prefecture_code).name == prefecture


@pytest.mark.parametrize("place", OUTSIDE)
def test_a_point_outside_yunnan_has_no_location(regions: RegionIndex, place: str) -> None:
    assert regions.locate(*OUTSIDE[place]) is None


def test_locate_many_agrees_with_locate_one_by_one(regions: RegionIndex) -> None:
    points = [(lat, lon) for lat, lon, *_ in TOWNS.values()] + list(OUTSIDE.values())
    points.append((float("nan"), 102.0))
    lats, lons = zip(*points, strict=True)
    many = regions.locate_many(lats, lons)
    assert many == [regions.locate(lat, lon) for lat, lon in points]
    assert many[-1] is None
    codes = regions.county_codes(lats, lons)
    assert list(codes) == [0 if m is None else m.county_code for m in many]


def test_locate_many_of_nothing_is_empty(regions: RegionIndex) -> None:
    assert regions.locate_many([], []) == []


def test_locate_many_refuses_mismatched_inputs(regions: RegionIndex) -> None:
    with pytest.raises(ValueError, match=r"differ in shape: \(2,\) vs \(1,\)"):
        regions.locate_many([25.0, 25.1], [102.0])


def test_a_point_in_the_province_outline_but_no_county_goes_to_the_nearest_county(
    regions: RegionIndex,
) -> None:
    # The province outline is simplified on its own, so it reaches past the counties here and
    # there; find such a sliver in the committed files rather than hard-coding one.
    (province,) = _collection("yunnan_province.geojson")["features"]
    counties = _collection("yunnan_counties.geojson")["features"]
    county_shapes = [shape(f["geometry"]) for f in counties]
    slivers = shape(province["geometry"]).difference(shapely.union_all(county_shapes))
    largest = max(getattr(slivers, "geoms", [slivers]), key=lambda g: g.area)
    point = largest.representative_point()
    nearest = min(range(len(counties)), key=lambda i: county_shapes[i].distance(point))

    location = regions.locate(point.y, point.x)

    assert location is not None
    assert location.county_code == counties[nearest]["properties"]["adcode"]


def test_a_point_on_a_shared_county_edge_gets_one_county_every_time(
    regions: RegionIndex,
) -> None:
    counties = _collection("yunnan_counties.geojson")["features"]
    a, b = shape(counties[0]["geometry"]), shape(counties[1]["geometry"])
    edge = a.intersection(b)
    assert not edge.is_empty, "the first two counties (五华区, 盘龙区) share an edge"
    shared = shapely.get_coordinates(edge)
    lon, lat = shared[len(shared) // 2]
    first = regions.locate(lat, lon)
    assert first is not None
    assert first.county_code in {
        counties[0]["properties"]["adcode"],
        counties[1]["properties"]["adcode"],
    }
    assert all(regions.locate(lat, lon) == first for _ in range(3))


def test_the_committed_files_hold_1_province_16_prefectures_and_129_counties() -> None:
    province = _collection("yunnan_province.geojson")["features"]
    prefectures = _collection("yunnan_prefectures.geojson")["features"]
    counties = _collection("yunnan_counties.geojson")["features"]
    assert (len(province), len(prefectures), len(counties)) == (1, 16, 129)
    codes = [f["properties"]["adcode"] for f in province + prefectures + counties]
    assert len(set(codes)) == len(codes)
    assert all(isinstance(c, int) for c in codes)
    assert province[0]["properties"]["adcode"] == 530000


def test_every_prefecture_has_an_english_name(regions: RegionIndex) -> None:
    names = {p.name: p.name_en for p in regions.prefectures()}
    assert names["昆明市"] == "Kunming"
    assert names["红河哈尼族彝族自治州"] == "Honghe"
    assert all(names.values())


def test_every_county_centre_lies_in_its_own_county_and_prefecture() -> None:
    prefectures = {
        f["properties"]["adcode"]: shape(f["geometry"])
        for f in _collection("yunnan_prefectures.geojson")["features"]
    }
    for f in _collection("yunnan_counties.geojson")["features"]:
        props = f["properties"]
        centre = shapely.Point(props["center"])
        assert shape(f["geometry"]).contains(centre), props["name"]
        assert prefectures[props["prefecture_adcode"]].contains(centre), props["name"]


def test_every_county_centre_locates_to_its_own_county(regions: RegionIndex) -> None:
    counties = regions.counties()
    found = regions.locate_many([c.center_lat for c in counties], [c.center_lon for c in counties])
    assert found == [
        Location(c.prefecture or "", c.prefecture_adcode or 0, c.name, c.adcode) for c in counties
    ]


def test_counties_can_be_listed_by_prefecture(regions: RegionIndex) -> None:
    kunming = regions.counties(530100)
    assert {c.name for c in kunming} >= {"安宁市", "东川区", "五华区"}
    assert sum(len(regions.counties(p.adcode)) for p in regions.prefectures()) == 129


def test_an_unknown_adcode_is_a_key_error_naming_it(regions: RegionIndex) -> None:
    with pytest.raises(KeyError, match="510100"):
        regions.region(510100)


def test_the_prefecture_geojson_is_a_fresh_feature_collection_with_names(
    regions: RegionIndex,
) -> None:
    collection = regions.prefecture_geojson()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 16
    assert all(f["properties"]["name"] for f in collection["features"])
    collection["features"].clear()
    assert len(regions.prefecture_geojson()["features"]) == 16


def test_the_region_files_stay_small() -> None:
    sizes = [p.stat().st_size for p in Path(REGIONS_DIR).glob("yunnan_*.geojson")]
    assert len(sizes) == 3
    assert sum(sizes) < 2_000_000


def test_load_regions_is_cached() -> None:
    assert load_regions() is load_regions()


def test_gcj02_round_trips_to_wgs84_within_a_millimetre() -> None:
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(97.5, 106.2, 1000), rng.uniform(21.1, 29.3, 1000)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.max(np.abs(back_lon - lon)) < 1e-8
    assert np.max(np.abs(back_lat - lat)) < 1e-8


def test_the_gcj02_offset_in_yunnan_is_a_few_hundred_metres() -> None:
    lon, lat = wgs84_to_gcj02(102.7123, 25.0406)  # Kunming
    metres = np.hypot(
        (lon - 102.7123) * 111_320 * np.cos(np.radians(25.04)), (lat - 25.0406) * 110_570
    )
    assert 100 < metres < 700


def test_gcj02_leaves_points_outside_china_alone() -> None:
    lon, lat = wgs84_to_gcj02([2.35, 151.2], [48.86, -33.87])
    assert list(lon) == [2.35, 151.2]
    assert list(lat) == [48.86, -33.87]
