"""The demo history's deliveries: a contract's month of tonnes, as the seed writes it.

The last `TRUCK_DAYS` days of the history go truck by truck (30–40 t a load, each with its own
manifest, plate, driver, dispatch in the working day and weighbridge receipt a few hours later);
the rest of each month is one delivery marked as a monthly consolidation (`-M`, 月度汇总). Two years
truck by truck would be ~310 000 deliveries, far too many to seed on every start.

`month_loads` is pure and draws from its own generator (seeded from the manifest number), so the
seed's shared generator, and with it every other figure of the demo, is what it was before; the
month's dispatched and received tonnes add up to exactly the consolidated figures of old.
"""

from __future__ import annotations

import calendar
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from market.auth import Actor
from market.clock import CHINA
from market.db import UnitOfWork
from market.papers.service import dispatch_with_driver
from market.services import deliveries
from market.services.common import get
from market.settings import Settings
from market.tables import Site

TRUCK_DAYS = 1
"""How many days before the history's end go truck by truck."""
LOAD_T = (30.0, 40.0)
WORKING_DAY = (time(6, 0), time(20, 0))
"""Dispatches leave the yard in this window, China Standard Time."""
HAUL_HOURS = (1.5, 3.5)
"""From dispatch to the plant's weighbridge; the receipt stays on the dispatch's day."""
CONSOLIDATED_NOTE = "月度汇总 monthly consolidated: the month's loads in one record, not one truck"

PLATE_LETTERS = {
    530100: "A",  # 昆明市
    530300: "D",  # 曲靖市
    530400: "F",  # 玉溪市
    530500: "M",  # 保山市
    530600: "C",  # 昭通市
    530700: "P",  # 丽江市
    530800: "J",  # 普洱市
    530900: "S",  # 临沧市
    532300: "E",  # 楚雄彝族自治州
    532500: "G",  # 红河哈尼族彝族自治州
    532600: "H",  # 文山壮族苗族自治州
    532800: "K",  # 西双版纳傣族自治州
    532900: "L",  # 大理白族自治州
    533100: "N",  # 德宏傣族景颇族自治州
    533300: "Q",  # 怒江傈僳族自治州
    533400: "R",  # 迪庆藏族自治州
}
"""The letter after 云 on a plate registered in each 州市 (by its adcode)."""
PLATE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""A plate's serial: digits and the letters but I and O (they read as 1 and 0)."""
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡"
GIVEN = "建国志明伟强军平勇刚海波林华红兵春文斌德云祥福荣亮成宏光富贵顺发学忠"


@dataclass(frozen=True)
class Load:
    """One delivery: dispatched tonnes and when, and what the weighbridge said and when."""

    manifest_no: str
    tonnes: float
    dispatched_at: datetime
    received_tonnes: float
    received_at: datetime
    truck_plate: str = ""
    driver: str = ""
    note: str = ""


def plate_letter(prefecture_code: int) -> str:
    return PLATE_LETTERS.get(prefecture_code, "A")


def plate(rng: random.Random, letter: str) -> str:
    """云, the prefecture's letter and a five-character serial, as a plate is written."""
    return f"云{letter}·" + "".join(rng.choice(PLATE_CHARS) for _ in range(5))


