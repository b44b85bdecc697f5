"""Moved: report status lives in `market.audit.trust`, the seal and document checks in
`market.audit.seals`, the claim labels in `market.audit.rules`. Kept so old imports still work."""

from __future__ import annotations

from market.audit.rules import (
    UNCOUNTED,
    base_kind,
    kind_label,
)
from market.audit.seals import (
    MonthRows,
    _hashes_at,
    seal_keys,
    verify_documents,
    verify_seals,
)
from market.audit.trust import (
    OrgMonths,
    approved_pairs,
    approved_sums,
    considered,
    covered,
    months_of,
    org_months,
    overdue,
    report_status,
    restatements,
)

__all__ = [
    "MonthRows",
    "OrgMonths",
    "UNCOUNTED",
    "_hashes_at",
    "approved_pairs",
    "approved_sums",
    "base_kind",
    "considered",
    "covered",
    "kind_label",
    "months_of",
    "org_months",
    "overdue",
    "report_status",
    "restatements",
    "seal_keys",
    "verify_documents",
    "verify_seals",
]
