"""Indexes for paged lists: a run's proposals counted and paged per recycler or producer

Revision ID: 0008_list_indexes
Revises: 0007_jobs
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0008_list_indexes'
down_revision: str | None = '0007_jobs'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.create_index('ix_proposal_run_offer', ['run_id', 'offer_id'], unique=False)
        batch_op.create_index('ix_proposal_run_lot', ['run_id', 'lot_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_index('ix_proposal_run_lot')
        batch_op.drop_index('ix_proposal_run_offer')
