"""drop the count of changes to each customer's records and its triggers: My licenses is drawn each time

Revision ID: 0015_drop_records_versions
Revises: 0014_records_versions

The triggers of 0014 go first, then their table. ``IF EXISTS``: on SQLite, a batch migration
that rebuilt one of the four tables has dropped its triggers already. The downgrade runs 0014's
upgrade again, so a database taken back to 0014 has the table and the triggers that revision made.
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0015_drop_records_versions"
down_revision = "0014_records_versions"
branch_labels = None
depends_on = None

TABLES = ("licenses", "certificates", "orders", "trial_requests")


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS records_version ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS records_version_{table}()")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS records_version_{table}_{event}")
    op.execute("DROP TABLE IF EXISTS records_versions")


def downgrade():
    spec = importlib.util.spec_from_file_location(
        "records_versions_0014", Path(__file__).with_name("0014_records_versions.py")
    )
    revision_0014 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision_0014)
    revision_0014.upgrade()
