"""Province route variants: the Sở's appraisal stage (thẩm định) and the hamlet model where the district appraises

Revision ID: c4e8a2f17b93
Revises: c4e8a1f7b352
Create Date: 2026-11-30 08:00:00.000000

A province's rules may choose a variant of the national route (`workflow.routes.PROVINCE_ROUTES`):
'commune-via-district-and-province' (after the district's appraisal the Sở NN&PTNT appraises, with its own
supplement request, before the provincial chairman decides; seed 003) and 'hamlet-via-district' (the commune
registers its xóm/TDP, the district appraises and decides; seed 000). `dossiers.route` may name them, and
`dossiers.state` may hold the two states of the provincial stage. No row changes: existing dossiers keep
their route. The lists are a snapshot as of this revision (tests/test_migrations.py compares them with the
models).
"""

from alembic import op


revision = 'c4e8a2f17b93'
down_revision = 'c4e8a1f7b352'
branch_labels = None
depends_on = None

ROUTES_BEFORE = (
    'commune-via-district',
    'commune-to-province',
    'hamlet-to-district',
    'hamlet-to-commune',
    'district-to-prime-minister',
    'town-via-district',
    'district-town-to-prime-minister',
)
ROUTES = (*ROUTES_BEFORE, 'commune-via-district-and-province', 'hamlet-via-district')
STATES_BEFORE = (
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
)
STATES = (*STATES_BEFORE, 'provincial_appraisal', 'supplement_requested')


def _condition(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join("'" + value + "'" for value in values)
    return f"{column} IN ({listed})"


def _allow(routes: tuple[str, ...], states: tuple[str, ...]) -> None:
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_dossiers_route_allowed'), type_='check')
        batch_op.create_check_constraint(op.f('ck_dossiers_route_allowed'), _condition('route', routes))
        batch_op.drop_constraint(op.f('ck_dossiers_state_allowed'), type_='check')
        batch_op.create_check_constraint(op.f('ck_dossiers_state_allowed'), _condition('state', states))


def upgrade() -> None:
    _allow(ROUTES, STATES)


def downgrade() -> None:
    _allow(ROUTES_BEFORE, STATES_BEFORE)
