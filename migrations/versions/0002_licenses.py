"""licenses and their certificates

Revision ID: 0002_licenses
Revises: 0001_users_outbox
"""
from alembic import op
import sqlalchemy as sa

revision = '0002_licenses'
down_revision = '0001_users_outbox'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('licenses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('accounts', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('revoked_reason', sa.Text(), nullable=True),
    sa.Column('trial_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('trial_extended', sa.Boolean(), nullable=False),
    sa.Column('support_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('upgrades_frozen', sa.Boolean(), nullable=False),
    sa.Column('trial_warned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('trial_ended_notice_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_licenses_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licenses')),
    sa.UniqueConstraint('code', name=op.f('uq_licenses_code'))
    )
    with op.batch_alter_table('licenses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licenses_owner_id'), ['owner_id'], unique=False)

    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('license_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('accounts', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['license_id'], ['licenses.id'], name=op.f('fk_certificates_license_id_licenses')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['certificates.id'], name=op.f('fk_certificates_superseded_by_id_certificates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('license_id', 'serial', name='uq_certificates_license_serial')
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_license_id'), ['license_id'], unique=False)


def downgrade():
    op.drop_table('certificates')
    op.drop_table('licenses')
