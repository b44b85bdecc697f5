"""The drawdown planner's problem and result, as frozen values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from matching import defaults
from matching.model import (
    Bound,
    Status,
)

DEFAULT_HORIZON = 36
MAX_HORIZON = 240


# --------------------------------------------------------------------------- the problem


@dataclass(frozen=True)
class Stock:
    """One yard's stockpile of one material (one grade of it)."""

    id: str
    yard: str
    material: str
    tonnes: float
    """Stock today: the plan's month 0 starts with it."""
    lat: float
    lon: float
    monthly_generation_t: float = 0.0
    monthly_own_use_t: float = 0.0
    """Own use and treatment: stock that leaves the yard each month without the market."""
    quality: Mapping[str, float] = field(default_factory=dict)
    max_haul_km: float | None = None
    producer: str | None = None


@dataclass(frozen=True)
class Intake:
    """One intake offer; `capacity_t` is spread over months `first_month` … `last_month`."""

    id: str
    plant: str
    material: str
    lat: float
    lon: float
    capacity_t: float
    first_month: int = 0
    last_month: int = 11
    """Inclusive; may lie beyond the horizon (those months' share is then never offered)."""
    spec: Mapping[str, Bound] = field(default_factory=dict)
    max_haul_km: float | None = None
    price_cny_t: float | None = None


@dataclass(frozen=True)
class PlanParams:
    horizon_months: int = DEFAULT_HORIZON
    cost_per_t_km: float = defaults.COST_PER_T_KM
    circuity: float | None = None
    """None: the policy's default (`seed_data`)."""
    priorities: Mapping[str, int] = field(default_factory=dict)
    renew_offers: bool = False
    """After its last month an offer carries on at its monthly rate to the horizon's end."""
    plant_monthly_capacity_t: Mapping[str, float] = field(default_factory=dict)
    """A plant's intake per month over all its offers, where it has such a limit."""
    marginal_step: float = 0.10
    """Bottleneck plants are re-solved with this much more capacity to value it."""
    max_marginal_resolves: int = 10
    """Bottlenecks the steady-supply shortcut cannot value are re-solved, the busiest first, at
    most this many times (each re-solve costs about one plan)."""
    bottleneck_share: float = 0.5
    """A plant is a bottleneck when saturated in more than this share of its active months."""
    month_labels: tuple[str, ...] = ()
    """Optional names of the months (e.g. "2026-11"), one per month of the horizon."""

    def priority(self, material: str) -> int:
        return self.priorities.get(material, defaults.PRIORITY)

    def effective_circuity(self) -> float:
        return defaults.policy_circuity() if self.circuity is None else self.circuity


@dataclass(frozen=True)
class PlanProblem:
    stocks: tuple[Stock, ...]
    intakes: tuple[Intake, ...]
    params: PlanParams = field(default_factory=PlanParams)


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class YardPlan:
    yard: str
    producer: str | None
    material: str
    stock_t: tuple[int, ...]
    """Today, then the end of each month: horizon + 1 figures."""
    shipped_t: tuple[int, ...]
    own_use_t: tuple[int, ...]
    generated_t: tuple[int, ...]
    zero_month: int | None
    """The first month at whose end the stock is 0; None: not within the horizon."""
    streams: int


@dataclass(frozen=True)
class ProducerPlan:
    producer: str
    material: str
    stock_t: tuple[int, ...]
    zero_month: int | None
    yards: tuple[str, ...]


@dataclass(frozen=True)
class Marginal:
    """What `step` more capacity at a plant would add to the drawdown over the horizon."""

    step: float
    extra_capacity_t: int
    extra_drawdown_t: int
    tonnes_per_tonne: float
    """Extra drawdown ÷ extra capacity: 1 when every added tonne of capacity is used."""
    method: str
    """"re-solve", or "steady supply": every enlarged offer is reachable from a yard that cannot
    run out, so each added tonne is drawn down (see `_marginal`)."""


@dataclass(frozen=True)
class IntakeUse:
    intake: str
    plant: str
    material: str
    capacity_t: tuple[int, ...]
    shipped_t: tuple[int, ...]
    utilisation: float | None
    active_months: int
    saturated_months: int


@dataclass(frozen=True)
class PlantUse:
    plant: str
    materials: tuple[str, ...]
    intakes: tuple[str, ...]
    capacity_t: int
    shipped_t: int
    utilisation: float | None
    active_months: int
    saturated_months: int
    bottleneck: bool
    marginal: Marginal | None


@dataclass(frozen=True)
class Shipment:
    """Tonnes from one yard to one intake over the whole horizon."""

    yard: str
    intake: str
    plant: str
    material: str
    tonnes: int
    road_km: float
    haul_cost: float


@dataclass(frozen=True)
class MaterialPlan:
    material: str
    priority: int
    stock_t: tuple[int, ...]
    shipped_t: tuple[int, ...]
    own_use_t: tuple[int, ...]
    generated_t: tuple[int, ...]
    capacity_t: tuple[int, ...]
    """Intake capacity offered each month (what could be shipped, eligibility aside)."""
    zero_month: int | None
    yards: tuple[YardPlan, ...]
    producers: tuple[ProducerPlan, ...]

    @property
    def drawn_down_t(self) -> int:
        return sum(self.shipped_t)


@dataclass(frozen=True)
class PlanResult:
    status: Status
    horizon_months: int
    month_labels: tuple[str, ...]
    materials: tuple[MaterialPlan, ...]
    intakes: tuple[IntakeUse, ...]
    plants: tuple[PlantUse, ...]
    shipments: tuple[Shipment, ...]
    stats: Mapping[str, Any]
