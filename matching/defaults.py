"""Defaults a problem may leave out: the contract's, and the policy's from `seed_data`."""

from __future__ import annotations

from seed_data import load_policy

COST_PER_T_KM = 0.5
"""CNY per tonne-km when `params.cost_per_t_km` is absent (docs/matching-format.md)."""

PRIORITY = 1
MIN_SHIPMENT_T = 0.0
TIME_LIMIT_S = 30.0


def policy_circuity() -> float:
    """Road km per geodesic km when `params.circuity` is absent."""
    return load_policy().circuity


def policy_co2_kg_per_t_km() -> float:
    """Truck CO2 per tonne-km when `params.co2_kg_per_t_km` is absent."""
    return load_policy().co2_kg_per_t_km
