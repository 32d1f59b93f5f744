"""users.session_generation: sign-out, a password change or deactivation ends every copy of a session

Revision ID: 3c1d2b7e9a10
Revises: 84f42a89d70f
Create Date: 2026-11-24 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '3c1d2b7e9a10'
down_revision = '84f42a89d70f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default=sa.text('0'), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
