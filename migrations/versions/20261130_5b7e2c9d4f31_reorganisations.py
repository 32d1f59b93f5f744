"""Reorganisations as recorded events; departments end and hand over; carried recognitions

Revision ID: 5b7e2c9d4f31
Revises: 7a3c5e1d9b24
Create Date: 2026-11-30 12:00:00.000000

A reorganisation (units merged, a district dissolved, departments moved) is a row with its plan and
the changes it made; a department gets the last day it acted and its successor; a recognition carried
to a merged unit names the reorganisation and the reasoning (Official Letter 267/BNN-VPDP); an outbox
message may carry a notice written once (its body), keyed so that nobody is told twice.
"""

import sqlalchemy as sa
from alembic import op


revision = '5b7e2c9d4f31'
down_revision = '7a3c5e1d9b24'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'reorganisations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=80), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('basis', sa.Text(), nullable=False),
        sa.Column('province_id', sa.Integer(), nullable=False),
        sa.Column('effective_on', sa.Date(), nullable=False),
        sa.Column('plan', sa.JSON(), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('applied_at', sa.DateTime(), nullable=False),
        sa.Column('applied_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['applied_by_id'], ['users.id'], name=op.f('fk_reorganisations_applied_by_id_users')),
        sa.ForeignKeyConstraint(['province_id'], ['units.id'], name=op.f('fk_reorganisations_province_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reorganisations')),
        sa.UniqueConstraint('code', name=op.f('uq_reorganisations_code')),
    )
    op.create_index(op.f('ix_reorganisations_province_id'), 'reorganisations', ['province_id'], unique=False)
    with op.batch_alter_table('departments') as batch_op:
        batch_op.add_column(sa.Column('valid_to', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('successor_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_departments_successor_id_departments'), 'departments', ['successor_id'], ['id']
        )
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.add_column(sa.Column('body', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('notice_key', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_messages_notice_key'), ['notice_key'])
    with op.batch_alter_table('recognitions') as batch_op:
        batch_op.add_column(sa.Column('reorganisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_recognitions_reorganisation_id_reorganisations'),
            'reorganisations',
            ['reorganisation_id'],
            ['id'],
        )


def downgrade() -> None:
    with op.batch_alter_table('recognitions') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_recognitions_reorganisation_id_reorganisations'), type_='foreignkey')
        batch_op.drop_column('note')
        batch_op.drop_column('reorganisation_id')
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_outbox_messages_notice_key'), type_='unique')
        batch_op.drop_column('notice_key')
        batch_op.drop_column('body')
    with op.batch_alter_table('departments') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_departments_successor_id_departments'), type_='foreignkey')
        batch_op.drop_column('successor_id')
        batch_op.drop_column('valid_to')
    op.drop_index(op.f('ix_reorganisations_province_id'), table_name='reorganisations')
    op.drop_table('reorganisations')
