"""The 以用定产 rules as pure functions: figures from sums by kind, the allowance and the flags."""

from __future__ import annotations

import pytest

from market.audit import Rules, allowance, figures, flags, phosphogypsum_row
from seed_data import load_policy

POLICY = load_policy()
RULES = Rules.from_policy(POLICY)


def flag(**overrides):
    values = dict(
        generated_t=100.0,
        consumed_t=100.0,
        p2o5_t=20.0,
        ratio=5.0,
        allowance_t=None,
        floor=1.0,
        tolerance=0.15,
    )
    return flags(**(values | overrides))


def test_a_balanced_producer_raises_no_flag():
    assert flag() == []


def test_output_above_this_periods_allowance_is_flagged_and_at_it_is_not():
    assert flag(allowance_t=19.999) == ["output_above_allowance"]
    assert flag(allowance_t=20.0) == []
    assert flag(allowance_t=None) == []


def test_any_positive_stock_increment_is_flagged():
    assert flag(consumed_t=99.999, floor=None) == ["stock_increment_positive"]
    assert flag(consumed_t=100.0004, floor=None) == []


def test_consumption_below_the_trajectory_floor_is_flagged():
    assert flag(generated_t=100, consumed_t=109, floor=1.1, p2o5_t=20) == ["below_trajectory"]
    assert flag(generated_t=100, consumed_t=110, floor=1.1) == []
    assert flag(floor=None, consumed_t=120) == []


def test_nothing_generated_means_no_trajectory_to_miss():
    assert "below_trajectory" not in flag(generated_t=0, consumed_t=0, p2o5_t=0)


def test_generation_far_from_p2o5_times_ratio_is_flagged_either_way():
    # implied 100 t; tolerance 15 %: 85 and 115 are on the line, beyond them flagged
    assert flag(generated_t=85, consumed_t=85, floor=None) == []
    assert flag(generated_t=115, consumed_t=115, floor=None) == []
    assert flag(generated_t=84.9, consumed_t=84.9, floor=None) == ["generation_inconsistent"]
    assert flag(generated_t=115.1, consumed_t=115.1, floor=None) == ["generation_inconsistent"]


def test_generation_with_no_p2o5_output_cannot_be_checked_and_is_flagged():
    assert flag(p2o5_t=0) == ["generation_inconsistent"]
    assert flag(p2o5_t=0, generated_t=0, consumed_t=0) == []


def test_flags_come_in_the_contracts_order():
    assert flag(generated_t=200, consumed_t=100, allowance_t=10) == [
        "output_above_allowance",
        "stock_increment_positive",
        "below_trajectory",
        "generation_inconsistent",
    ]


def test_the_allowance_is_consumption_over_the_ratio_and_unknown_without_a_previous_period():
    assert allowance(46_900, 4.8) == pytest.approx(9_770.833, abs=1e-9)
    assert allowance(0.0, 5.0) == 0.0
    assert allowance(None, 5.0) is None


def test_the_kinds_come_from_the_policy():
    assert RULES.consumption == frozenset(POLICY.consumption_kinds)
    assert RULES.utilisation | RULES.treatment == RULES.consumption


def test_a_receipt_counts_as_utilisation_but_moves_no_stock_while_its_dispatch_does():
    before = {("opening", False): 1000.0}
    within = {
        ("generation", False): 100.0,
        ("dispatch", True): 40.0,
        ("utilisation", True): 39.0,
        ("utilisation", False): 10.0,
        ("treatment", False): 5.0,
        ("disposal", False): 2.0,
        ("correction", False): -3.0,
        ("p2o5_output", False): 20.0,
    }
    f = figures(before, within, RULES)
    assert (f.generated_t, f.utilised_t, f.treated_t, f.consumed_t) == (100, 49, 5, 54)
    assert (f.disposed_t, f.dispatched_t, f.corrected_t, f.p2o5_t) == (2, 40, -3, 20)
    assert f.opening_stock_t == 1000
    assert f.ledger_closing_stock_t == 1000 + 100 - 40 - 10 - 5 - 2 - 3
    assert f.stock_increment_t == 46
    assert (f.utilisation_rate, f.consumption_rate) == (0.49, 0.54)


def test_an_opening_survey_inside_the_period_counts_into_its_opening_stock():
    f = figures({}, {("opening", False): 500.0, ("generation", False): 10.0}, RULES)
    assert f.opening_stock_t == 500 and f.ledger_closing_stock_t == 510
    assert f.generated_t == 10


def test_a_row_puts_it_together():
    row = phosphogypsum_row(
        organisation_id=1,
        organisation="A",
        ratio=5.0,
        before={("opening", False): 1000.0},
        within={
            ("generation", False): 120.0,
            ("treatment", False): 100.0,
            ("p2o5_output", False): 20.0,
        },
        previous={("treatment", False): 90.0},
        rules=RULES,
        policy=POLICY,
        year=2025,
    )
    assert row["consumed_t"] == 100 and row["stock_increment_t"] == 20
    assert row["closing_stock_t"] == 1020 and row["implied_generation_t"] == 100
    assert row["p2o5_allowance_t"] == 18 and row["next_p2o5_allowance_t"] == 20
    assert row["flags"] == [
        "output_above_allowance",
        "stock_increment_positive",
        "below_trajectory",
        "generation_inconsistent",
    ]
