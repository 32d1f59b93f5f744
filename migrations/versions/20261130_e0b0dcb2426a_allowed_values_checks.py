"""CHECK constraints tie enumerated columns to their allowed values

Revision ID: e0b0dcb2426a
Revises: 84f42a89d70f
Create Date: 2026-11-30 09:00:00.000000

The lists are a snapshot of the vocabulary (workflow.vocabulary), the procedures' states, the routes,
the QĐ 18/2022 conditions and the deadline rules as of this revision. The models build theirs from
those definitions (dossiers.db.allowed_values_check); tests/test_migrations.py fails when the two
drift apart, which is the cue for a new revision. On SQLite, batch mode rebuilds each table; env.py
turns foreign-key enforcement off around the migrations so the rebuild cascades nothing.
"""

from alembic import op


revision = 'e0b0dcb2426a'
down_revision = '3c1d2b7e9a10'
branch_labels = None
depends_on = None

#: table → column → the values it may hold (NULL still passes where the column allows it)
ALLOWED: dict[str, dict[str, tuple[str, ...]]] = {
    'appraisal_tasks': {
        'fallback_role': (
            'unit_officer',
            'department_officer',
            'coordinator',
            'approver',
            'front_officer',
            'appraisal_team',
            'admin',
        ),
    },
    'condition_confirmations': {
        'condition': ('no_construction_debt', 'not_complex_security'),
    },
    'criteria': {
        'confidence': ('verified', 'high', 'medium', 'low'),
    },
    'criteria_sets': {
        'confidence': ('verified', 'high', 'medium', 'low'),
    },
    'deadline_overrides': {
        'rule_code': (
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
        ),
    },
    'dossiers': {
        'kind': ('recognition', 'revocation'),
        'level': (
            'hamlet-ntm',
            'hamlet-model',
            'commune-ntm',
            'commune-advanced',
            'commune-model',
            'district-ntm',
            'district-advanced',
            'town-civilized',
        ),
        'route': (
            'commune-via-district',
            'commune-to-province',
            'hamlet-to-district',
            'hamlet-to-commune',
            'district-to-prime-minister',
        ),
        'state': (
            'registered',
            'self_assessment',
            'consultation',
            'under_appraisal',
            'returned',
            'appraised',
            'forwarded',
            'recognised',
            'refused',
            'withdrawn',
            'revoked',
            'kept',
        ),
    },
    'indicators': {
        'confidence': ('verified', 'high', 'medium', 'low'),
        'measure': ('yes_no', 'percentage', 'number', 'money', 'text'),
    },
    'outbox_items': {
        'rule_code': (
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
        ),
    },
    'recognitions': {
        'level': (
            'hamlet-ntm',
            'hamlet-model',
            'commune-ntm',
            'commune-advanced',
            'commune-model',
            'district-ntm',
            'district-advanced',
            'town-civilized',
        ),
    },
    'report_submissions': {
        'obligation_code': (
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
        ),
    },
    'role_assignments': {
        'role': (
            'unit_officer',
            'department_officer',
            'coordinator',
            'approver',
            'front_officer',
            'appraisal_team',
            'admin',
        ),
    },
    'units': {
        'kind': ('province', 'district', 'commune', 'ward', 'town', 'special_zone', 'hamlet'),
    },
}


def _name(table: str, column: str) -> str:
    return f"ck_{table}_{column}_allowed"


def _condition(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"{column} IN ({listed})"


def upgrade() -> None:
    for table, columns in ALLOWED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(op.f(_name(table, column)), _condition(column, values))


def downgrade() -> None:
    for table, columns in reversed(ALLOWED.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in reversed(columns):
                batch_op.drop_constraint(op.f(_name(table, column)), type_='check')
