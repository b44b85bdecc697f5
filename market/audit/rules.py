"""Which ledger kinds make up which figure, and the pure figures and flags built from sums."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, literal
from sqlmodel import col

from market.ledger import STOCK_SIGN, stock_effect
from market.tables import (
    LedgerEntry,
)
from seed_data import Policy, load_policy

PHOSPHOGYPSUM = "phosphogypsum"
FLAGS = (
    "output_above_allowance",
    "stock_increment_positive",
    "below_trajectory",
    "generation_inconsistent",
    "report_overdue",
    "restated",
)


UNCOUNTED = ("pending", "rejected")


def kind_label() -> ColumnElement[Any]:
    """The entry's kind, or `kind:pending` / `kind:rejected` for a claim not (or never) attested:
    the audit's figures sum kinds by name, so an unattested claim falls out of U and T."""
    a = col(LedgerEntry.attestation)
    return case(
        (a.in_(UNCOUNTED), col(LedgerEntry.kind) + literal(":") + a),
        else_=col(LedgerEntry.kind),
    )


def base_kind(label: str) -> str:
    return label.split(":", 1)[0]


# ----------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rules:
    """Which ledger kinds make up which figure. Utilisation, treatment and consumption come from
    the policy (seed_data/policy.json); the rest are the ledger's own kinds."""

    utilisation: frozenset[str]
    treatment: frozenset[str]
    consumption: frozenset[str]
    generation: frozenset[str] = frozenset({"generation"})
    disposal: frozenset[str] = frozenset({"disposal"})
    dispatch: frozenset[str] = frozenset({"dispatch"})
    correction: frozenset[str] = frozenset({"correction"})
    output: frozenset[str] = frozenset({"p2o5_output"})
    survey: frozenset[str] = frozenset({"opening"})

    @classmethod
    def from_policy(cls, policy: Policy) -> Rules:
        rules = cls(
            utilisation=frozenset(policy.utilisation_kinds),
            treatment=frozenset(policy.treatment_kinds),
            consumption=frozenset(policy.consumption_kinds),
        )
        for name, kinds in rules.figures().items():
            unknown = kinds - set(STOCK_SIGN)
            if unknown:
                raise ValueError(f"policy: {name} names unknown ledger kinds {sorted(unknown)}")
        return rules

    def figures(self) -> dict[str, frozenset[str]]:
        """Figure name → the kinds it sums; the drill-down accepts these names as `kind`."""
        return {
            "generated": self.generation,
            "utilised": self.utilisation,
            "treated": self.treatment,
            "consumed": self.consumption,
            "disposed": self.disposal,
            "dispatched": self.dispatch,
            "corrected": self.correction,
            "p2o5": self.output,
            "opening": self.survey,
        }


def rules() -> Rules:
    return Rules.from_policy(load_policy())


# ----------------------------------------------------------------------------- sums → figures

Key = tuple[str, bool]
"""(ledger kind, whether the entry names a delivery)."""
Sums = Mapping[Key, float]


def merge(parts: Iterable[Sums]) -> dict[Key, float]:
    out: dict[Key, float] = {}
    for part in parts:
        for key, tonnes in part.items():
            out[key] = out.get(key, 0.0) + tonnes
    return out


def total(sums: Sums, kinds: Iterable[str]) -> float:
    wanted = set(kinds)
    return sum(t for (kind, _), t in sums.items() if kind in wanted)


def stock_change(sums: Sums) -> float:
    # the ledger's own rule: a receipt (a utilisation naming a delivery) moves no stock; a claim
    # not attested (`utilisation:pending`) still moved the yard's stock, as its producer says
    return sum(
        stock_effect(base_kind(kind), tonnes, 1 if names_delivery else None)
        for (kind, names_delivery), tonnes in sums.items()
    )


def round_t(value: float) -> float:
    return round(value + 0.0, 3)


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 6) if den > 0 else None


@dataclass(frozen=True)
class Figures:
    generated_t: float
    utilised_t: float
    treated_t: float
    consumed_t: float
    disposed_t: float
    dispatched_t: float
    corrected_t: float
    p2o5_t: float
    opening_stock_t: float
    ledger_closing_stock_t: float

    @property
    def stock_increment_t(self) -> float:
        return round_t(self.generated_t - self.consumed_t)

    @property
    def utilisation_rate(self) -> float | None:
        return _ratio(self.utilised_t, self.generated_t)

    @property
    def consumption_rate(self) -> float | None:
        return _ratio(self.consumed_t, self.generated_t)

    def public(self) -> dict[str, Any]:
        return {
            "generated_t": self.generated_t,
            "utilised_t": self.utilised_t,
            "treated_t": self.treated_t,
            "consumed_t": self.consumed_t,
            "disposed_t": self.disposed_t,
            "dispatched_t": self.dispatched_t,
            "corrected_t": self.corrected_t,
            "stock_increment_t": self.stock_increment_t,
            "opening_stock_t": self.opening_stock_t,
            "closing_stock_t": self.ledger_closing_stock_t,
            "utilisation_rate": self.utilisation_rate,
            "consumption_rate": self.consumption_rate,
        }


