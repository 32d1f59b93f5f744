"""api_tokens and api_calls: personal access tokens of the REST API (stored hashed) and the log of their calls

Revision ID: 7a3c5e1d9b24
Revises: 5b7e2c9d1f40
Create Date: 2026-11-30 05:00:00
"""

from alembic import op
import sqlalchemy as sa

import dossiers.db


revision = '7a3c5e1d9b24'
down_revision = '5b7e2c9d1f40'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', dossiers.db.UTCDateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('expires_at', dossiers.db.UTCDateTime(), nullable=False),
        sa.Column('revoked_at', dossiers.db.UTCDateTime(), nullable=True),
        sa.Column('last_used_at', dossiers.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('secret_hash', name=op.f('uq_api_tokens_secret_hash')),
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table(
        'api_calls',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('occurred_at', dossiers.db.UTCDateTime(), nullable=False),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('endpoint', sa.String(length=200), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_api_calls_token_id_api_tokens'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_calls')),
    )
    with op.batch_alter_table('api_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_calls_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_calls_token_id'), ['token_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('api_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_calls_token_id'))
        batch_op.drop_index(batch_op.f('ix_api_calls_dossier_id'))
    op.drop_table('api_calls')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))
    op.drop_table('api_tokens')
