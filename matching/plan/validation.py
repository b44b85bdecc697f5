"""The rules on a plan problem's values: `check_plan` names the first value that breaks one."""

from __future__ import annotations

from matching.checks import (
    check_bound,
    check_located,
    check_non_negative,
    check_optional_distance,
    check_positive,
    check_priorities,
    check_quality,
    check_tonnes,
    check_whole,
)
from matching.errors import (
    BoundsReversed,
    Negative,
    OutOfRange,
    ProblemError,
)
from matching.plan.model import MAX_HORIZON, PlanProblem

# --------------------------------------------------------------------------- rules on values

STOCK_TONNES = ("tonnes", "monthly_generation_t", "monthly_own_use_t")


def check_plan(problem: PlanProblem) -> None:
    """Raise a `ProblemError` naming the first value that breaks the rules."""
    p = problem.params
    check_whole(p.horizon_months, "params.horizon_months")
    if not 1 <= p.horizon_months <= MAX_HORIZON:
        raise OutOfRange("params.horizon_months", p.horizon_months, 1, MAX_HORIZON)
    check_non_negative(p.cost_per_t_km, "params.cost_per_t_km")
    if p.circuity is not None:
        check_positive(p.circuity, "params.circuity")
    check_priorities(p.priorities)
    for plant, cap in p.plant_monthly_capacity_t.items():
        check_tonnes(cap, f"params.plant_monthly_capacity_t.{plant}")
    check_non_negative(p.marginal_step, "params.marginal_step")
    if not 0 < p.marginal_step <= 10:
        raise OutOfRange("params.marginal_step", p.marginal_step, 0, 10)
    if not 0 < p.bottleneck_share <= 1:
        raise OutOfRange("params.bottleneck_share", p.bottleneck_share, 0, 1)
    if p.max_marginal_resolves < 0:
        raise Negative("params.max_marginal_resolves", p.max_marginal_resolves)
    if p.month_labels and len(p.month_labels) != p.horizon_months:
        raise ProblemError(
            "params.month_labels",
            "{labels} labels for a horizon of {months} months",
            labels=len(p.month_labels),
            months=p.horizon_months,
        )
    seen: dict[str, str] = {}
    for i, s in enumerate(problem.stocks):
        path = f"stocks[{i}]"
        check_located(s, path, seen, names=("yard", "material"), tonnes=STOCK_TONNES)
        check_quality(s.quality, path)
        check_optional_distance(s.max_haul_km, f"{path}.max_haul_km")
    seen = {}
    for j, o in enumerate(problem.intakes):
        path = f"intakes[{j}]"
        check_located(o, path, seen, names=("plant", "material"), tonnes=("capacity_t",))
        for name, month in (("first_month", o.first_month), ("last_month", o.last_month)):
            check_whole(month, f"{path}.{name}")
        if o.first_month < 0:
            raise Negative(f"{path}.first_month", o.first_month)
        if o.last_month < o.first_month:
            raise BoundsReversed(f"{path}.months", o.first_month, o.last_month)
        for code, bound in o.spec.items():
            check_bound(bound.min, bound.max, f"{path}.spec.{code}")
        check_optional_distance(o.max_haul_km, f"{path}.max_haul_km")
