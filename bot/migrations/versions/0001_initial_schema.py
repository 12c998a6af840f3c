"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-24
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('prompttemplate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('prompttemplate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prompttemplate_area'), ['area'], unique=False)

    op.create_table('workspace',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'external_id', name='uq_workspace_platform_ext')
    )
    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_key', sa.String(length=80), nullable=False),
    sa.Column('customer_facing', sa.Boolean(), nullable=False),
    sa.Column('slack_channel_id', sa.String(length=64), nullable=True),
    sa.Column('teams_conversation_id', sa.String(length=300), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('prompt_time', sa.String(length=5), nullable=False),
    sa.Column('prompt_days', sa.String(length=40), nullable=False),
    sa.Column('cadence_weeks', sa.Integer(), nullable=False),
    sa.Column('holiday_country', sa.String(length=8), nullable=True),
    sa.Column('holiday_subdivision', sa.String(length=16), nullable=True),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('paused_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'name_key', name='uq_department_name')
    )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('platform_user_id', sa.String(length=128), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('is_cx_lead', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'platform_user_id', name='uq_member_user')
    )
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('auditevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('actor_member_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_member_id'], ['member.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditevent_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditevent_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('story',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('customer_label', sa.String(length=120), nullable=True),
    sa.Column('touchpoint', sa.String(length=60), nullable=True),
    sa.Column('emotion', sa.String(length=16), nullable=True),
    sa.Column('source_kind', sa.String(length=20), nullable=False),
    sa.Column('source_ref', sa.String(length=300), nullable=True),
    sa.Column('permalink', sa.String(length=500), nullable=True),
    sa.Column('author_member_id', sa.Integer(), nullable=True),
    sa.Column('captured_by_member_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('channel_id', sa.String(length=300), nullable=True),
    sa.Column('channel_private', sa.Boolean(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('channel_post_ref', sa.String(length=300), nullable=True),
    sa.Column('redaction_count', sa.Integer(), nullable=False),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_member_id'], ['member.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['captured_by_member_id'], ['member.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'source_ref', name='uq_story_source')
    )
    with op.batch_alter_table('story', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_story_author_member_id'), ['author_member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_story_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_story_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_story_touchpoint'), ['touchpoint'], unique=False)
        batch_op.create_index(batch_op.f('ix_story_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('engagement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['story_id'], ['story.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('story_id', 'member_id', 'kind', name='uq_engagement_once')
    )
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engagement_story_id'), ['story_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('promptdelivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=80), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('occurrence_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=True),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('claimed_by', sa.String(length=120), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_ref', sa.String(length=300), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('reminder_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['story_id'], ['story.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['prompttemplate.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'kind', 'target', 'occurrence_at', name='uq_delivery_occurrence')
    )
    with op.batch_alter_table('promptdelivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promptdelivery_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_promptdelivery_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_promptdelivery_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('promptanswer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('redaction_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['promptdelivery.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['story_id'], ['story.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('delivery_id', 'member_id', name='uq_answer_member')
    )
    with op.batch_alter_table('promptanswer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promptanswer_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_promptanswer_delivery_id'), ['delivery_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_promptanswer_story_id'), ['story_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_promptanswer_workspace_id'), ['workspace_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('promptanswer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promptanswer_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_promptanswer_story_id'))
        batch_op.drop_index(batch_op.f('ix_promptanswer_delivery_id'))
        batch_op.drop_index(batch_op.f('ix_promptanswer_created_at'))

    op.drop_table('promptanswer')
    with op.batch_alter_table('promptdelivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promptdelivery_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_promptdelivery_status'))
        batch_op.drop_index(batch_op.f('ix_promptdelivery_department_id'))

    op.drop_table('promptdelivery')
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engagement_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_engagement_story_id'))

    op.drop_table('engagement')
    with op.batch_alter_table('story', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_story_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_story_touchpoint'))
        batch_op.drop_index(batch_op.f('ix_story_department_id'))
        batch_op.drop_index(batch_op.f('ix_story_created_at'))
        batch_op.drop_index(batch_op.f('ix_story_author_member_id'))

    op.drop_table('story')
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditevent_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_auditevent_created_at'))

    op.drop_table('auditevent')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_member_department_id'))

    op.drop_table('member')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_workspace_id'))

    op.drop_table('department')
    op.drop_table('workspace')
    with op.batch_alter_table('prompttemplate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prompttemplate_area'))

    op.drop_table('prompttemplate')
