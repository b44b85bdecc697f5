"""papers: the driver and weighbridge ticket of a delivery, the lab report of a lot

Revision ID: 0006_papers
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0006_papers'
down_revision: str | None = '0005_daily_work'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('delivery_papers',
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('driver', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('ticket_document_id', sa.Integer(), nullable=True),
    sa.Column('ticket_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('ticket_by', sa.Integer(), nullable=True),
    sa.Column('ticket_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], ),
    sa.ForeignKeyConstraint(['ticket_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['ticket_document_id'], ['document.id'], ),
    sa.PrimaryKeyConstraint('delivery_id')
    )
    op.create_table('lot_lab_report',
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('attached_by', sa.Integer(), nullable=False),
    sa.Column('attached_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attached_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], ),
    sa.PrimaryKeyConstraint('lot_id')
    )


def downgrade() -> None:
    op.drop_table('lot_lab_report')
    op.drop_table('delivery_papers')
