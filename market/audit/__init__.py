"""Audit figures for the regulator's desk, computed from the ledger alone.

Which ledger kind counts as what is decided once, in `Rules` (from the stock rules of
`market.ledger` and the kinds the policy names); the database only sums tonnes by kind, and the
pure functions below turn those sums into figures and flags. Nothing is stored beside the ledger.

Two readings of stock sit side by side, and they may differ:
- the ledger's stock, the running sum of every entry's stock effect (dispatches leave the yard on
  the day they go, disposal and corrections move it);
- the 以用定产 account, opening + (G − C): consumption counts a delivery when the recycler confirms
  it, so tonnes in transit, weighbridge differences, disposal and corrections open a gap between the
  two. Both are shown; neither is adjusted to fit the other.

An `opening` entry is a survey of stock that predates the ledger, so it is counted into the opening
stock of the period it falls in, never into the period's flows.

The package holds one job per module: `periods` (what a period is), `rules` (which kinds make
which figure, and the pure figures and flags), `scope` (what an audit covers and who may run
it), `queries` (the summary and the 以用定产 table in SQL), `drilldown`, `drawdown`, `verify`
(the tamper check), `checkpoints`, `trust` (approved, late and restated months) and `seals`
(the seals and cited documents as the tamper check sees them). What other code imports is
re-exported here, so `from market.audit import X` keeps working.
"""

from __future__ import annotations

from market.audit import seals, trust
from market.audit.checkpoints import (
    CHECKPOINT_STATUSES,
    MAX_CHECKPOINT_HEADS,
    PROBLEMS,
    VERIFY_ANSWER_KEYS,
    Head,
    Now,
    compare_checkpoint,
    compare_head,
    parse_checkpoint,
)
from market.audit.drawdown import (
    drawdown,
    monthly_series,
)
from market.audit.drilldown import (
    kinds_for,
    ledger_entries,
    organisation_of,
)
from market.audit.periods import (
    Period,
    containing,
    parse_period,
)
from market.audit.queries import (
    Window,
    default_period,
    flags_by_prefecture,
    ledger_span,
    period_choices,
    phosphogypsum_table,
    resolve_period,
    summary,
)
from market.audit.rules import (
    FLAGS,
    PHOSPHOGYPSUM,
    UNCOUNTED,
    Figures,
    Key,
    Rules,
    Sums,
    allowance,
    base_kind,
    claims,
    figures,
    flags,
    kind_label,
    merge,
    phosphogypsum_row,
    round_t,
    rules,
    stock_change,
    total,
)
from market.audit.scope import (
    Scope,
    check_scope,
    parse_scope,
    require_overseer,
)
from market.audit.verify import (
    heads_fingerprint,
    verify,
)

__all__ = [
    "CHECKPOINT_STATUSES",
    "FLAGS",
    "Figures",
    "Head",
    "Key",
    "MAX_CHECKPOINT_HEADS",
    "Now",
    "PHOSPHOGYPSUM",
    "PROBLEMS",
    "Period",
    "Rules",
    "Scope",
    "Sums",
    "UNCOUNTED",
    "VERIFY_ANSWER_KEYS",
    "Window",
    "allowance",
    "base_kind",
    "check_scope",
    "claims",
    "compare_checkpoint",
    "compare_head",
    "containing",
    "default_period",
    "drawdown",
    "figures",
    "flags",
    "flags_by_prefecture",
    "heads_fingerprint",
    "kind_label",
    "kinds_for",
    "ledger_entries",
    "ledger_span",
    "merge",
    "monthly_series",
    "organisation_of",
    "parse_checkpoint",
    "parse_period",
    "parse_scope",
    "period_choices",
    "phosphogypsum_row",
    "phosphogypsum_table",
    "require_overseer",
    "resolve_period",
    "round_t",
    "rules",
    "seals",
    "stock_change",
    "summary",
    "total",
    "trust",
    "verify",
]
