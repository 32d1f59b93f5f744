"""obligations: who owes what by when, met when, by which event (obligations as domain data)

Revision ID: c4e8b1a9d3f7
Revises: f4ee7aaf9e16
Create Date: 2026-11-30 08:15:00

The table `obligations` (dossiers.models.obligations.ObligationRecord). Three deadline rules join the
list the rule-code CHECK constraints allow: `registration-confirmation` and `decision` (working-day
limits of the procedure's steps) and `district-report-quarterly` (a district's report to the province). `calendar_days` and `deadline_overrides` moved to `dossiers.models`
with their table names unchanged: no data moves.
"""

from alembic import op
import sqlalchemy as sa

import dossiers.db


revision = 'c4e8b1a9d3f7'
down_revision = 'f4ee7aaf9e16'
branch_labels = None
depends_on = None

OLD_CODES = (
    'dossier-submission',
    'dossier-completion',
    'report-monthly',
    'report-quarterly',
    'report-half-year',
    'report-yearly',
    'commune-plan',
    'department-difficulties',
    'department-yearly-report',
    'appraisal',
)
NEW_CODES = (*OLD_CODES[:-1], 'district-report-quarterly', 'appraisal', 'registration-confirmation', 'decision', 'provincial-appraisal')
#: table → the column holding a rule code
RULE_COLUMNS = {
    'deadline_overrides': 'rule_code',
    'outbox_items': 'rule_code',
    'report_submissions': 'obligation_code',
}
ROLES = ('unit_officer', 'department_officer', 'coordinator', 'approver', 'front_officer', 'appraisal_team', 'admin')


def _in(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"{column} IN ({listed})"


#: the reports written in the system (periodic_reports) take the rules a unit or department owes, the district's too
OLD_REPORT_CODES = OLD_CODES[2:-1]
NEW_REPORT_CODES = (*OLD_REPORT_CODES, 'district-report-quarterly')


def _rule_checks(codes: tuple[str, ...], report_codes: tuple[str, ...]) -> None:
    for table, column, allowed in (*((t, c, codes) for t, c in RULE_COLUMNS.items()), ('periodic_reports', 'obligation_code', report_codes)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_{column}_allowed'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_{column}_allowed'), _in(column, allowed))


def upgrade() -> None:
    op.create_table(
        'obligations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('rule_code', sa.String(length=60), nullable=False),
        sa.Column('period', sa.String(length=60), nullable=False),
        sa.Column('period_label', sa.String(length=300), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('obligor_kind', sa.String(length=20), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('dossier_id', sa.Integer(), nullable=True),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('seat', sa.String(length=30), nullable=True),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('due_at', dossiers.db.UTCDateTime(), nullable=False),
        sa.Column('has_plan_date', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('met_at', dossiers.db.UTCDateTime(), nullable=True),
        sa.Column('met_by', sa.String(length=100), nullable=True),
        sa.Column('created_at', dossiers.db.UTCDateTime(), nullable=False),
        sa.Column('updated_at', dossiers.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(_in('rule_code', NEW_CODES), name=op.f('ck_obligations_rule_code_allowed')),
        sa.CheckConstraint(
            _in('obligor_kind', ('dossier', 'unit', 'department', 'appraisal', 'step')),
            name=op.f('ck_obligations_obligor_kind'),
        ),
        sa.CheckConstraint(_in('status', ('open', 'met', 'void')), name=op.f('ck_obligations_status')),
        sa.CheckConstraint(_in('seat', ROLES), name=op.f('ck_obligations_seat')),
        sa.CheckConstraint("(status = 'met') = (met_at IS NOT NULL)", name=op.f('ck_obligations_met_when')),
        sa.ForeignKeyConstraint(
            ['department_id'], ['departments.id'], name=op.f('fk_obligations_department_id_departments')
        ),
        sa.ForeignKeyConstraint(
            ['dossier_id'], ['dossiers.id'], name=op.f('fk_obligations_dossier_id_dossiers'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['task_id'], ['appraisal_tasks.id'], name=op.f('fk_obligations_task_id_appraisal_tasks'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_obligations_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_obligations')),
        sa.UniqueConstraint('key', name=op.f('uq_obligations_key')),
    )
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.create_index('ix_obligations_year_status', ['year', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_obligations_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_obligations_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_obligations_last_day'), ['last_day'], unique=False)
        batch_op.create_index(batch_op.f('ix_obligations_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_obligations_unit_id'), ['unit_id'], unique=False)
    _rule_checks(NEW_CODES, NEW_REPORT_CODES)


def downgrade() -> None:
    _rule_checks(OLD_CODES, OLD_REPORT_CODES)
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_obligations_unit_id'))
        batch_op.drop_index(batch_op.f('ix_obligations_task_id'))
        batch_op.drop_index(batch_op.f('ix_obligations_last_day'))
        batch_op.drop_index(batch_op.f('ix_obligations_dossier_id'))
        batch_op.drop_index(batch_op.f('ix_obligations_department_id'))
        batch_op.drop_index('ix_obligations_year_status')
    op.drop_table('obligations')
