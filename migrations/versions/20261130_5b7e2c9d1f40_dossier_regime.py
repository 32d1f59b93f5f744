"""Dossiers pin their regime (2021-2025, 2026-2030); the xã NTM hiện đại pilot is a level

Revision ID: 5b7e2c9d1f40
Revises: e0b0dcb2426a
Create Date: 2026-11-30 11:00:00.000000

`dossiers.regime` names the regime (workflow.regimes) a dossier was registered under. Existing rows
take the regime of their year (up to 2025: 2021-2025; after: 2026-2030). The level lists of
`dossiers` and `recognitions` gain 'commune-modern' (QĐ 51/2025 Phụ lục II, a pilot a province switches
on). The lists are a snapshot as of this revision (tests/test_migrations.py compares them with the models).
"""

import sqlalchemy as sa
from alembic import op


revision = '5b7e2c9d1f40'
down_revision = 'e0b0dcb2426a'
branch_labels = None
depends_on = None

REGIMES = ('2021-2025', '2026-2030')
LEVELS_BEFORE = (
    'hamlet-ntm',
    'hamlet-model',
    'commune-ntm',
    'commune-advanced',
    'commune-model',
    'district-ntm',
    'district-advanced',
    'town-civilized',
)
LEVELS = (
    'hamlet-ntm',
    'hamlet-model',
    'commune-ntm',
    'commune-advanced',
    'commune-model',
    'commune-modern',
    'district-ntm',
    'district-advanced',
    'town-civilized',
)


def _condition(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join("'" + value + "'" for value in values)
    return f"{column} IN ({listed})"


def _levels(values: tuple[str, ...]) -> None:
    for table in ('dossiers', 'recognitions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_level_allowed'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_level_allowed'), _condition('level', values))


def upgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('regime', sa.String(length=20), nullable=True))
    op.execute(
        "UPDATE dossiers SET regime = CASE WHEN year <= 2025 THEN '2021-2025' ELSE '2026-2030' END"
    )
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_dossiers_regime_allowed'), _condition('regime', REGIMES))
    _levels(LEVELS)


def downgrade() -> None:
    _levels(LEVELS_BEFORE)
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_dossiers_regime_allowed'), type_='check')
        batch_op.drop_column('regime')
