"""index audit_log (action, id)

Startup's settings audit (embedded_backend/settings_audit.py) looks up the newest
``settings.*`` row: ``WHERE action IN (...) ORDER BY id DESC LIMIT 1``. Without this
index that is a full scan of the audit log, which only grows; with it, one index seek.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00
"""

from alembic import op


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_action_id", "audit_log", ["action", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_id", table_name="audit_log")
