"""Participants and kiểu mẫu details: ownership rows for an outstanding field and with a confidence; smart-hamlet
models named on a kiểu mẫu dossier

Revision ID: c4e8a2d6f1b3
Revises: c4e8a2f17b93
Create Date: 2026-11-30 13:00:00.000000

`ownerships.outstanding_fields` (JSON list, null for every dossier): the row holds only for a kiểu mẫu dossier whose
chosen outstanding field is listed (seed 004 gives each field to a department). `ownerships.confidence`: how sure a
(reconstructed) table is of the assignment. `smart_hamlet_models`: which hamlet, which product sold online, where.
"""

import sqlalchemy as sa
from alembic import op


revision = 'c4e8a2d6f1b3'
down_revision = 'c4e8a2f17b93'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ownerships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outstanding_fields', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('confidence', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            'confidence_allowed', "confidence IN ('verified', 'high', 'medium', 'low')"
        )
    op.create_table(
        'smart_hamlet_models',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('hamlet_unit_id', sa.Integer(), nullable=False),
        sa.Column('product', sa.String(length=200), nullable=False),
        sa.Column('sold_on', sa.String(length=300), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_smart_hamlet_models_dossier_id_dossiers'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['hamlet_unit_id'], ['units.id'], name=op.f('fk_smart_hamlet_models_hamlet_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_smart_hamlet_models')),
        sa.UniqueConstraint('dossier_id', 'hamlet_unit_id', 'product', name=op.f('uq_smart_hamlet_models_dossier_id_hamlet_unit_id_product')),
    )
    with op.batch_alter_table('smart_hamlet_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_smart_hamlet_models_dossier_id'), ['dossier_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('smart_hamlet_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_smart_hamlet_models_dossier_id'))
    op.drop_table('smart_hamlet_models')
    with op.batch_alter_table('ownerships', schema=None) as batch_op:
        batch_op.drop_constraint('confidence_allowed', type_='check')
        batch_op.drop_column('confidence')
        batch_op.drop_column('outstanding_fields')
