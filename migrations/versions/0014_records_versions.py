"""a count of the changes to each customer's records, kept by the database, so My licenses can be kept

Revision ID: 0014_records_versions
Revises: 0013_staff_since

``records_versions`` holds, per user, how many times a row of their licenses, certificates,
orders or trial requests was inserted, updated or deleted. Triggers keep it, so every writer
counts, whichever way it writes (the ORM, a bulk ``UPDATE``, a command, psql). My licenses
kept a customer's drawn page under this number; 0015 drops the table and the triggers.

On PostgreSQL the triggers are deferred to the commit: the counter's row is locked last, just
before the transaction ends, so a payment and a support action on the same customer never
wait on each other in opposite orders. SQLite admits one writer at a time.

A later migration that rebuilds one of these tables on SQLite (Alembic's batch mode copies it to
a new table) drops its triggers.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_records_versions"
down_revision = "0013_staff_since"
branch_labels = None
depends_on = None

# Each table whose rows My licenses shows, and its rows' owner as (before, after) expressions.
OWNERS = {
    "licenses": ("OLD.owner_id", "NEW.owner_id"),
    "certificates": (
        "(SELECT owner_id FROM licenses WHERE licenses.id = OLD.license_id)",
        "(SELECT owner_id FROM licenses WHERE licenses.id = NEW.license_id)",
    ),
    "orders": ("OLD.user_id", "NEW.user_id"),
    "trial_requests": ("OLD.user_id", "NEW.user_id"),
}


def _bump(owner, condition="TRUE"):
    return (
        f"INSERT INTO records_versions (user_id, version) SELECT {owner}, 1"
        f" WHERE {owner} IS NOT NULL AND {condition}"
        " ON CONFLICT (user_id) DO UPDATE SET version = records_versions.version + 1"
    )


def upgrade():
    op.create_table(
        "records_versions",
        sa.Column("user_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, (old, new) in OWNERS.items():
        moved = f"{new} IS DISTINCT FROM {old}" if postgresql else f"{new} IS NOT {old}"
        if postgresql:
            # OR REPLACE: the tests and the bench drop every table and migrate again; functions outlive tables.
            op.execute(
                f"""
                CREATE OR REPLACE FUNCTION records_version_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF TG_OP <> 'INSERT' THEN {_bump(old)}; END IF;
                  IF TG_OP = 'INSERT' THEN {_bump(new)}; END IF;
                  IF TG_OP = 'UPDATE' THEN {_bump(new, moved)}; END IF;
                  RETURN NULL;
                END $$
                """
            )
            op.execute(
                f"""
                CREATE CONSTRAINT TRIGGER records_version AFTER INSERT OR UPDATE OR DELETE ON {table}
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION records_version_{table}()
                """
            )
        else:
            op.execute(f"CREATE TRIGGER records_version_{table}_insert AFTER INSERT ON {table} BEGIN {_bump(new)}; END")
            op.execute(
                f"CREATE TRIGGER records_version_{table}_update AFTER UPDATE ON {table}"
                f" BEGIN {_bump(old)}; {_bump(new, moved)}; END"
            )
            op.execute(f"CREATE TRIGGER records_version_{table}_delete AFTER DELETE ON {table} BEGIN {_bump(old)}; END")


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in OWNERS:
        if postgresql:
            op.execute(f"DROP TRIGGER records_version ON {table}")
            op.execute(f"DROP FUNCTION records_version_{table}()")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER records_version_{table}_{event}")
    op.drop_table("records_versions")
