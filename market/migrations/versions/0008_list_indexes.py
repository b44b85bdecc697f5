"""Indexes for paged lists: a run's proposals counted and paged per recycler or producer
(2026-12-06)"""

from alembic import op

revision = "0008_list_indexes"
down_revision = "0007_jobs"

INDEXES = {
    "ix_proposal_run_offer": ["run_id", "offer_id"],
    "ix_proposal_run_lot": ["run_id", "lot_id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "proposal", columns)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="proposal")
