"""Every table, by subject, one module each; importing this package registers them all on
`SQLModel.metadata`. Foreign keys name tables by string, so the modules never import one another
(only `utcnow` from `common`).

Quantities that follow from others are computed in queries, not stored: a lot's open tonnes are its
tonnes less its contracts, an offer's open capacity likewise, a site's stock is the sum of its
ledger. Statuses stored here are the ones a person decides (withdrawn, disputed, ...).
"""

from market.tables.accounts import (
    ORG_KINDS,
    ROLES,
    ApiToken,
    EvaluatorLink,
    LoginAttempt,
    Organisation,
    User,
)
from market.tables.common import utcnow
from market.tables.ledger import (
    CORRECTION_KINDS,
    LEDGER_KINDS,
    REPORT_STATUSES,
    Attestation,
    CorrectionRequest,
    LedgerEntry,
    LedgerHead,
    Report,
    ReportEvent,
    Seal,
)
from market.tables.messages import NOTIFICATION_KINDS, MailOutbox, MailPreference, Notification
from market.tables.sites import SITE_KINDS, Lot, LotLabReport, LotRevision, Material, Site
from market.tables.system import JOB_KINDS, JOB_STATUSES, AppSetting, Job
from market.tables.trade import (
    BID_STATUSES,
    Bid,
    Contract,
    Delivery,
    DeliveryPapers,
    Document,
    MatchRun,
    Offer,
    Proposal,
    Settlement,
)

__all__ = [
    "ApiToken",
    "AppSetting",
    "Attestation",
    "BID_STATUSES",
    "Bid",
    "CORRECTION_KINDS",
    "Contract",
    "CorrectionRequest",
    "Delivery",
    "DeliveryPapers",
    "Document",
    "EvaluatorLink",
    "JOB_KINDS",
    "JOB_STATUSES",
    "Job",
    "LEDGER_KINDS",
    "LedgerEntry",
    "LedgerHead",
    "LoginAttempt",
    "Lot",
    "LotLabReport",
    "LotRevision",
    "MailOutbox",
    "MailPreference",
    "MatchRun",
    "Material",
    "NOTIFICATION_KINDS",
    "Notification",
    "ORG_KINDS",
    "Offer",
    "Organisation",
    "Proposal",
    "REPORT_STATUSES",
    "ROLES",
    "Report",
    "ReportEvent",
    "SITE_KINDS",
    "Seal",
    "Settlement",
    "Site",
    "User",
    "utcnow",
]
