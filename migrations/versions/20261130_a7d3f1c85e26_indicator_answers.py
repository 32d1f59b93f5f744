"""A text indicator lists its allowed answers

Revision ID: a7d3f1c85e26
Revises: 5b7e2c9d4f31
Create Date: 2026-11-30 12:00:00.000000

`indicators.answers` (JSON list, null when any text is accepted): the answers a commune chooses from
when the indicator is measured as text. Thresholds by year, their source and confidence live in the
existing `indicators.thresholds` JSON and need no column.
"""

import sqlalchemy as sa
from alembic import op


revision = 'a7d3f1c85e26'
down_revision = '5b7e2c9d4f31'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answers', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.drop_column('answers')