def driver(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def split_loads(rng: random.Random, tonnes: float) -> list[float]:
    """About `tonnes` in loads of 30–40 t (0.1 t each); at least one load."""
    count = max(1, round(tonnes / (sum(LOAD_T) / 2)))
    return [round(rng.uniform(*LOAD_T), 1) for _ in range(count)]


def truck_days(history_end: date, start: date, end: date) -> list[date]:
    """The days of the month `start`–`end` that are among the history's last `TRUCK_DAYS`."""
    last = (history_end - timedelta(days=k) for k in range(TRUCK_DAYS))
    return sorted(d for d in last if start <= d <= end)


def dispatch_times(rng: random.Random, days: list[date], count: int) -> list[datetime]:
    """`count` instants spread over the days' working hours (CST), in order."""
    start = datetime.combine(date.min, WORKING_DAY[0])
    span = (datetime.combine(date.min, WORKING_DAY[1]) - start).total_seconds()
    out = []
    for k in range(count):
        day = days[k * len(days) // count]
        offset = timedelta(seconds=int(rng.uniform(0, span)))
        out.append(datetime.combine(day, WORKING_DAY[0], CHINA) + offset)
    return sorted(out)


def _weighed(tonnes: float, short: float) -> float:
    """The weighbridge's figure, to 10 kg, never below `tonnes` less `short` of it."""
    return math.ceil(round(tonnes * (1 - short) * 100, 6)) / 100


def month_loads(
    manifest_no: str,
    tonnes: float,
    received: float,
    consolidated_at: datetime,
    truck_days: list[date],
    letter: str,
    seed: int,
) -> list[Load]:
    """A contract's month: `tonnes` dispatched and `received` weighed, as one consolidated
    delivery and, when the month has truck days, a truck per load on those days."""
    rng = random.Random(f"{seed}:{manifest_no}")
    loads: list[float] = []
    if truck_days:
        month_days = calendar.monthrange(truck_days[0].year, truck_days[0].month)[1]
        loads = split_loads(rng, tonnes * len(truck_days) / month_days)
        while loads and sum(loads) > tonnes / 2:  # a month too small for its trucks stays whole
            loads.pop()
    short = 1 - received / tonnes
    trucks: list[Load] = []
    plates: set[str] = set()
    for k, (load, at) in enumerate(
        zip(loads, dispatch_times(rng, truck_days, len(loads)), strict=True), start=1
    ):
        # each truck short by about the month's shortfall, so the consolidated rest stays near it
        weighed = _weighed(load, min(0.012, short * rng.uniform(0.5, 1.5)))
        number = plate(rng, letter)
        while number in plates:
            number = plate(rng, letter)
        plates.add(number)
        trucks.append(
            Load(
                manifest_no=f"{manifest_no}-T{k:03d}",
                tonnes=load,
                dispatched_at=at,
                received_tonnes=weighed,
                received_at=at + timedelta(seconds=int(rng.uniform(*HAUL_HOURS) * 3600)),
                truck_plate=number,
                driver=driver(rng),
            )
        )
    rest = round(tonnes - sum(t.tonnes for t in trucks), 3)
    consolidated = Load(
        manifest_no=f"{manifest_no}-M",
        tonnes=rest,
        dispatched_at=consolidated_at,
        received_tonnes=round(received - sum(t.received_tonnes for t in trucks), 3),
        received_at=consolidated_at + timedelta(hours=9),
        note=CONSOLIDATED_NOTE,
    )
    return [consolidated, *trucks]


def yard_letter(uow: UnitOfWork, site_id: int) -> str:
    """The plate letter of the 州市 the yard is in."""
    return plate_letter(get(uow.session, Site, site_id, what="site").prefecture_code)


def deliver(
    uow: UnitOfWork,
    producer: Actor,
    recycler: Actor,
    contract_id: int,
    loads: list[Load],
    settings: Settings,
) -> int:
    """Dispatches and receives every load through the services; returns how many."""
    for load in loads:
        delivery, _ = dispatch_with_driver(
            uow,
            producer,
            contract_id,
            {
                "tonnes": load.tonnes,
                "manifest_no": load.manifest_no,
                "dispatched_at": load.dispatched_at.isoformat(),
                "truck_plate": load.truck_plate,
            },
            load.driver,
        )
        assert delivery.id is not None
        deliveries.confirm_receipt(
            uow,
            recycler,
            delivery.id,
            {
                "received_tonnes": load.received_tonnes,
                "received_at": load.received_at.isoformat(),
                "note": load.note,
            },
            settings,
        )
    return len(loads)
