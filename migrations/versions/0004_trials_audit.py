"""trial requests and the audit log

Revision ID: 0004_trials_audit
Revises: 0003_orders
"""
from alembic import op
import sqlalchemy as sa

revision = '0004_trials_audit'
down_revision = '0003_orders'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('trial_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('expected_accounts', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('license_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_trial_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['license_id'], ['licenses.id'], name=op.f('fk_trial_requests_license_id_licenses')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_trial_requests_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_requests'))
    )
    with op.batch_alter_table('trial_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trial_requests_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_trial_requests_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_trial_requests_one_per_user', ['user_id'], unique=True, sqlite_where=sa.text("status IN ('pending', 'approved')"), postgresql_where=sa.text("status IN ('pending', 'approved')"))

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('license_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_log_actor_id_users')),
    sa.ForeignKeyConstraint(['customer_id'], ['users.id'], name=op.f('fk_audit_log_customer_id_users')),
    sa.ForeignKeyConstraint(['license_id'], ['licenses.id'], name=op.f('fk_audit_log_license_id_licenses')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_audit_log_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_customer_id'), ['customer_id'], unique=False)


def downgrade():
    op.drop_table('audit_log')
    op.drop_table('trial_requests')
