"""The drawdown planner: month by month, how far can today's intake offers draw the stockpiles down?

Pure, like the rest of `matching`: a `PlanProblem` of frozen values in, a `PlanResult` out.

A stockpile is a `Stock` stream: one yard's tonnes of one material of one grade (a yard whose lots
carry different assays is split into one stream per grade, so that each grade meets the offers'
specs on its own). It starts with its stock, gains its expected generation each month and loses
its own use (own consumption and treatment outside the market). An `Intake` is one open intake
offer: a plant taking a material within a spec and a haul radius, with a capacity for its period
that is spread evenly over the period's months.

The plan is one time-expanded min-cost flow per group of materials that compete for a plant (see
`build_network`). Every tonne is whole; eligibility (material, spec, haul limits) and road distance
are the matching engine's own (`matching.eligibility`), so a plan never ships what a match run
would refuse. The objective is lexicographic (`plan_costs`): first the most priority-weighted
tonnes drawn down over the horizon, then the earliest drawdown (the fewest weighted stock-months),
then the least haulage cost.

The package holds one job per module, as the solver's do: `model` (the problem and the result),
`validation` (`check_plan`), `costs` (monthly capacities, integer costs), `components` (materials
that compete for a plant, eligible pairs), `network` (the time-expanded network, built and run),
`solve` (`plan`) and `decode` (from flows to the plan). `matching.planner` re-exports the names.
"""

from __future__ import annotations

from matching.network import INT64_MAX, MAX_UNIT_COST
from matching.plan.costs import PlanCosts, monthly_capacity, plan_costs
from matching.plan.model import (
    DEFAULT_HORIZON,
    MAX_HORIZON,
    Intake,
    IntakeUse,
    Marginal,
    MaterialPlan,
    PlanParams,
    PlanProblem,
    PlanResult,
    PlantUse,
    ProducerPlan,
    Shipment,
    Stock,
    YardPlan,
)
from matching.plan.network import (
    Flows,
    Solved,
    TimeNetwork,
    build_network,
    plant_capacities,
    run_network,
    solve_component,
    steady_streams,
)
from matching.plan.solve import plan
from matching.plan.validation import check_plan

__all__ = [
    "DEFAULT_HORIZON",
    "Flows",
    "INT64_MAX",
    "Intake",
    "IntakeUse",
    "MAX_HORIZON",
    "MAX_UNIT_COST",
    "Marginal",
    "MaterialPlan",
    "PlanCosts",
    "PlanParams",
    "PlanProblem",
    "PlanResult",
    "PlantUse",
    "ProducerPlan",
    "Shipment",
    "Solved",
    "Stock",
    "TimeNetwork",
    "YardPlan",
    "build_network",
    "check_plan",
    "monthly_capacity",
    "plan",
    "plan_costs",
    "plant_capacities",
    "run_network",
    "solve_component",
    "steady_streams",
]