def figures(before: Sums, within: Sums, rules: Rules) -> Figures:
    """The figures of one period from the sums of the entries before it and within it."""
    stock_before = stock_change(before)
    return Figures(
        generated_t=round_t(total(within, rules.generation)),
        utilised_t=round_t(total(within, rules.utilisation)),
        treated_t=round_t(total(within, rules.treatment)),
        consumed_t=round_t(total(within, rules.consumption)),
        disposed_t=round_t(total(within, rules.disposal)),
        dispatched_t=round_t(total(within, rules.dispatch)),
        corrected_t=round_t(total(within, rules.correction)),
        p2o5_t=round_t(total(within, rules.output)),
        opening_stock_t=round_t(stock_before + total(within, rules.survey)),
        ledger_closing_stock_t=round_t(stock_before + stock_change(within)),
    )


# ----------------------------------------------------------------------------- 以用定产


def allowance(consumed_t: float | None, ratio: float) -> float | None:
    """P2O5 a producer may make in a period: the previous period's consumption ÷ r."""
    if consumed_t is None:
        return None
    return round_t(consumed_t / ratio)


def flags(
    *,
    generated_t: float,
    consumed_t: float,
    p2o5_t: float,
    ratio: float,
    allowance_t: float | None,
    floor: float | None,
    tolerance: float,
    trajectory: tuple[float, float] | None = None,
) -> list[str]:
    """The 以用定产 flags, in the contract's order. Figures are compared as rounded to the kilogram
    so that float noise never raises a flag."""
    out = []
    if allowance_t is not None and round_t(p2o5_t) > round_t(allowance_t):
        out.append("output_above_allowance")
    if round_t(generated_t - consumed_t) > 0:
        out.append("stock_increment_positive")
    # the trajectory is judged on (generated, consumed) of approved months when given
    g, c = trajectory if trajectory is not None else (generated_t, consumed_t)
    if floor is not None and g > 0 and c < floor * g - 5e-4:
        out.append("below_trajectory")
    implied = p2o5_t * ratio
    if implied > 0:
        if abs(generated_t - implied) > tolerance * implied + 5e-4:
            out.append("generation_inconsistent")
    elif round_t(generated_t) > 0:
        # phosphogypsum comes only from making phosphoric acid: generation with no P2O5 output
        # recorded cannot be checked against it, which is itself the thing to look at
        out.append("generation_inconsistent")
    return out


def phosphogypsum_row(
    *,
    organisation_id: int,
    organisation: str,
    ratio: float,
    before: Sums,
    within: Sums,
    previous: Sums | None,
    rules: Rules,
    policy: Policy,
    year: int,
    approved: Sums | None = None,
) -> dict[str, Any]:
    """One producer's 以用定产 row. `previous` is None when the ledger does not cover the whole
    previous period, and the allowance is then unknown (null), not zero. `approved` are the
    period's sums over approved months only: the trajectory is judged on them (and not at all
    when no month is approved); without it, on the whole period."""
    f = figures(before, within, rules)
    trajectory = None
    if approved is not None:
        g_a = total(approved, rules.generation)
        trajectory = (g_a, total(approved, rules.consumption)) if g_a > 0 else (0.0, 0.0)
    increment = f.stock_increment_t
    previous_c = None if previous is None else round_t(total(previous, rules.consumption))
    this_allowance = allowance(previous_c, ratio)
    implied = round_t(f.p2o5_t * ratio)
    floor = policy.min_consumption_ratio(year)
    return {
        "organisation_id": organisation_id,
        "organisation": organisation,
        "generated_t": f.generated_t,
        "utilised_t": f.utilised_t,
        "treated_t": f.treated_t,
        "consumed_t": f.consumed_t,
        "stock_increment_t": increment,
        "opening_stock_t": f.opening_stock_t,
        "closing_stock_t": round_t(f.opening_stock_t + increment),
        "p2o5_t": f.p2o5_t,
        "implied_generation_t": implied,
        "ratio": ratio,
        "p2o5_allowance_t": this_allowance,
        "next_p2o5_allowance_t": allowance(f.consumed_t, ratio),
        "flags": flags(
            generated_t=f.generated_t,
            consumed_t=f.consumed_t,
            p2o5_t=f.p2o5_t,
            ratio=ratio,
            allowance_t=this_allowance,
            floor=floor,
            tolerance=policy.generation_tolerance,
            trajectory=trajectory,
        ),
        "claimed_unattested_t": round_t(total(within, claims(rules, "pending"))),
        # beyond the contract's fields
        "ledger_closing_stock_t": f.ledger_closing_stock_t,
        "generation_gap_t": round_t(f.generated_t - implied),
        "generation_gap_rate": _ratio(f.generated_t - implied, implied),
        "consumption_rate": f.consumption_rate,
        "utilisation_rate": f.utilisation_rate,
        "min_consumption_rate": floor,
        "previous_consumed_t": previous_c,
        "disposed_t": f.disposed_t,
        "dispatched_t": f.dispatched_t,
        "corrected_t": f.corrected_t,
        "rejected_claims_t": round_t(total(within, claims(rules, "rejected"))),
        "approved_generated_t": None
        if approved is None
        else round_t(total(approved, rules.generation)),
        "approved_consumed_t": None
        if approved is None
        else round_t(total(approved, rules.consumption)),
    }


def claims(rules: Rules, state: str) -> list[str]:
    """Labels of own-use and treatment claims in one attestation state (`utilisation:pending`)."""
    return [f"{k}:{state}" for k in rules.consumption]
