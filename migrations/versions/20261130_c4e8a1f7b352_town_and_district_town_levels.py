"""Thị trấn "đô thị văn minh" gets its route; thị xã / thành phố thuộc tỉnh is a unit kind with its level

Revision ID: c4e8a1f7b352
Revises: c4e81b2d93f5
Create Date: 2026-11-30 13:00:00.000000

`units.kind` gains 'district_town' (thị xã, thành phố thuộc tỉnh); `dossiers.level` and `recognitions.level`
gain 'district-town-completed' (QĐ 320/QĐ-TTg "hoàn thành nhiệm vụ xây dựng NTM"); `dossiers.route` gains
'town-via-district' (QĐ 04/2022/QĐ-TTg) and 'district-town-to-prime-minister'; `plan_targets.level` gains the level too. The lists are a snapshot as of
this revision (tests/test_migrations.py compares them with the models).
"""

from alembic import op


revision = 'c4e8a1f7b352'
down_revision = 'c4e81b2d93f5'
branch_labels = None
depends_on = None

KINDS_BEFORE = ('province', 'district', 'commune', 'ward', 'town', 'special_zone', 'hamlet')
KINDS = (*KINDS_BEFORE, 'district_town')
LEVELS_BEFORE = (
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
LEVELS = (*LEVELS_BEFORE, 'district-town-completed')
ROUTES_BEFORE = (
    'commune-via-district',
    'commune-to-province',
    'hamlet-to-district',
    'hamlet-to-commune',
    'district-to-prime-minister',
)
ROUTES = (*ROUTES_BEFORE, 'town-via-district', 'district-town-to-prime-minister')


def _condition(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join("'" + value + "'" for value in values)
    return f"{column} IN ({listed})"


def _replace(table: str, column: str, values: tuple[str, ...]) -> None:
    name = f'ck_{table}_{column}_allowed'
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(name), type_='check')
        batch_op.create_check_constraint(op.f(name), _condition(column, values))


def _apply(kinds: tuple[str, ...], levels: tuple[str, ...], routes: tuple[str, ...]) -> None:
    _replace('units', 'kind', kinds)
    _replace('dossiers', 'level', levels)
    _replace('recognitions', 'level', levels)
    _replace('plan_targets', 'level', levels)
    _replace('dossiers', 'route', routes)


def upgrade() -> None:
    _apply(KINDS, LEVELS, ROUTES)


def downgrade() -> None:
    _apply(KINDS_BEFORE, LEVELS_BEFORE, ROUTES_BEFORE)
