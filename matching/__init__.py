"""The matching engine: a `MatchingProblem` in, a `MatchingResult` out (docs/matching-format.md).

Pure: no database, no web, no printing. Distances come from `geo.distance`.
"""

from __future__ import annotations

from matching.errors import ProblemError
from matching.jsonio import problem_from_json, problem_to_dict, result_to_dict, result_to_json
from matching.model import (
    Accept,
    Bound,
    Facility,
    Lot,
    Margin,
    Match,
    MatchingProblem,
    MatchingResult,
    Params,
    Totals,
    Unmatched,
)
from matching.rank import Option, options_to_json, rank_options
from matching.solver import solve

__all__ = [
    "Accept",
    "Bound",
    "Facility",
    "Lot",
    "Margin",
    "Match",
    "MatchingProblem",
    "MatchingResult",
    "Option",
    "Params",
    "ProblemError",
    "Totals",
    "Unmatched",
    "options_to_json",
    "problem_from_json",
    "problem_to_dict",
    "result_to_dict",
    "rank_options",
    "result_to_json",
    "solve",
]
