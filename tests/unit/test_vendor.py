"""The vendored front-end files are the ones package.json pins, unaltered, with their licences."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "web" / "static" / "vendor"


def _versions() -> list[tuple[str, str, str, str]]:
    """(package, version, file, sha256) per line of VERSIONS.txt."""
    rows = []
    for line in (VENDOR / "VERSIONS.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        spec, name, digest = line.split()
        package, version = spec.rsplit("@", 1)
        rows.append((package, version, name, digest))
    return rows


def _pins() -> dict[str, str]:
    pins: dict[str, str] = json.loads((ROOT / "package.json").read_text())["dependencies"]
    return pins


def test_package_json_pins_exact_versions_of_htmx_2_and_echarts() -> None:
    pins = _pins()
    assert set(pins) == {"htmx.org", "echarts", "node-source-han-sans-sc"}
    assert all(re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?", v) for v in pins.values()), pins
    assert pins["htmx.org"].startswith("2.")
    assert int(pins["echarts"].split(".")[0]) in (5, 6)


def test_the_lock_file_agrees_with_the_pins_and_names_no_registry() -> None:
    lock_text = (ROOT / "package-lock.json").read_text()
    lock = json.loads(lock_text)
    for package, version in _pins().items():
        assert lock["packages"][f"node_modules/{package}"]["version"] == version
    assert "resolved" not in lock_text
    assert "://" not in lock_text


@pytest.mark.parametrize(
    "name",
    [
        "htmx.min.js",
        "echarts.min.js",
        "LICENSE.htmx.txt",
        "LICENSE.echarts.txt",
        "NOTICE.echarts.txt",
        "WastematchSansSC-Regular.ttf",
        "LICENSE.source-han-sans.txt",
        "VERSIONS.txt",
    ],
)
def test_a_vendored_file_exists(name: str) -> None:
    assert (VENDOR / name).is_file()
    assert (VENDOR / name).stat().st_size > 0


def test_versions_txt_lists_the_pinned_versions() -> None:
    pins = _pins()
    listed = {package: version for package, version, _, _ in _versions()}
    for package, version in pins.items():
        assert listed[package] == version


def test_every_vendored_file_matches_its_sha256_and_none_is_unlisted() -> None:
    rows = _versions()
    for _, _, name, digest in rows:
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    on_disk = {p.name for p in VENDOR.iterdir()} - {"VERSIONS.txt"}
    assert on_disk == {name for _, _, name, _ in rows}


def test_the_scripts_are_the_versions_they_claim() -> None:
    pins = _pins()
    htmx = (VENDOR / "htmx.min.js").read_text(encoding="utf-8")
    echarts = (VENDOR / "echarts.min.js").read_text(encoding="utf-8")
    assert f'version:"{pins["htmx.org"]}"' in htmx
    assert f'version="{pins["echarts"]}"' in echarts


def test_echarts_is_the_full_build_with_the_map_series() -> None:
    echarts = (VENDOR / "echarts.min.js").read_text(encoding="utf-8")
    assert "registerMap" in echarts
    assert len(echarts) > 900_000  # the common and simple builds are about half that


def test_no_template_or_static_file_loads_a_script_or_stylesheet_from_elsewhere() -> None:
    remote = re.compile(
        r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I
    )
    found = []
    for folder in (ROOT / "web" / "templates", ROOT / "web" / "static"):
        for path in folder.rglob("*"):
            if VENDOR in path.parents or path.suffix not in {".html", ".js", ".css"}:
                continue
            for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if remote.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{line_no}: {line.strip()}")
    assert not found, found


def test_the_pdf_font_is_a_renamed_subset_that_draws_chinese_and_keeps_its_licence() -> None:
    from fontTools.ttLib import TTFont

    font = TTFont(VENDOR / "WastematchSansSC-Regular.ttf")
    cmap = font.getBestCmap()
    assert all(ord(ch) in cmap for ch in "一般工业固体废物转移联单磷石膏赤泥尾矿昆明云南A0")
    family = font["name"].getDebugName(1)
    assert family == "Wastematch Sans SC"  # the OFL's reserved name "Source" is not reused
    assert (VENDOR / "WastematchSansSC-Regular.ttf").stat().st_size < 3_000_000
    assert "glyf" in font  # TrueType outlines: fpdf2 subsets them quickly
    assert "SIL Open Font License" in (VENDOR / "LICENSE.source-han-sans.txt").read_text()
