"""Plans of a district or province per year, their targets per unit and the resources they plan

Revision ID: c4e81b2d93f5
Revises: a7d3f1c85e26
Create Date: 2026-11-30 08:00:00.000000

A plan (kế hoạch) is issued by an authority for a year with its number and date, aggregate targets
(criteria per commune on average, no commune under N) and resources in million VND; each target of
its table (biểu giao chỉ tiêu) names one unit. The CHECK lists are a snapshot of
dossiers.models.plans.TargetKind, workflow.vocabulary.RecognitionLevel and Confidence.
"""

import sqlalchemy as sa
from alembic import op


revision = 'c4e81b2d93f5'
down_revision = 'a7d3f1c85e26'
branch_labels = None
depends_on = None

CONFIDENCE = "confidence IN ('verified', 'high', 'medium', 'low')"
KINDS = "kind IN ('level', 'criterion', 'criteria-added', 'hamlets-ntm', 'hamlets-model')"
LEVELS = (
    "level IN ('hamlet-ntm', 'hamlet-model', 'commune-ntm', 'commune-advanced', 'commune-model', "
    "'commune-modern', 'district-ntm', 'district-advanced', 'town-civilized')"
)


def upgrade() -> None:
    op.create_table(
        'plans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=500), nullable=False),
        sa.Column('number', sa.String(length=80), nullable=True),
        sa.Column('issued_on', sa.Date(), nullable=True),
        sa.Column('average_criteria', sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column('minimum_criteria', sa.Integer(), nullable=True),
        sa.Column('resources_total', sa.Numeric(precision=16, scale=3), nullable=True),
        sa.Column('central_budget', sa.Numeric(precision=16, scale=3), nullable=True),
        sa.Column('central_direct', sa.Numeric(precision=16, scale=3), nullable=True),
        sa.Column('integrated_funds', sa.Numeric(precision=16, scale=3), nullable=True),
        sa.Column('local_budget', sa.Numeric(precision=16, scale=3), nullable=True),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('confidence', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('loaded_from', sa.String(length=300), nullable=True),
        sa.Column('loaded_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(CONFIDENCE, name=op.f('ck_plans_confidence_allowed')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_plans_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
        sa.UniqueConstraint('unit_id', 'year', name=op.f('uq_plans_unit_id_year')),
    )
    op.create_index(op.f('ix_plans_unit_id'), 'plans', ['unit_id'], unique=False)
    op.create_table(
        'plan_targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=30), nullable=True),
        sa.Column('criterion_number', sa.Integer(), nullable=True),
        sa.Column('quantity', sa.Integer(), nullable=True),
        sa.Column('baseline', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=300), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.CheckConstraint(KINDS, name=op.f('ck_plan_targets_kind_allowed')),
        sa.CheckConstraint(LEVELS, name=op.f('ck_plan_targets_level_allowed')),
        sa.ForeignKeyConstraint(
            ['plan_id'], ['plans.id'], name=op.f('fk_plan_targets_plan_id_plans'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_plan_targets_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_targets')),
    )
    op.create_index(op.f('ix_plan_targets_plan_id'), 'plan_targets', ['plan_id'], unique=False)
    op.create_index(op.f('ix_plan_targets_unit_id'), 'plan_targets', ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_plan_targets_unit_id'), table_name='plan_targets')
    op.drop_index(op.f('ix_plan_targets_plan_id'), table_name='plan_targets')
    op.drop_table('plan_targets')
    op.drop_index(op.f('ix_plans_unit_id'), table_name='plans')
    op.drop_table('plans')
