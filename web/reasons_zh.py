"""The matching engine's reasons in Chinese, for the pages.

The engine explains in English (matching/explain.py: why tonnes stayed unmatched; matching/rank.py:
why a plant cannot take a lot), and docs/matching-format.md fixes them as strings, so the engine,
the stored match runs and the JSON API keep the English. A page in Chinese shows each reason
translated here, pattern by pattern as web/messages_zh.py does for refusals: parameter and material
codes by their catalogue names, numbers and facility or lot ids (O14, L3) exactly as the engine
wrote them, units in Chinese:

    f_ws_pct 0.62 is above the maximum 0.5 of the nearest plant that limits it, O14 (3.4 km by road)
    → 水溶性氟 0.62 高于上限 0.5（设此限值的最近工厂：O14，公路 3.4 公里）

A reason no pattern knows is shown in English, whole: half a translation would mislead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from market.catalogue import catalogue
from web.messages_zh import Rule

_NUM = r"[-+]?(?:\d+(?:\.\d+)?(?:e[-+]?\d+)?|inf|nan)"  # as the engine prints it (`:g`, `:.2f`)
_ROAD = rf"{_NUM} km by road|no road known"  # explain.py `_km`
_SIDE = "below the minimum|above the maximum"
SIDES = {"below the minimum": "低于下限", "above the maximum": "高于上限"}


def _whole(pattern: str, template: str) -> Rule:
    return Rule(re.compile(pattern, re.S), template)


# First match wins: the specific before the general.
RULES: tuple[Rule, ...] = (
    # --- why tonnes stayed unmatched (matching/explain.py)
    _whole(r"no eligible facility within haul limit", "运距上限内没有符合条件的工厂"),
    _whole(r"no plant accepts (?P<material>\S+)", "没有工厂收纳{material}"),
    _whole(r"the solver found no solution", "求解器未找到解"),
    _whole(
        r"the search stopped at its time limit before placing these tonnes",
        "求解到达时间上限，未能安排这些吨数",
    ),
    _whole(r"the search stopped before placing these tonnes", "求解在安排这些吨数之前已停止"),
    _whole(
        rf"the (?P<left>{_NUM}) t left and the spare capacity \(at most (?P<largest>{_NUM}) t at "
        rf"a plant\) are below the minimum shipment of (?P<least>{_NUM}) t",
        "剩余的 {left} 吨与空余产能（单个工厂最多 {largest} 吨）不足最小发运量 {least} 吨",
    ),
    _whole(
        r"capacity at eligible plants is taken by lots of higher priority or lower total haul "
        rf"cost \(this lot: priority (?P<priority>\d+), (?P<cost>{_NUM}) CNY/t to the nearest\)"
        r" — (?P<plants>.+)",
        "符合条件的工厂产能已被优先级更高或总运费更低的批次占用"
        "（本批次：优先级 {priority}，运至最近工厂 {cost} 元/吨）— {plants}",
    ),
    _whole(
        rf"(?P<parameter>\S+) (?P<value>{_NUM}) is (?P<side>{_SIDE}) (?P<limit>{_NUM}) of the "
        rf"nearest plant that limits it, (?P<facility>.+) \((?P<road>{_ROAD})\)",
        "{parameter} {value} {side} {limit}（设此限值的最近工厂：{facility}，{road}）",
    ),
    _whole(
        r"no assay for (?P<parameters>.+?), which (?P<count>\d+) plant\(s\) require "
        rf"\(nearest: (?P<facility>.+), (?P<road>{_ROAD}), needs (?P<needs>.+)\)",
        "缺少{parameters}的化验值，有 {count} 家工厂要求（最近：{facility}，{road}，需要{needs}）",
    ),
    # --- why one plant cannot take one lot (matching/rank.py)
    _whole(r"takes (?P<material>\S+), not (?P<material2>\S+)", "收纳{material}，不收{material2}"),
    _whole(r"no assay for (?P<parameters>.+)", "缺少{parameters}的化验值"),
    _whole(
        rf"(?P<parameter>\S+) (?P<value>{_NUM}) is (?P<side>{_SIDE}) (?P<limit>{_NUM})",
        "{parameter} {value} {side} {limit}",
    ),
    _whole(
        rf"(?P<road>{_NUM} km by road) is beyond the haul limit of (?P<limit>{_NUM}) km",
        "{road}，超出运距上限 {limit} 公里",
    ),
)

# One plant of a capacity reason (`O29: no capacity`), and who took it (`L3 (priority 3)`).
PLANT = _whole(r"(?P<facility>.+?): (?P<takers>.+)", "{facility}：{takers}")
TAKERS: tuple[Rule, ...] = (
    _whole(r"no capacity", "无剩余产能"),
    _whole(r"(?P<lot>.+) \(priority (?P<priority>\d+)\)", "{lot}（优先级 {priority}）"),
    _whole(rf"(?P<lot>.+) \((?P<cost>{_NUM}) CNY/t\)", "{lot}（{cost} 元/吨）"),
    _whole(r"(?P<n>\d+) more", "另 {n} 个批次"),
)


class Unknown(ValueError):
    """A part of a reason no pattern knows: the whole reason stays in English."""


def localise_reason(text: str, lang: str) -> str:
    """An engine reason for a page in `lang`: in Chinese when a pattern knows it, else as it was."""
    if lang != "zh":
        return text
    try:
        return _spaced(_render(text, []))
    except Exception:  # noqa: BLE001 - a reason must always be shown, in English at worst
        return text


def rules_used(text: str) -> list[Rule]:
    """Every rule that renders `text` (the reason's, then its plants' and their takers'); raises
    `Unknown` when some part matches none."""
    used: list[Rule] = []
    _render(text, used)
    return used


def find(text: str, rules: tuple[Rule, ...] = RULES) -> tuple[Rule, re.Match[str]] | None:
    """The first rule whose pattern matches the whole text, and the match."""
    for rule in rules:
        found = rule.pattern.fullmatch(text)
        if found:
            return rule, found
    return None


def _render(text: str, used: list[Rule], rules: tuple[Rule, ...] = RULES) -> str:
    hit = find(text, rules)
    if hit is None:
        raise Unknown(text)
    rule, found = hit
    used.append(rule)
    words = {}
    for name, value in found.groupdict().items():
        if name == "plants":
            words[name] = "；".join(_plant(part, used) for part in value.split("; "))
        else:
            words[name] = _GROUPS.get(name.rstrip("0123456789"), _same)(value)
    return rule.template.format_map(words)


def _plant(text: str, used: list[Rule]) -> str:
    found = PLANT.pattern.fullmatch(text)
    if found is None:
        raise Unknown(text)
    used.append(PLANT)
    takers = "、".join(_render(t, used, TAKERS) for t in found["takers"].split(", "))
    return PLANT.template.format(facility=found["facility"], takers=takers)


# ----------------------------------------------------------------------------- the words

_HAN = "\u4e00-\u9fff"
_LATIN = "A-Za-z0-9\u0370-\u03ff"  # and Greek: 外照射指数 Iγ
_GAP = re.compile(f"(?<=[{_LATIN}])(?=[{_HAN}])|(?<=[{_HAN}])(?=[{_LATIN}])")


def _spaced(text: str) -> str:
    """A space where a name in Latin letters meets Chinese (`内照射指数 IRa 的化验值`), as the
    catalogue's own names and the rest of the UI write it."""
    return _GAP.sub(" ", text)


def _parameter(code: str) -> str:
    parameter = catalogue().parameters.get(code)
    return parameter.name_zh if parameter else code


def _parameters(codes: str) -> str:
    return "、".join(_parameter(code) for code in codes.split(", "))


def _material(code: str) -> str:
    material = catalogue().materials.get(code)
    return material.name_zh if material else code


def _road(text: str) -> str:
    """`3.4 km by road` → `公路 3.4 公里`; no road known (or an infinite one) → `无已知道路`."""
    km = text.removesuffix(" km by road")
    if text == "no road known" or km in ("inf", "nan"):
        return "无已知道路"
    return f"公路 {km} 公里"


def _same(text: str) -> str:
    return text


_GROUPS: dict[str, Callable[[str], str]] = {
    "parameter": _parameter,
    "parameters": _parameters,
    "needs": _parameters,
    "material": _material,
    "side": lambda text: SIDES[text],
    "road": _road,
}
