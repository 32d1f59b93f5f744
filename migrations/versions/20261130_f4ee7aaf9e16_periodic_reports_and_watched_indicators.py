"""Periodic reports written in the system, watched indicators, their monthly values and alert episodes

Revision ID: f4ee7aaf9e16
Revises: c4e8a2d6f1b3
Create Date: 2026-11-30 07:21:11.858379

`periodic_reports` (a unit's or department's report of a period: sections, draft then submitted, linked to
the `report_submissions` row that meets the obligation), `watched_indicators` (a province's watch list per
year, with threshold, source and confidence), `watched_values` (one value per unit, indicator and month) and
`watch_episodes` (months below the threshold; the key makes each episode alert once).
"""

from alembic import op
import sqlalchemy as sa
import dossiers.db


revision = 'f4ee7aaf9e16'
down_revision = 'c4e8a2d6f1b3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('watched_indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('authority_unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('measure', sa.String(length=20), nullable=False),
    sa.Column('threshold', sa.String(length=40), nullable=False),
    sa.Column('criteria_set_code', sa.String(length=60), nullable=True),
    sa.Column('indicator_code', sa.String(length=20), nullable=True),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('confidence', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint("confidence IN ('verified', 'high', 'medium', 'low')", name=op.f('ck_watched_indicators_confidence')),
    sa.CheckConstraint("measure IN ('percentage', 'number')", name=op.f('ck_watched_indicators_measure')),
    sa.ForeignKeyConstraint(['authority_unit_id'], ['units.id'], name=op.f('fk_watched_indicators_authority_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watched_indicators')),
    sa.UniqueConstraint('authority_unit_id', 'year', 'code', name=op.f('uq_watched_indicators_authority_unit_id_year_code'))
    )
    with op.batch_alter_table('watched_indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watched_indicators_authority_unit_id'), ['authority_unit_id'], unique=False)

    op.create_table('watch_episodes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('watched_indicator_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('first_month', sa.Date(), nullable=False),
    sa.Column('recovered_month', sa.Date(), nullable=True),
    sa.Column('opened_at', dossiers.db.UTCDateTime(), nullable=False),
    sa.Column('alerted_at', dossiers.db.UTCDateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint('recovered_month IS NULL OR recovered_month > first_month', name=op.f('ck_watch_episodes_recovers_after')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_watch_episodes_unit_id_units')),
    sa.ForeignKeyConstraint(['watched_indicator_id'], ['watched_indicators.id'], name=op.f('fk_watch_episodes_watched_indicator_id_watched_indicators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watch_episodes')),
    sa.UniqueConstraint('key', name=op.f('uq_watch_episodes_key'))
    )
    with op.batch_alter_table('watch_episodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watch_episodes_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_watch_episodes_watched_indicator_id'), ['watched_indicator_id'], unique=False)

    op.create_table('periodic_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('obligation_code', sa.String(length=60), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('due_at', dossiers.db.UTCDateTime(), nullable=False),
    sa.Column('created_at', dossiers.db.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', dossiers.db.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', dossiers.db.UTCDateTime(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(state = 'submitted' AND submitted_at IS NOT NULL AND submission_id IS NOT NULL AND late IS NOT NULL) OR (state = 'draft' AND submitted_at IS NULL AND submission_id IS NULL AND late IS NULL)", name=op.f('ck_periodic_reports_submitted_fields')),
    sa.CheckConstraint("obligation_code IN ('report-monthly', 'report-quarterly', 'report-half-year', 'report-yearly', 'commune-plan', 'department-difficulties', 'department-yearly-report')", name=op.f('ck_periodic_reports_obligation_code_allowed')),
    sa.CheckConstraint("state IN ('draft', 'submitted')", name=op.f('ck_periodic_reports_state')),
    sa.CheckConstraint('(unit_id IS NULL) <> (department_id IS NULL)', name=op.f('ck_periodic_reports_one_obligor')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_periodic_reports_created_by_id_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_periodic_reports_department_id_departments')),
    sa.ForeignKeyConstraint(['submission_id'], ['report_submissions.id'], name=op.f('fk_periodic_reports_submission_id_report_submissions')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_periodic_reports_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_periodic_reports_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_periodic_reports')),
    sa.UniqueConstraint('obligation_code', 'period', 'department_id', name='periodic_report_department_period'),
    sa.UniqueConstraint('obligation_code', 'period', 'unit_id', name='periodic_report_unit_period'),
    sa.UniqueConstraint('submission_id', name=op.f('uq_periodic_reports_submission_id'))
    )
    with op.batch_alter_table('periodic_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_periodic_reports_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_periodic_reports_unit_id'), ['unit_id'], unique=False)

    op.create_table('watched_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('watched_indicator_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('text', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('met', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', dossiers.db.UTCDateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('value >= 0', name=op.f('ck_watched_values_value_not_negative')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_watched_values_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['report_id'], ['periodic_reports.id'], name=op.f('fk_watched_values_report_id_periodic_reports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_watched_values_unit_id_units')),
    sa.ForeignKeyConstraint(['watched_indicator_id'], ['watched_indicators.id'], name=op.f('fk_watched_values_watched_indicator_id_watched_indicators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watched_values')),
    sa.UniqueConstraint('watched_indicator_id', 'unit_id', 'month', name=op.f('uq_watched_values_watched_indicator_id_unit_id_month'))
    )
    with op.batch_alter_table('watched_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watched_values_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_watched_values_watched_indicator_id'), ['watched_indicator_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('watched_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watched_values_watched_indicator_id'))
        batch_op.drop_index(batch_op.f('ix_watched_values_unit_id'))

    op.drop_table('watched_values')
    with op.batch_alter_table('periodic_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_periodic_reports_unit_id'))
        batch_op.drop_index(batch_op.f('ix_periodic_reports_department_id'))

    op.drop_table('periodic_reports')
    with op.batch_alter_table('watch_episodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watch_episodes_watched_indicator_id'))
        batch_op.drop_index(batch_op.f('ix_watch_episodes_unit_id'))

    op.drop_table('watch_episodes')
    with op.batch_alter_table('watched_indicators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watched_indicators_authority_unit_id'))

    op.drop_table('watched_indicators')
